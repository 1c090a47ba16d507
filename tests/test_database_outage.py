"""PostgreSQL away or stalled, behind a TCP proxy of the test's own: pages answer 503 with Retry-After in the
visitor's language within seconds, /readyz within a second, and everything works again once it is back."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.fixtures.app import base_overrides
from tests.fixtures.committing import remove_committed, sign_up_committed
from tests.fixtures.factories import PASSWORD
from web import create_app

QUICKLY = 5.0  # seconds a page may take to say the database is away


@pytest.fixture
def outage(pg_database, tmp_path, tcp_proxy):
    """An app whose transactions commit, on PostgreSQL through a proxy; a Persian organization with its owner."""
    url = sa.make_url(pg_database["app"])
    proxy = tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(
        base_overrides(tmp_path)
        | {
            "SQLALCHEMY_DATABASE_URI": through,
            "DATABASE_CONNECT_TIMEOUT": 2,
            "DATABASE_STATEMENT_TIMEOUT": 1,
            "DATABASE_POOL_TIMEOUT": 2,
        }
    )
    slug = f"outage-{time.monotonic_ns() % 10**9}"
    tenant_id, _owner_id = sign_up_committed(app, slug, name="درمانگاه", locale="fa", owner_name="مدیر")
    yield app, proxy, slug
    proxy.restore()
    remove_committed(pg_database, [app], [tenant_id])


def _staff_client(app, slug):
    client = app.test_client()
    response = client.post(f"/{slug}/console/login", data={"email": f"owner@{slug}.example.com", "password": PASSWORD})
    assert response.status_code == 303
    assert client.get(f"/{slug}/console/").status_code == 200
    return client


def _forget_found_tenants(app) -> None:
    """Age the process's memory of organizations, so the next request must look its tenant up."""
    cache = app.extensions.get("dadras.tenants_by_slug", {})
    for slug, (_, values) in list(cache.items()):
        cache[slug] = (0.0, values)


def _timed(client, url, **kwargs):
    started = time.monotonic()
    response = client.get(url, **kwargs)
    return response, time.monotonic() - started


def _assert_unavailable_in_persian(response, took):
    assert took < QUICKLY, f"the page took {took:.1f} s"
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert 'lang="fa"' in page
    assert 'dir="rtl"' in page
    assert "در دسترس نیست" in page
    assert "۵۰۳" in page


@pytest.mark.parametrize("fault", ["cut", "stall"])
def test_pages_answer_503_in_the_visitors_language_while_the_database_is_away(outage, fault):
    app, proxy, slug = outage
    staff = _staff_client(app, slug)
    visitor = app.test_client()
    assert visitor.get(f"/{slug}/", headers={"Accept-Language": "en"}).status_code == 200
    getattr(proxy, fault)()
    _forget_found_tenants(app)

    _assert_unavailable_in_persian(*_timed(visitor, f"/{slug}/", headers={"Accept-Language": "en"}))
    _assert_unavailable_in_persian(*_timed(staff, f"/{slug}/console/"))
    _assert_unavailable_in_persian(*_timed(visitor, f"/{slug}/track", headers={"Accept-Language": "en"}))
    ready, took = _timed(visitor, "/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "failed"
    assert took < 1.0, f"/readyz took {took:.1f} s"

    proxy.restore()
    time.sleep(0.2)
    assert visitor.get(f"/{slug}/", headers={"Accept-Language": "en"}).status_code == 200
    assert staff.get(f"/{slug}/console/").status_code == 200
    deadline = time.monotonic() + 10
    while visitor.get("/readyz").status_code != 200:  # a check still waiting on the stall ends first
        assert time.monotonic() < deadline, "/readyz never recovered"
        time.sleep(0.2)


def test_a_json_client_is_told_503_in_json(outage):
    app, proxy, slug = outage
    proxy.cut()
    _forget_found_tenants(app)
    response = app.test_client().get(f"/{slug}/track", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert set(response.json) == {"error", "message"}
