"""Celery names tasks by strings in queued messages and the beat schedule: moving a task's code
to another module must not change the name a worker knows it by."""

from django.conf import settings

from api.webhooks import emails, tasks
from registry.celery import app

# The names messages already sitting in a broker carry.
NAMES = {
    tasks.deliver_webhooks: "api.tasks.deliver_webhooks",
    tasks.sweep_webhooks: "api.tasks.sweep_webhooks",
    tasks.send_test_event: "api.tasks.send_test_event",
    tasks.prune_webhook_log: "api.tasks.prune_webhook_log",
    emails.email_endpoint_disabled: "api.notifications.email_endpoint_disabled",
}


def test_webhook_tasks_keep_the_names_queued_messages_carry():
    assert [task.name for task in NAMES] == list(NAMES.values())
    for name in NAMES.values():
        assert name in app.tasks, name


def test_every_task_the_beat_schedule_names_is_registered():
    app.loader.import_default_modules()
    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert not missing
