#!/usr/bin/env bash
# The development server of `make run`. With CELERY_BROKER_URL set, a Celery worker and Celery
# beat run beside it, and they stop when the server stops (Ctrl-C), so nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
ADDRESS=${ADDRESS:-127.0.0.1:8000}
background=()

stop_background() {
    if [ ${#background[@]} -gt 0 ]; then
        kill -TERM "${background[@]}" 2>/dev/null || true
        wait "${background[@]}" 2>/dev/null || true
    fi
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${CELERY_BROKER_URL:-}" ]; then
    "$BIN/celery" -A registry worker --loglevel=INFO &
    background+=("$!")
    mkdir -p tmp
    "$BIN/celery" -A registry beat --loglevel=INFO --schedule tmp/celerybeat-schedule &
    background+=("$!")
    echo "Started a Celery worker and Celery beat; they stop when the server stops."
fi

"$BIN/python" manage.py runserver "$ADDRESS"
