"""The health check that compose and load balancers probe."""

import pytest


@pytest.mark.django_db
def test_it_answers_ok_when_the_database_and_cache_answer(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "status": "ok"}


@pytest.mark.django_db
def test_it_answers_503_and_names_the_cache_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["cache"].startswith("error")
    assert response.json()["database"] == "ok"
