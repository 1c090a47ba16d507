"""/healthz and /readyz."""

from __future__ import annotations


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok"}


def test_readyz_checks_redis_when_configured(make_app, redis_url):
    response = make_app(REDIS_URL=redis_url).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_down(make_app):
    response = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == "failed"
