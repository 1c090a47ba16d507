"""In real Chromium: sessions ended from another browser and by deactivation, and a passkey added, used to log in
and removed through the DevTools protocol's virtual authenticator (on http://localhost: a passkey's domain cannot
be an IP address). The security pages are looked at in Persian and Russian, on a phone and a desktop."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import ARTIFACTS, serious_violations

pytestmark = pytest.mark.browser
PASSWORD = "a-long-secret-phrase-9"


def _organization(live_server, slug: str, locale: str = "en"):
    """An organization with its owner and an agent, made in the served app's database."""
    from services.onboarding.operations import SignUp, sign_up
    from tenants.accounts import create_staff
    from tenants.context import enter_tenant
    from tenants.db import db
    from tenants.roles import Role

    with live_server.app.app_context():
        tenant, _owner = sign_up(
            SignUp(
                name="Salamat Clinic",
                slug=slug,
                industry="clinic",
                locale=locale,
                timezone="Asia/Tehran",
                owner_name="Maryam Rahimi",
                owner_email=f"owner@{slug}.example.com",
                password=PASSWORD,
            )
        )
        create_staff(f"agent@{slug}.example.com", "Dana Agent", PASSWORD, Role.AGENT)
        db.session.commit()
        enter_tenant(None)
        return tenant.id


def _log_in(page, base: str, slug: str, email: str) -> None:
    page.goto(f"{base}/{slug}/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[action$='/console/login'] button[type=submit]").click()


def _context(chromium, width: int = 1280):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_ending_other_sessions_and_deactivation_log_the_other_browsers_out(chromium, live_server):
    _organization(live_server, "salamat")
    base, slug = live_server, "salamat"
    first, here = _context(chromium)
    second, there = _context(chromium)
    third, agent = _context(chromium)
    try:
        _log_in(here, base, slug, "owner@salamat.example.com")
        here.wait_for_url(f"{base}/{slug}/console/")
        _log_in(there, base, slug, "owner@salamat.example.com")
        there.wait_for_url(f"{base}/{slug}/console/")
        _log_in(agent, base, slug, "agent@salamat.example.com")
        agent.wait_for_url(f"{base}/{slug}/console/")

        # A copy of a browser's cookies works while its session is open, and not after its log-out.
        copy, copied = _context(chromium)
        try:
            copy.add_cookies(there.context.cookies())
            copied.goto(f"{base}/{slug}/console/complaints")
            assert copied.url == f"{base}/{slug}/console/complaints"
            there.locator("form[action$='/logout'] button:visible").click()
            there.wait_for_url(f"{base}/{slug}/console/login")
            copied.goto(f"{base}/{slug}/console/complaints")
            copied.wait_for_url(f"{base}/{slug}/console/login**")
        finally:
            copy.close()
        _log_in(there, base, slug, "owner@salamat.example.com")
        there.wait_for_url(f"{base}/{slug}/console/")
        here.goto(f"{base}/{slug}/console/account/security")
        assert here.locator("#sessions tbody tr").count() == 2
        here.click("#end-others")
        here.wait_for_selector("#sessions tbody tr >> nth=0")
        assert here.locator("#sessions tbody tr").count() == 1
        there.goto(f"{base}/{slug}/console/complaints")
        there.wait_for_url(f"{base}/{slug}/console/login**")
        assert there.locator("#email").count() == 1

        here.goto(f"{base}/{slug}/console/settings/staff")
        here.once("dialog", lambda dialog: dialog.accept())
        row = here.locator("tr", has_text="Dana Agent")
        row.locator("form[action$='/deactivate'] button").click()
        here.wait_for_selector("tr:has-text('Dana Agent') form[action$='/reactivate']")
        agent.reload()
        agent.wait_for_url(f"{base}/{slug}/console/login**")
        here.goto(f"{base}/{slug}/console/")
        assert here.url == f"{base}/{slug}/console/"
    finally:
        for context in (first, second, third):
            context.close()


def _virtual_authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, found["authenticatorId"]


def test_a_passkey_is_added_used_to_log_in_and_removed(chromium, live_server):
    _organization(live_server, "kelid")
    port = live_server.rsplit(":", 1)[1]
    base, slug = f"http://localhost:{port}", "kelid"
    context, page = _context(chromium)
    try:
        cdp, authenticator = _virtual_authenticator(context, page)
        _log_in(page, base, slug, "owner@kelid.example.com")
        page.wait_for_url(f"{base}/{slug}/console/")
        page.goto(f"{base}/{slug}/console/account/security")
        page.click("a[href$='/security/passkeys/new']")
        page.fill("#passkey_name", "Work laptop")
        page.click("[data-passkey-add]")
        page.wait_for_selector("tr[data-factor='passkey']")
        assert "Work laptop" in page.text_content("#factors")
        assert page.locator("[data-recovery-code]").count() == 10  # the first factor brings the recovery codes
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        assert len(credentials) == 1
        assert credentials[0]["rpId"] == "localhost"

        page.locator("form[action$='/logout'] button:visible").click()
        page.wait_for_url(f"{base}/{slug}/console/login")
        _log_in(page, base, slug, "owner@kelid.example.com")
        page.wait_for_url(f"{base}/{slug}/console/login/verify")
        page.click("[data-passkey-login]")
        page.wait_for_url(f"{base}/{slug}/console/")

        page.goto(f"{base}/{slug}/console/account/security")
        page.locator("tr[data-factor='passkey'] form button").click()
        page.wait_for_selector("#factors:not(:has(tr[data-factor]))")
        page.locator("form[action$='/logout'] button:visible").click()
        _log_in(page, base, slug, "owner@kelid.example.com")
        page.wait_for_url(f"{base}/{slug}/console/")  # no factor left: the password is enough again
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["fa", "ru"])
def test_the_security_pages_read_well_on_a_phone_and_a_desktop(chromium, live_server, lang):
    import re as _re

    slug = f"amniyat-{lang}"
    _organization(live_server, slug, locale=lang)
    base = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    for width in (390, 1280):
        context, page = _context(chromium, width)
        try:
            _log_in(page, base, slug, f"owner@{slug}.example.com")
            page.wait_for_url(f"{base}/{slug}/console/")
            page.goto(f"{base}/{slug}/console/account/security/app")
            secret = page.get_attribute("#totp-secret", "data-secret")
            assert _re.fullmatch(r"[A-Z2-7]{32}", secret)
            found[f"totp {width}"] = serious_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"security-totp-{lang}-{width}.png"), full_page=True)
            page.goto(f"{base}/{slug}/console/account/security")
            assert page.get_attribute("html", "lang") == lang
            found[f"security {width}"] = serious_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"security-{lang}-{width}.png"), full_page=True)
            page.goto(f"{base}/{slug}/console/settings/security")
            found[f"settings {width}"] = serious_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"settings-security-{lang}-{width}.png"), full_page=True)
            # Nothing wider than the phone's screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        finally:
            context.close()
    assert all(not v for v in found.values()), found


@pytest.mark.parametrize("lang", ["fa", "kk"])
def test_the_single_sign_on_pages_read_well_on_a_phone_and_a_desktop(chromium, live_server, lang):
    from tests.fixtures.oidcfake import CLIENT_ID, CLIENT_SECRET, running_fake_oidc

    slug = f"yekparche-{lang}"
    _organization(live_server, slug, locale=lang)
    base = live_server
    found = {}
    with running_fake_oidc() as fake:
        for width in (390, 1280):
            context, page = _context(chromium, width)
            try:
                _log_in(page, base, slug, f"owner@{slug}.example.com")
                page.wait_for_url(f"{base}/{slug}/console/")
                page.goto(f"{base}/{slug}/console/settings/security/sso")
                if width == 390:
                    page.fill("#name", "Salamat ID")
                    page.fill("#issuer", fake.issuer)
                    page.fill("#client_id", CLIENT_ID)
                    page.fill("#client_secret", CLIENT_SECRET)
                    page.locator("form[action$='/security/sso'] button[type=submit]").click()
                    page.wait_for_selector("#sso-linked")
                found[f"sso {width}"] = serious_violations(page)
                page.screenshot(path=str(ARTIFACTS / f"settings-sso-{lang}-{width}.png"), full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
                page.goto(f"{base}/{slug}/console/account/security")
                assert page.locator("#sso-link-state").count() == 1
                context.clear_cookies()
                page.goto(f"{base}/{slug}/console/login")
                assert page.locator("#sso-login").count() == 1
                found[f"login {width}"] = serious_violations(page)
                page.screenshot(path=str(ARTIFACTS / f"login-sso-{lang}-{width}.png"), full_page=True)
            finally:
                context.close()
    assert all(not v for v in found.values()), found
