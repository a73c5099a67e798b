"""Health checks of the docker compose services that have no HTTP endpoint of their own.

`healthcheck.py web URL`: the URL (the app's /api/health) answers 200. The request names the
first allowed host and says it arrived over HTTPS, as a TLS proxy would, so that neither
ALLOWED_HOSTS nor the HTTPS redirect turns the probe away.
`healthcheck.py broker`: the Celery broker accepts a connection (used for beat, whose only
job is to put tasks on the broker).
"""

import os
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def probe_host() -> str:
    allowed = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in allowed if h and h != "*"), "localhost")
    return host.lstrip(".")


def check_web(url: str) -> str | None:
    if not url.startswith("http://"):
        return f"{url} is not an http:// URL"
    headers = {"Host": probe_host(), "X-Forwarded-Proto": "https"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return None if response.status == 200 else f"{url} answered {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except OSError as exc:
        return f"{url} is unreachable: {exc}"


def check_broker() -> str | None:
    from kombu import Connection

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url:
        return "CELERY_BROKER_URL is not set"
    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to connect means unhealthy
        return f"the broker is unreachable: {exc.__class__.__name__}"
    return None


def main(argv: list[str]) -> int:
    if argv[:1] == ["web"] and len(argv) == 2:
        problem = check_web(argv[1])
    elif argv == ["broker"]:
        problem = check_broker()
    else:
        print("usage: healthcheck.py web URL | healthcheck.py broker", file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
