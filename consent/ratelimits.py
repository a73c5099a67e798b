"""Per-account limits, counted in the shared cache (Redis) so that they hold across every web
process and every way in.

- Disputes: how many one account may open a day, whether by contesting or by registering an
  ISRC someone else already claims.
- Declarations, catalogue-wide changes and link changes: how many one account may make per
  clock hour. Each one writes change events that every platform receives, and a catalogue-wide
  change recomputes every track of the catalogue, so a script hammering the website could
  otherwise flood the change log and every platform's webhooks.
"""

import datetime
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

HOUR = 3600


def _key(user_id: int) -> str:
    return f"disputes-opened:{user_id}:{timezone.now().date().isoformat()}"


def disputes_left_today(user_id: int) -> int:
    return max(0, settings.DISPUTES_PER_DAY - (cache.get(_key(user_id)) or 0))


def count_disputes_opened(user_id: int, count: int = 1) -> None:
    key = _key(user_id)
    cache.add(key, 0, timeout=int(datetime.timedelta(days=2).total_seconds()))
    cache.incr(key, count)


# --- Per hour -------------------------------------------------------------------------------


def _count_this_hour(kind: str, user_id: int) -> tuple[int, float]:
    """Count one more action of this kind by this account; its count this hour and the hour's end.

    A fixed window per clock hour: `add` creates the counter (atomically, only if absent) and
    `incr` is atomic in Redis, so concurrent requests never lose a count.
    """
    start = int(time.time()) // HOUR * HOUR
    key = f"rate:{kind}:{user_id}:{start}"
    cache.add(key, 0, timeout=2 * HOUR)
    return cache.incr(key), start + HOUR


def _refuse(done: str, limit: int, again: str, ends: float) -> None:
    # Imported here: consent.services imports this module, and ConsentError lives there.
    from consent.services import ConsentError

    minutes = max(1, math.ceil((ends - time.time()) / 60))
    at = timezone.localtime(datetime.datetime.fromtimestamp(ends, tz=datetime.UTC))
    raise ConsentError(
        f"You have {done} {limit:,} time{'s' if limit != 1 else ''} this hour, the most one "
        f"account may. You can {again} again at {at:%H:%M} {at.tzname()} (in {minutes} "
        f"minute{'s' if minutes != 1 else ''}); nothing was changed."
    )


def limit_declarations(creator, *, catalogue: bool) -> None:
    """Count a save of choices (for one track, or `catalogue`-wide, opt-outs included); a
    ConsentError saying when to try again once the account is over a limit."""
    count, ends = _count_this_hour("declarations", creator.user_id)
    if count > settings.DECLARATIONS_PER_HOUR:
        _refuse("saved choices", settings.DECLARATIONS_PER_HOUR, "save them", ends)
    if not catalogue:
        return
    count, ends = _count_this_hour("catalogue", creator.user_id)
    if count > settings.CATALOGUE_CHANGES_PER_HOUR:
        _refuse(
            "changed your catalogue-wide choices",
            settings.CATALOGUE_CHANGES_PER_HOUR,
            "change them",
            ends,
        )


def limit_link_changes(creator) -> None:
    """Count an addition or removal of links; a ConsentError once the account is over the limit."""
    count, ends = _count_this_hour("links", creator.user_id)
    if count > settings.LINK_CHANGES_PER_HOUR:
        _refuse("added or removed links", settings.LINK_CHANGES_PER_HOUR, "change links", ends)


def limit_proof_checks(creator) -> None:
    """Count a check of a proof page (each one fetches a page on the web); a ConsentError once
    the account is over the limit."""
    count, ends = _count_this_hour("proof-checks", creator.user_id)
    if count > settings.PROOF_CHECKS_PER_HOUR:
        _refuse("checked proof pages", settings.PROOF_CHECKS_PER_HOUR, "check them", ends)
