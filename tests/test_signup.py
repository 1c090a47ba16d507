"""Sign-up: a tenant with its owner and its industry's template; bad input answers 422 and keeps nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.catalog.models import Category, Unit
from tenants.context import platform_scope, tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant
from tests.fixtures.accounts import SIGNUP as GOOD
from tests.fixtures.accounts import post_signup


def tenant_count(app) -> int:
    with app.app_context(), platform_scope():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Tenant))


def test_signup_lands_the_owner_logged_in_on_the_console(client):
    response = post_signup(client, GOOD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/shifa/console/"
    console = client.get("/shifa/console/")
    assert console.status_code == 200
    assert "Leila Ahmadi" in console.get_data(as_text=True)


def test_signup_creates_the_owner_with_a_hashed_password(app, client):
    post_signup(client, GOOD)
    with app.app_context():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "shifa"))
        with tenant_scope(tenant.id):
            owner = db.session.scalar(sa.select(StaffMember))
    assert owner.role == "owner"
    assert owner.email == "leila@shifa.example.com"
    assert owner.password_hash.startswith("$argon2")


@pytest.mark.parametrize(
    ("industry", "unit_key"), [("clinic", "reception"), ("supplier", "quality-control"), ("beauty_salon", "hair")]
)
def test_signup_applies_the_industry_template(app, client, industry, unit_key):
    from services.onboarding.templates import load_template

    post_signup(client, GOOD | {"industry": industry})
    template = load_template(industry)
    with app.app_context():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "shifa"))
        with tenant_scope(tenant.id):
            units = db.session.scalars(sa.select(Unit.key).order_by(Unit.position)).all()
            categories = db.session.scalar(sa.select(sa.func.count()).select_from(Category))
    assert units == [u["key"] for u in template["units"]]
    assert unit_key in " ".join(units)
    assert categories == sum(1 + len(c["children"]) for c in template["categories"])


def test_signup_reads_the_address_with_latin_digits_and_keeps_the_name_as_typed(app, client):
    response = post_signup(client, GOOD | {"name": "  كلينيك ۱۲ ", "slug": "clinic-۱۲"})
    assert response.status_code == 303
    with app.app_context():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "clinic-12"))
    # The name is the organization's own words: its digits stay Persian; Arabic letters become Persian ones.
    assert tenant.name == "کلینیک ۱۲"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "signup"}, "reserved"),
        ({"slug": "track"}, "reserved"),
        ({"slug": "Bad Slug!"}, "lower-case"),
        ({"slug": "ab"}, "Use 3 to 40 characters"),
        ({"owner_email": "not-an-address"}, "Invalid email"),
        ({"password": "short", "password_again": "short"}, "at least 10"),
        ({"password": "password123", "password_again": "password123"}, "easy to guess"),
        ({"password_again": "something-else-entirely"}, "passwords differ"),
        ({"name": "x" * 201}, "200"),
        ({"owner_name": "y" * 121}, "120"),
        ({"owner_email": "a" * 250 + "@example.com"}, "254"),
        ({"industry": "casino"}, "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_signup_is_refused_with_a_message_and_creates_nothing(app, client, changes, message):
    response = post_signup(client, GOOD | changes)
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    assert tenant_count(app) == 0


def test_a_refused_signup_keeps_what_was_typed(client):
    response = post_signup(client, GOOD | {"slug": "api"})
    body = response.get_data(as_text=True)
    assert 'value="Shifa Clinic"' in body
    assert 'value="leila@shifa.example.com"' in body


def test_taken_slug_is_refused(app, client, make_tenant):
    make_tenant(slug="shifa")
    response = post_signup(client, GOOD)
    assert response.status_code == 422
    assert "already taken" in response.get_data(as_text=True)
    assert tenant_count(app) == 1


def test_double_submit_creates_one_tenant(app, client):
    first = post_signup(client, GOOD)
    second = post_signup(client, GOOD)
    assert first.status_code == 303
    assert second.status_code == 422
    assert tenant_count(app) == 1


def test_missing_fields_are_refused(app, client):
    response = post_signup(client, {})
    assert response.status_code == 422
    assert tenant_count(app) == 0


def test_unknown_slug_is_404_before_authentication(client):
    response = client.get("/no-such-org/console/")
    assert response.status_code == 404
    assert client.get("/no-such-org/console/login").status_code == 404


def test_control_characters_and_line_breaks_are_cleaned(app, client):
    response = post_signup(client, GOOD | {"name": "Shifa\x00 Clinic\r\nBranch", "owner_name": "Leila\x07"})
    assert response.status_code == 303
    with app.app_context():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "shifa"))
    assert tenant.name == "Shifa Clinic Branch"


def test_a_nul_in_the_login_form_is_not_a_server_error(client, make_tenant):
    made = make_tenant()
    response = client.post(f"/{made.tenant.slug}/console/login", data={"email": "a\x00b", "password": "x\x00y"})
    assert response.status_code == 401


def test_a_race_on_a_unique_row_answers_409_not_500(app, client, monkeypatch):
    import services.onboarding.operations as ops

    post_signup(client, GOOD)
    monkeypatch.setattr(ops, "slug_taken", lambda slug: False)  # as if both requests checked at once
    other = app.test_client()
    response = other.post("/signup", data=GOOD | {"owner_email": "second@shifa.example.com"})
    assert response.status_code in {409, 422}
    assert tenant_count(app) == 1
