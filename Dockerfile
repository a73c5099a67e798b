# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 registry \
    && useradd --system --uid 10001 --gid registry --home-dir /app --no-create-home registry

# Requirements first, so that a code change does not reinstall every package.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected at build time and served by whitenoise from the image. The key
# below exists only for this build step: settings refuse to load without one when debug is off.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=only-used-to-collect-static-files-during-the-image-build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown registry:registry /app/media

USER registry

EXPOSE 8000

# Two processes of four threads (gthread, as bench/README.md measured); --timeout restarts only a
# stuck process, never a long download, which gets --graceful-timeout to finish on a restart.
CMD ["gunicorn", "registry.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--timeout", "120", "--graceful-timeout", "300", "--keep-alive", "30", "--access-logfile", "-"]
