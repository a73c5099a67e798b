"""How the project's emails leave: queued on Celery, or sent in-process when the broker is down.

An email matters more than the queue it travels through: a verification link, a dispute's
decision, a collision notice or a disabled webhook must reach its reader even while the broker
is unreachable. Callers render the email (or pass the ids its task renders it from) and hand the
task and its arguments to `queue_email`; callers inside a transaction do so on commit.
"""

import logging

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def queue_email(task: Task, *args, what: str = "an email") -> None:
    """Queue `task(*args)` on the broker; if the broker is unreachable, run it here and now.

    In-process the task's own errors reach the caller, as a direct send's would. `what` names
    the email in the warning logged then, e.g. "a dispute email".
    """
    try:
        task.delay(*args)
    except OperationalError:
        logger.warning("Broker unreachable; sending %s in-process.", what)
        task.apply(args=args, throw=True)
