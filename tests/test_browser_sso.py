"""In real Chromium against a real OpenID Connect provider (oidc-provider on Node.js, on loopback): an invited
staff member signs in, is linked and signs in again; a stranger is refused; two organizations with two providers
do not mix."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.fixtures.oidcprovider import running_oidc_provider

pytestmark = pytest.mark.browser
PASSWORD = "a-long-secret-phrase-9"
ACCOUNTS = [
    {
        "sub": "u-nasrin",
        "login": "nasrin",
        "email": "nasrin@salamat.example.com",
        "email_verified": True,
        "name": "Nasrin Karimi",
    },
    {"sub": "u-guest", "login": "guest", "email": "guest@salamat.example.com", "email_verified": True, "name": "Guest"},
]


def _organization(app, slug: str):
    from services.onboarding.operations import SignUp, sign_up
    from tenants.context import enter_tenant
    from tenants.db import db

    with app.app_context():
        tenant, owner = sign_up(
            SignUp(
                name=f"Clinic {slug}",
                slug=slug,
                industry="clinic",
                locale="en",
                timezone="Asia/Almaty",
                owner_name="Owner",
                owner_email=f"owner@{slug}.example.com",
                password=PASSWORD,
            )
        )
        db.session.commit()
        ids = tenant.id, owner.id
        enter_tenant(None)
        return ids


def _client(live, slug: str) -> dict:
    return {
        "client_id": f"dadras-{slug}",
        "client_secret": f"secret-of-{slug}-0123456789",
        "redirect_uris": [f"{live}/{slug}/console/login/sso/callback"],
        "token_endpoint_auth_method": "client_secret_basic",
    }


def _provider_in_settings(page, live, slug: str, issuer: str, client: dict) -> None:
    page.goto(f"{live}/{slug}/console/login")
    page.fill("#email", f"owner@{slug}.example.com")
    page.fill("#password", PASSWORD)
    page.locator("form[action$='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{live}/{slug}/console/")
    page.goto(f"{live}/{slug}/console/settings/security/sso")
    assert page.input_value("#callback-url") == client["redirect_uris"][0]
    page.fill("#name", f"{slug} ID")
    page.fill("#issuer", issuer)
    page.fill("#client_id", client["client_id"])
    page.fill("#client_secret", client["client_secret"])
    page.locator("form[action$='/security/sso'] button[type=submit]").click()
    page.wait_for_selector("#sso-linked")
    page.locator("form[action$='/logout'] button:visible").click()


def _invite(app, tenant_id: int, owner_id: int, email: str) -> None:
    from tenants.accounts import invite_staff
    from tenants.context import tenant_scope
    from tenants.db import db
    from tenants.models import StaffMember
    from tenants.roles import Role

    with app.app_context(), tenant_scope(tenant_id):
        invite_staff(db.session.get(StaffMember, owner_id), email, Role.AGENT)
        db.session.commit()


def _sign_in_at_provider(page, live, slug: str, login: str) -> None:
    page.goto(f"{live}/{slug}/console/login")
    page.click("#sso-login")
    page.get_by_label("Login").fill(login)
    page.get_by_role("button", name="Sign in").click()


def _links(app, tenant_id: int) -> list[tuple[str, str]]:
    from tenants.context import tenant_scope
    from tenants.db import db
    from tenants.security import SsoLink

    with app.app_context(), tenant_scope(tenant_id):
        return [(link.issuer, link.subject) for link in db.session.scalars(sa.select(SsoLink))]


def test_staff_sign_in_with_their_organizations_own_provider(chromium, live_server):
    app = live_server.app
    app.config["BASE_URL"] = str(live_server)
    live = str(live_server)
    a_id, a_owner = _organization(app, "sso-a")
    b_id, _b_owner = _organization(app, "sso-b")
    client_a, client_b = _client(live, "sso-a"), _client(live, "sso-b")
    with running_oidc_provider([client_a], ACCOUNTS) as idp_a, running_oidc_provider([client_b], ACCOUNTS) as idp_b:
        contexts = []

        def fresh():
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            return page

        try:
            _provider_in_settings(fresh(), live, "sso-a", idp_a.issuer, client_a)
            _provider_in_settings(fresh(), live, "sso-b", idp_b.issuer, client_b)
            _invite(app, a_id, a_owner, "nasrin@salamat.example.com")

            # The invited person signs in at A's provider and is linked by the provider's subject.
            nasrin = fresh()
            _sign_in_at_provider(nasrin, live, "sso-a", "nasrin")
            nasrin.wait_for_url(f"{live}/sso-a/console/")
            assert "Nasrin Karimi" in nasrin.text_content("#user-menu")
            assert _links(app, a_id) == [(idp_a.issuer, "u-nasrin")]
            nasrin.locator("form[action$='/logout'] button:visible").click()
            nasrin.wait_for_url(f"{live}/sso-a/console/login")
            # Again: the provider remembers her, and Dadras finds her by the link.
            nasrin.click("#sso-login")
            if "/sso-a/console/" not in nasrin.url:
                nasrin.wait_for_load_state()
                if nasrin.get_by_label("Login").count():
                    nasrin.get_by_label("Login").fill("nasrin")
                    nasrin.get_by_role("button", name="Sign in").click()
            nasrin.wait_for_url(f"{live}/sso-a/console/")

            # A stranger the provider knows, but the organization never invited, is refused.
            guest = fresh()
            _sign_in_at_provider(guest, live, "sso-a", "guest")
            guest.wait_for_selector("text=not on the staff")
            guest.goto(f"{live}/sso-a/console/")
            assert "/console/login" in guest.url

            # B has its own provider: the same person there is nobody B invited, and A's link is not B's.
            at_b = fresh()
            _sign_in_at_provider(at_b, live, "sso-b", "nasrin")
            at_b.wait_for_selector("text=not on the staff")
            assert _links(app, b_id) == []
            assert _links(app, a_id) == [(idp_a.issuer, "u-nasrin")]
        finally:
            for context in contexts:
                context.close()
