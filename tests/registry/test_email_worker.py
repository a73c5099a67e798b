"""Emails travel through a real Celery worker on real Redis, and survive a broker outage.

Every email leaves through `consent.mail.queue_email`: queued while the broker answers, sent
in-process while it does not.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.test import RequestFactory

from api.models import WebhookEndpoint
from api.webhooks.emails import notify_disabled
from consent.mail import queue_email
from consent.models import Platform
from registry.adapters import AccountAdapter
from registry.celery import app
from registry.tasks import send_email

ROOT = Path(__file__).resolve().parents[2]


def reset_connections() -> None:
    """Forget pooled connections and producers made for the previous broker URL."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker():
    """Point the project's Celery app at the test Redis for this test only."""
    saved = {
        k: app.conf[k] for k in ("task_always_eager", "broker_url", "broker_connection_timeout")
    }
    app.conf.update(task_always_eager=False, broker_url=os.environ["REDIS_URL"])
    reset_connections()
    yield app
    app.conf.update(saved)
    reset_connections()


@pytest.fixture
def worker(tmp_path):
    env = os.environ | {
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "registry", "worker", "--pool=solo",
         "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield tmp_path
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for_email(folder: Path, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in folder.glob("*.log"):
            content = path.read_text()
            if text in content:
                return content
        time.sleep(0.2)
    raise AssertionError(f"no email containing {text!r} arrived within {timeout} s")


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_worker_sends_the_email_queued_on_redis(real_broker, worker):
    send_email.delay("Welcome", "Confirm your address, please.", "from@example.org", ["a@b.org"])
    content = wait_for_email(worker, "Confirm your address, please.")
    assert "Subject: Welcome" in content
    assert "To: a@b.org" in content


def cut_the_broker_off() -> None:
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.broker_connection_timeout = 1
    reset_connections()


@pytest.mark.django_db  # an account email looks up the artist it greets
def test_with_the_broker_down_the_email_is_sent_in_process(real_broker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cut_the_broker_off()
    adapter = AccountAdapter(RequestFactory().get("/"))
    adapter.send_mail("account/email/unknown_account", "someone@example.org", {"email": "x"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["someone@example.org"]


def test_queue_email_leaves_the_sending_to_a_worker_while_the_broker_answers(
    real_broker, worker, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    queue_email(send_email, "Queued", "Sent by the worker.", "from@example.org", ["q@b.org"])
    content = wait_for_email(worker, "Sent by the worker.")
    assert "Subject: Queued" in content
    assert mail.outbox == []  # nothing was sent by this process


def test_queue_email_sends_in_process_while_the_broker_is_unreachable(real_broker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cut_the_broker_off()
    queue_email(send_email, "Fallback", "Sent here.", "from@example.org", ["d@b.org"])
    (email,) = mail.outbox
    assert (email.subject, email.body, email.to) == ("Fallback", "Sent here.", ["d@b.org"])


@pytest.mark.django_db
def test_a_disabled_webhook_notice_is_sent_in_process_while_the_broker_is_unreachable(
    real_broker, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    platform = Platform.objects.create(
        name="Acme",
        contact_email="api@acme.example",
        intended_use="Filtering a training dataset.",
        status=Platform.Status.APPROVED,
    )
    endpoint = WebhookEndpoint.objects.create(
        platform=platform, url="https://hooks.acme.example/c", enabled=False, secret="whsec_x"
    )
    cut_the_broker_off()
    with django_capture_on_commit_callbacks(execute=True):
        notify_disabled(endpoint)
    (email,) = mail.outbox
    assert email.to == ["api@acme.example"]
    assert "A webhook endpoint of Acme is disabled" in email.subject
