"""Celery tasks of the platforms' face other than webhook delivery (api/webhooks/tasks.py)."""

from celery import shared_task

from api import platform_figures


@shared_task(name="api.tasks.refresh_platforms_page", ignore_result=True)
def refresh_platforms_page() -> int:
    """Beat task: recompute the figures of /platforms/ so visitors never wait for them."""
    return len(platform_figures.refresh().platforms)
