"""CSRF: every form refuses a missing or wrong token with a clear message, and keeps nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tenants.context import platform_scope
from tenants.db import db
from tenants.models import Tenant
from tests.fixtures.accounts import SIGNUP as GOOD
from tests.fixtures.accounts import signup_proof


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_signup_without_a_token_is_refused_and_creates_nothing(csrf_app):
    response = csrf_app.test_client().post("/signup", data=GOOD)
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    with csrf_app.app_context(), platform_scope():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == 0


def test_signup_with_a_wrong_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    client.get("/signup")
    response = client.post("/signup", data=GOOD | {"csrf_token": "forged"})
    assert response.status_code == 400


def test_signup_with_the_right_token_works(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/signup", data=GOOD | signup_proof(client) | {"csrf_token": token})
    assert response.status_code == 303


def test_the_htmx_header_carries_the_token(csrf_app):
    page = csrf_app.test_client().get("/signup").get_data(as_text=True)
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', page)


def test_login_without_a_token_is_refused(csrf_app, make_tenant):
    made = make_tenant()
    response = csrf_app.test_client().post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": "x"}
    )
    assert response.status_code == 400


def test_a_log_in_starts_a_new_form_token(csrf_app, make_tenant):
    from tests.fixtures.factories import PASSWORD

    made = make_tenant()
    client = csrf_app.test_client()
    url = f"/{made.tenant.slug}/console/login"
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
    with client.session_transaction() as session:
        planted = session["csrf_token"]
    login = client.post(url, data={"email": made.owner.email, "password": PASSWORD, "csrf_token": before.group(1)})
    assert login.status_code == 303
    with client.session_transaction() as session:
        assert session.get("csrf_token") != planted
    stale = client.post(f"/{made.tenant.slug}/console/logout", data={"csrf_token": before.group(1)})
    assert stale.status_code == 400
