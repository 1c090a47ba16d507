"""/healthz and /readyz."""

from __future__ import annotations

import re


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


def test_the_icon_is_served_where_browsers_ask_for_it(client, make_tenant):
    made = make_tenant()
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get(f"/{made.tenant.slug}/").get_data(as_text=True)
    linked = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    with client.get(linked) as svg:
        assert svg.status_code == 200
        assert svg.mimetype == "image/svg+xml"
