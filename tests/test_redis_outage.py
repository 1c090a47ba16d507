"""Losing Redis loses no filing: the limits and the replay check fall back to the process, and go back after."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.factories import PASSWORD
from tests.fixtures.portal import file_complaint, filing, form_page


@pytest.fixture
def redis_app(make_app, own_redis):
    return make_app(REDIS_URL=own_redis.url, RATELIMIT_STORAGE_URI=own_redis.url, REDIS_TIMEOUT=0.5)


def _complaints(app, made) -> int:
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))


def test_filing_goes_on_while_redis_is_down(redis_app, make_tenant, own_redis):
    made = make_tenant(locale="fa")
    client = redis_app.test_client()
    page = form_page(client, made.tenant.slug)  # the form was opened while Redis answered
    own_redis.stop()
    response = client.post(f"/{made.tenant.slug}/complaints/new", data=filing(page))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert _complaints(redis_app, made) == 1
    assert client.get(response.headers["Location"]).status_code == 200  # the receipt
    assert file_complaint(redis_app.test_client(), made.tenant.slug, subject="دومین شکایت").status_code == 303
    assert _complaints(redis_app, made) == 2


def test_filing_answers_quickly_while_redis_is_frozen(redis_app, make_tenant, own_redis):
    made = make_tenant(locale="fa")
    client = redis_app.test_client()
    page = form_page(client, made.tenant.slug)
    own_redis.freeze()
    try:
        started = time.monotonic()
        response = client.post(f"/{made.tenant.slug}/complaints/new", data=filing(page))
        took = time.monotonic() - started
    finally:
        own_redis.thaw()
    assert response.status_code == 303
    assert _complaints(redis_app, made) == 1
    assert took < 4, f"a frozen Redis held the filing {took:.1f} s"


def test_logins_go_on_while_redis_is_down(redis_app, make_tenant, own_redis):
    made = make_tenant()
    own_redis.stop()
    response = redis_app.test_client().post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": PASSWORD}
    )
    assert response.status_code == 303


def test_the_limits_count_in_the_process_during_the_outage_and_in_redis_after(redis_app, own_redis):
    from tenants import throttle

    own_redis.stop()
    with redis_app.test_request_context():
        assert throttle.hit("login_ip", "203.0.113.9")
        limiter = redis_app.extensions["dadras.limiter"]
        assert limiter._failed_at is not None  # counting in the process now
        own_redis.start()
        limiter._failed_at -= throttle.RETRY_REDIS_AFTER + 1  # the retry time has come
        assert throttle.hit("login_ip", "203.0.113.9")
        assert limiter._failed_at is None  # back on Redis
