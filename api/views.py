"""The machine face. For now: a health check that load balancers and compose can probe."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def health(request):
    """200 when the database and the cache answer, 503 (with which one failed) otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means unhealthy; the reason is reported
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("health-probe", "1", 5)
        checks["cache"] = "ok" if cache.get("health-probe") == "1" else "error: no read-back"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = checks | {"status": "ok" if healthy else "error"}
    return JsonResponse(body, status=200 if healthy else 503)
