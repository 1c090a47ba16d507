"""CSRF: every form refuses a missing or wrong token with a clear message, and keeps nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tenants.context import platform_scope
from tenants.db import db
from tenants.models import Tenant
from tests.fixtures.accounts import SIGNUP as GOOD


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
    response = client.post("/signup", data=GOOD | {"csrf_token": token})
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
