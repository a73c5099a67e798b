"""How many disputes one account may open a day, whether by contesting or by registering an
ISRC someone else already claims. Counted in the shared cache, so the limit holds across every
web process and every way of opening one."""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def _key(user_id: int) -> str:
    return f"disputes-opened:{user_id}:{timezone.now().date().isoformat()}"


def disputes_left_today(user_id: int) -> int:
    return max(0, settings.DISPUTES_PER_DAY - (cache.get(_key(user_id)) or 0))


def count_disputes_opened(user_id: int, count: int = 1) -> None:
    key = _key(user_id)
    cache.add(key, 0, timeout=int(datetime.timedelta(days=2).total_seconds()))
    cache.incr(key, count)
