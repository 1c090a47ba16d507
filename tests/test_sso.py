"""Single sign-on against a small provider of the tests' own (tests/fixtures/oidcfake.py), for what a real one
will not do: wrong audience, issuer or nonce, an unsigned or expired token, a rotated key set, a code of another
provider, a tampered or replayed callback; and who may come in, SSO only, and the provider's MFA trusted."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember
from tenants.security import SecurityEvent, SsoLink, SsoProvider
from tests.fixtures.factories import PASSWORD
from tests.fixtures.oidcfake import CLIENT_ID, CLIENT_SECRET, running_fake_oidc


@pytest.fixture
def fake():
    with running_fake_oidc() as server:
        server.claims["email"] = "person@example.com"  # an address our forms take (.test is refused there)
        yield server


@pytest.fixture
def sso_app(app):
    """The app; its connections may reach loopback, where the providers of these tests listen."""
    return app


def _settings(issuer: str, **changes) -> dict:
    return {
        "mode": "oidc",
        "name": "Salamat ID",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile",
        "email_domains": "",
        "default_role": "agent",
        "is_enabled": "y",
    } | changes


def _set_up(client, made, issuer: str, **changes):
    return client.post(f"/{made.tenant.slug}/console/settings/security/sso", data=_settings(issuer, **changes))


def _set_up_plain(client, made, fake, name: str, scopes: str):
    """Plain OAuth 2.0 with the fake's endpoints typed in, as a Yandex ID style provider is set up."""
    endpoints = {
        "authorize_url": f"{fake.issuer}/authorize",
        "token_url": f"{fake.issuer}/token",
        "userinfo_url": f"{fake.issuer}/userinfo",
    }
    return _set_up(client, made, "", mode="oauth2", name=name, scopes=scopes, **endpoints)


def _invited(app, made, email: str = "person@example.com", role: str = "agent") -> None:
    """An open invitation of `email` (its e-mail is not needed: the provider proves the address)."""
    from tenants.accounts import invite_staff
    from tenants.roles import Role

    with app.app_context(), tenant_scope(made.tenant.id):
        invite_staff(db.session.get(StaffMember, made.owner.id), email, Role(role))
        db.session.commit()


def _member(app, made, email: str = "person@example.com") -> StaffMember:
    with app.app_context(), tenant_scope(made.tenant.id):
        member = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == email))
        db.session.expunge_all()
        return member


def _owner(app, made, login_as):
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return client


def _provider_answer(client, made, *, path: str = "/console/login/sso") -> str:
    """Start at Dadras, let the provider answer (it signs in at once): the callback's path and query."""
    # The log-in page's link is followed; the security page's buttons post.
    url = f"/{made.tenant.slug}{path}"
    start = client.get(url) if path == "/console/login/sso" else client.post(url)
    assert start.status_code == 303, start.get_data(as_text=True)[:300]
    answer = httpx.get(start.headers["Location"], follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:300]
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _sign_in(client, made):
    return client.get(_provider_answer(client, made))


def _events(app, made, kind: str) -> list[SecurityEvent]:
    with app.app_context(), tenant_scope(made.tenant.id):
        rows = list(db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)))
        db.session.expunge_all()
        return rows


def test_a_provider_is_kept_only_once_it_answers_and_accepts_the_client(sso_app, make_app, make_tenant, login_as, fake):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        silent = f"http://127.0.0.1:{free.getsockname()[1]}"
    for issuer, words in (
        (silent, "did not answer"),
        ("ftp://example.com", "starting with https://"),
        ("http://example.com", "must start with https://"),
    ):
        response = _set_up(owner, made, issuer)
        assert response.status_code == 422, issuer
        assert words in response.get_data(as_text=True), issuer
    fake.discovery = "html"
    assert "no OpenID Connect configuration" in _set_up(owner, made, fake.issuer).get_data(as_text=True)
    fake.discovery = "json"
    wrong = _set_up(owner, made, fake.issuer, client_secret="not-the-secret")
    assert wrong.status_code == 422
    assert "does not accept this client id and secret" in wrong.get_data(as_text=True)
    fake.discovery_overrides = {"issuer": "https://elsewhere.example"}
    assert "names itself https://elsewhere.example" in _set_up(owner, made, fake.issuer).get_data(as_text=True)
    fake.discovery_overrides = {}
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoProvider)) == 0

    # Without the operator's word, a loopback or private address is refused.
    strict = make_app(CONNECTIONS_ALLOW_HOSTS=())
    client = strict.test_client()
    login_as(client, made.tenant, made.owner)
    refused = _set_up(client, made, fake.issuer.replace("http://", "https://"))
    assert refused.status_code == 422
    assert "inside a private network" in refused.get_data(as_text=True)

    assert _set_up(owner, made, fake.issuer).status_code == 303
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        provider = db.session.scalar(sa.select(SsoProvider))
        assert CLIENT_SECRET not in provider.client_secret_sealed
        assert provider.endpoints["issuer"] == fake.issuer
    page = sso_app.test_client().get(f"/{made.tenant.slug}/console/login").get_data(as_text=True)
    assert "Sign in with Salamat ID" in page
    # Saved again without a secret: the one kept stays.
    assert _set_up(owner, made, fake.issuer, client_secret="", name="Salamat").status_code == 303


def test_an_invited_person_signs_in_is_linked_by_subject_and_signs_in_again(sso_app, make_tenant, login_as, fake):
    from tests.fixtures.accounts import invite

    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    invite(sso_app, owner, made, login_as, email="person@example.com", role="agent")
    browser = sso_app.test_client()
    response = _sign_in(browser, made)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{made.tenant.slug}/console/"
    assert browser.get(f"/{made.tenant.slug}/console/").status_code == 200
    asked = fake.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256"
    assert asked["nonce"]
    assert asked["state"]
    assert fake.token_requests[-1]["code_challenge_sent"] is True
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        link = db.session.scalar(sa.select(SsoLink))
        member = db.session.get(StaffMember, link.staff_member_id)
        assert (link.subject, member.email, member.role, member.name) == (
            "fake-user-1",
            "person@example.com",
            "agent",
            "Fake Person",
        )
    # The next time the provider says another address: the subject is who it is.
    fake.claims = fake.claims | {"email": "renamed@example.com"}
    again = sso_app.test_client()
    assert _sign_in(again, made).status_code == 303
    assert again.get(f"/{made.tenant.slug}/console/").status_code == 200
    assert len(_events(sso_app, made, "sso_login")) == 2
    assert len(_events(sso_app, made, "sso_linked")) == 1


def test_a_stranger_an_unverified_address_and_another_domain_are_refused(sso_app, make_tenant, login_as, fake):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer, email_domains="example.com").status_code == 303
    for claims, words in (
        ({"sub": "s-1", "email": "stranger@example.com"}, "not on the staff"),
        ({"sub": "s-2", "email": "person@example.com", "email_verified": False}, "has not verified"),
        ({"sub": "s-3", "email": "someone@elsewhere.example"}, "does not serve this e-mail address"),
    ):
        fake.claims = {"email_verified": True, "name": "X"} | claims
        browser = sso_app.test_client()
        response = _sign_in(browser, made)
        assert response.status_code == 403, claims
        assert words in response.get_data(as_text=True)
        assert browser.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert [e.detail for e in _events(sso_app, made, "sso_failed")] == ["not_staff", "unverified", "domain"]


@pytest.fixture
def staffed(sso_app, make_tenant):
    """An organization that invited person@example.com, the provider's user."""
    made = make_tenant()
    _invited(sso_app, made)
    return made


@pytest.mark.parametrize(
    "knob",
    [
        ("audience", "another-client"),
        ("token_issuer", "http://127.0.0.1:1/elsewhere"),
        ("nonce", "wrong"),
        ("nonce", "absent"),
        ("alg", "none"),
        ("alg", "HS256"),
        ("expired", True),
    ],
)
def test_an_id_token_that_fails_a_check_signs_nobody_in(sso_app, staffed, login_as, fake, knob):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    setattr(fake, *knob)
    browser = sso_app.test_client()
    response = _sign_in(browser, made)
    assert response.status_code == 401
    assert "could not be verified" in response.get_data(as_text=True)
    assert browser.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert [e.detail for e in _events(sso_app, made, "sso_failed")] == ["token"]


def test_a_rotated_key_set_and_a_changed_secret_take_effect_at_once(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303
    fake.rotate_key()
    assert _sign_in(sso_app.test_client(), made).status_code == 303
    fake.client_secret = "a-new-secret-from-it"
    assert _sign_in(sso_app.test_client(), made).status_code == 401  # the old secret: refused by the provider
    assert _set_up(owner, made, fake.issuer, client_secret="a-new-secret-from-it").status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303


def test_a_tampered_replayed_or_foreign_callback_is_refused(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    browser = sso_app.test_client()
    back = _provider_answer(browser, made)
    path, query = back.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}
    tampered = browser.get(path, query_string=params | {"state": params["state"] + "x"})
    assert tampered.status_code == 400
    assert "Start again" in tampered.get_data(as_text=True)

    back = _provider_answer(browser, made)
    assert browser.get(back).status_code == 303
    browser.post(f"/{made.tenant.slug}/console/logout")
    replayed = browser.get(back)
    assert replayed.status_code == 400
    assert browser.get(f"/{made.tenant.slug}/console/").status_code == 303

    # The provider's answer says another issuer sent it.
    fake.callback_iss = "http://127.0.0.1:9/another"
    foreign = _sign_in(sso_app.test_client(), made)
    assert foreign.status_code == 400
    assert "another provider" in foreign.get_data(as_text=True)
    # The person refused at the provider.
    fake.callback_iss = fake.issuer
    fake.authorize_error = "access_denied"
    assert _sign_in(sso_app.test_client(), made).status_code == 401
    fake.authorize_error = None
    # Garbage in the callback: a clear 400, never a 500.
    for query in ({}, {"state": "\x00"}, {"code": "x" * 5000, "state": "y"}):
        assert browser.get(f"/{made.tenant.slug}/console/login/sso/callback", query_string=query).status_code == 400


def test_a_code_of_provider_b_at_as_callback_is_refused(sso_app, make_tenant, login_as):
    a, b = make_tenant(), make_tenant()
    for made in (a, b):
        _invited(sso_app, made)
    with running_fake_oidc() as fa, running_fake_oidc() as fb:
        for server in (fa, fb):
            server.claims = server.claims | {"email": "person@example.com"}
        # A does not promise the callback's iss, so a code without one goes as far as A's token endpoint.
        fa.discovery_overrides = {"authorization_response_iss_parameter_supported": False}
        assert _set_up(_owner(sso_app, a, login_as), a, fa.issuer).status_code == 303
        assert _set_up(_owner(sso_app, b, login_as), b, fb.issuer).status_code == 303
        victim, attacker = sso_app.test_client(), sso_app.test_client()
        at_a = parse_qs(_provider_answer(victim, a).split("?", 1)[1])
        at_b = parse_qs(_provider_answer(attacker, b).split("?", 1)[1])
        # B's code with A's state, as an attacker who got a code from B would plant it.
        planted = {"code": at_b["code"][0], "state": at_a["state"][0], "iss": at_b["iss"][0]}
        response = victim.get(f"/{a.tenant.slug}/console/login/sso/callback", query_string=planted)
        assert response.status_code == 400
        assert "another provider" in response.get_data(as_text=True)
        # Without the iss: A's provider does not know B's code, and nobody is signed in.
        at_a = parse_qs(_provider_answer(victim, a).split("?", 1)[1])
        planted = {"code": at_b["code"][0], "state": at_a["state"][0]}
        assert victim.get(f"/{a.tenant.slug}/console/login/sso/callback", query_string=planted).status_code == 401
        assert victim.get(f"/{a.tenant.slug}/console/").status_code == 303
        # A's state at B's callback is nothing there.
        at_a = parse_qs(_provider_answer(victim, a).split("?", 1)[1])
        crossed = {k: v[0] for k, v in at_a.items()}
        assert victim.get(f"/{b.tenant.slug}/console/login/sso/callback", query_string=crossed).status_code == 400


def test_two_organizations_with_one_provider_keep_their_links_apart(sso_app, make_tenant, login_as, fake):
    from tests.fixtures.accounts import invite

    a, b = make_tenant(), make_tenant()
    owner_a, owner_b = _owner(sso_app, a, login_as), _owner(sso_app, b, login_as)
    assert _set_up(owner_a, a, fake.issuer).status_code == 303
    assert _set_up(owner_b, b, fake.issuer).status_code == 303
    invite(sso_app, owner_a, a, login_as, email="person@example.com")
    assert _sign_in(sso_app.test_client(), a).status_code == 303
    # The same person at the same provider is nobody at B, which did not invite them.
    assert _sign_in(sso_app.test_client(), b).status_code == 403
    page = owner_b.get(f"/{b.tenant.slug}/console/settings/security/sso").get_data(as_text=True)
    assert "0 staff members are linked" in page
    log = owner_b.get(f"/{b.tenant.slug}/console/settings/security").get_data(as_text=True)
    assert 'data-kind="sso_linked"' not in log
    assert 'data-kind="sso_failed"' in log  # B's own refusal, and nothing of A's


def test_a_deactivated_member_is_refused_even_when_the_provider_lets_them_in(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303
    agent = _member(sso_app, made)
    owner.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/deactivate")
    response = _sign_in(sso_app.test_client(), made)
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)


def test_sso_only_leaves_passwords_to_the_owner(sso_app, make_tenant, make_user, login_as, fake):
    made = make_tenant()
    agent = make_user(made.tenant)
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer, sso_only="y").status_code == 303
    refused = sso_app.test_client().post(
        f"/{made.tenant.slug}/console/login", data={"email": agent.email, "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert "identity provider" in refused.get_data(as_text=True)
    login_as(sso_app.test_client(), made.tenant, made.owner)  # the owner's way back in
    assert "only for the organization's owners" in sso_app.test_client().get(
        f"/{made.tenant.slug}/console/login"
    ).get_data(as_text=True)


def test_turning_to_sso_only_ends_password_sessions_and_resets_but_the_owners(
    sso_app, make_tenant, make_user, login_as, fake
):
    from services.notifications.models import Notice
    from tenants.accounts import request_password_reset

    made = make_tenant()
    slug = made.tenant.slug
    agent = make_user(made.tenant)
    agents = sso_app.test_client()
    login_as(agents, made.tenant, agent)
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        _member, token = request_password_reset(agent.email)  # a link sent before
        db.session.commit()
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer, sso_only="y").status_code == 303
    assert agents.get(f"/{slug}/console/").status_code == 303  # out at once
    # The owner's session stands (without a factor of their own, it reaches only the page that sets one up).
    assert owner.get(f"/{slug}/console/account/security").status_code == 200
    # The link sent before changes nothing now, and no new one is sent.
    opened = sso_app.test_client().get(f"/{slug}/console/password/reset/{token}")
    assert opened.status_code == 403
    assert "identity provider" in opened.get_data(as_text=True)
    asked = sso_app.test_client().post(f"/{slug}/console/password/forgot", data={"email": agent.email})
    assert asked.status_code == 303
    # The owner's password still works, so theirs is sent.
    sso_app.test_client().post(f"/{slug}/console/password/forgot", data={"email": made.owner.email})
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        sent = db.session.execute(sa.select(Notice.recipient, Notice.event)).all()
    assert (made.owner.email, "password_reset") in sent
    assert (agent.email, "password_reset") not in sent


def test_owners_and_admins_link_only_from_their_security_page(sso_app, make_tenant, make_user, login_as, fake):
    made = make_tenant()
    admin = make_user(made.tenant, role="admin", email="person@example.com")
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    refused = _sign_in(sso_app.test_client(), made)
    assert refused.status_code == 403
    assert "from your security page" in refused.get_data(as_text=True)
    admins = sso_app.test_client()
    login_as(admins, made.tenant, admin)
    back = _provider_answer(admins, made, path="/console/account/security/sso/link")
    assert admins.get(back).headers["Location"] == f"/{made.tenant.slug}/console/account/security"
    assert "linked to Salamat ID" in admins.get(f"/{made.tenant.slug}/console/account/security").get_data(as_text=True)
    fresh = sso_app.test_client()
    assert _sign_in(fresh, made).status_code == 303
    assert fresh.get(f"/{made.tenant.slug}/console/settings/staff").status_code == 200
    assert admins.post(f"/{made.tenant.slug}/console/account/security/sso/unlink").status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 403
    assert len(_events(sso_app, made, "sso_unlinked")) == 1


def test_the_providers_mfa_stands_for_the_factor_only_when_trusted(sso_app, make_tenant, make_user, login_as, fake):
    import re

    import pyotp

    made = make_tenant()
    agent = make_user(made.tenant, email="person@example.com")
    agents = sso_app.test_client()
    login_as(agents, made.tenant, agent)
    html = agents.get(f"/{made.tenant.slug}/console/account/security/app").get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    agents.post(f"/{made.tenant.slug}/console/account/security/app", data={"code": pyotp.TOTP(secret).now()})
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert agents.get(_provider_answer(agents, made, path="/console/account/security/sso/link")).status_code == 303
    fake.claims = fake.claims | {"amr": ["pwd", "mfa"]}
    asked = _sign_in(sso_app.test_client(), made)
    assert asked.headers["Location"] == f"/{made.tenant.slug}/console/login/verify"
    assert _set_up(owner, made, fake.issuer, trust_mfa="y").status_code == 303
    trusted = _sign_in(sso_app.test_client(), made)
    assert trusted.headers["Location"] == f"/{made.tenant.slug}/console/"
    verify = f"/{made.tenant.slug}/console/login/verify"
    # One method is one factor, whichever it is; two of RFC 8176's kinds are two.
    for amr, asks in ((["pwd"], True), (["otp"], True), (["sms", "otp"], True), (["pwd", "otp"], False)):
        fake.claims = fake.claims | {"amr": amr}
        assert (_sign_in(sso_app.test_client(), made).headers["Location"] == verify) is asks, amr


def test_plain_oauth_with_a_user_info_endpoint_like_yandex_id(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    fake.plain_oauth = True
    response = _set_up_plain(owner, made, fake, "Yandex ID", "login:email login:info")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    browser = sso_app.test_client()
    assert _sign_in(browser, made).status_code == 303
    assert browser.get(f"/{made.tenant.slug}/console/").status_code == 200
    assert fake.userinfo_requests


def test_people_of_the_allowed_domains_join_with_the_default_role_never_as_admins(sso_app, make_tenant, login_as, fake):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    for role in ("admin", "owner"):
        refused = _set_up(owner, made, fake.issuer, create_staff="y", email_domains="example.com", default_role=role)
        assert refused.status_code == 422
    no_domains = _set_up(owner, made, fake.issuer, create_staff="y", default_role="manager")
    assert no_domains.status_code == 422
    assert "Name the e-mail domains" in no_domains.get_data(as_text=True)
    saved = _set_up(owner, made, fake.issuer, create_staff="y", email_domains="example.com", default_role="manager")
    assert saved.status_code == 303
    fake.claims = {"sub": "new-9", "email": "newcomer@example.com", "email_verified": True, "name": "Newcomer"}
    browser = sso_app.test_client()
    assert _sign_in(browser, made).status_code == 303
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        member = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == "newcomer@example.com"))
        assert (member.role, member.name) == ("manager", "Newcomer")
    # Another domain's person is still nobody here.
    fake.claims = {"sub": "new-10", "email": "someone@other.example", "email_verified": True}
    assert _sign_in(sso_app.test_client(), made).status_code == 403


def test_someone_already_on_the_staff_is_never_linked_by_e_mail_alone(sso_app, make_tenant, make_user, login_as, fake):
    made = make_tenant()
    agent = make_user(made.tenant, email="person@example.com")
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    refused = _sign_in(sso_app.test_client(), made)
    assert refused.status_code == 403
    assert "link your account to the provider from your security page" in refused.get_data(as_text=True)
    assert [e.detail for e in _events(sso_app, made, "sso_failed")] == ["not_linked"]
    # Logged in with their password, they link it themselves; then the provider lets them in.
    agents = sso_app.test_client()
    login_as(agents, made.tenant, agent)
    assert agents.get(_provider_answer(agents, made, path="/console/account/security/sso/link")).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303
    # An administrator sees the link and can undo it.
    page = owner.get(f"/{made.tenant.slug}/console/settings/security/sso").get_data(as_text=True)
    assert f'data-linked="{agent.id}"' in page
    assert owner.post(f"/{made.tenant.slug}/console/settings/security/sso/links/{agent.id}/remove").status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 403


def test_another_provider_or_client_forgets_the_links_and_asks_for_its_secret(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303
    with running_fake_oidc() as other:
        # The kept secret is never sent to another provider's endpoints: it must be typed.
        blank = _set_up(owner, made, other.issuer, client_secret="")
        assert blank.status_code == 422
        assert "Type the client secret" in blank.get_data(as_text=True)
        assert other.token_requests == []
        assert _set_up(owner, made, other.issuer).status_code == 303
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoLink)) == 0
    # The same provider saved again (its name changed) keeps them.
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 403  # unlinked now: an existing member
    assert _set_up(owner, made, fake.issuer, name="Salamat").status_code == 303


def test_changing_single_sign_on_asks_for_the_password_again(sso_app, make_tenant, login_as, fake):
    from datetime import timedelta

    from tenants.db import utcnow
    from tenants.security import StaffSession

    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession)):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    response = owner.get(f"/{made.tenant.slug}/console/settings/security/sso")
    assert response.headers["Location"].startswith(f"/{made.tenant.slug}/console/account/security/confirm?next=")
    assert _set_up(owner, made, fake.issuer).status_code == 303  # sent to confirm, nothing kept
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoProvider)) == 0


def test_a_person_signed_in_by_the_provider_confirms_there_instead_of_with_a_password(sso_app, staffed, login_as, fake):
    from datetime import timedelta

    from tenants.db import utcnow
    from tenants.security import StaffSession

    made = staffed
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    browser = sso_app.test_client()
    assert _sign_in(browser, made).status_code == 303
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession).where(StaffSession.method == "sso")):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    asked = browser.get(f"/{made.tenant.slug}/console/account/security/app")
    confirm = browser.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="confirm-sso"' in confirm
    back = _provider_answer(browser, made, path="/console/account/security/confirm/sso")
    assert browser.get(back).status_code == 303
    assert browser.get(f"/{made.tenant.slug}/console/account/security/app").status_code == 200
    # Another identity at the provider does not confirm this one.
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession).where(StaffSession.method == "sso")):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    fake.claims = fake.claims | {"sub": "someone-else"}
    back = _provider_answer(browser, made, path="/console/account/security/confirm/sso")
    assert browser.get(back).status_code == 403


def test_an_owner_under_sso_only_needs_a_second_factor_to_use_the_password(sso_app, make_tenant, login_as, fake):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer, sso_only="y").status_code == 303
    again = sso_app.test_client()
    login_as(again, made.tenant, made.owner)
    response = again.get(f"/{made.tenant.slug}/console/")
    assert response.headers["Location"] == f"/{made.tenant.slug}/console/account/security"
    assert again.get(f"/{made.tenant.slug}/console/account/security").status_code == 200


def test_entra_style_tokens_without_email_verified_count_only_when_trusted(sso_app, staffed, login_as, fake):
    made = staffed
    owner = _owner(sso_app, made, login_as)
    fake.claims = {"sub": "entra-1", "preferred_username": "person@example.com", "name": "Person"}
    assert _set_up(owner, made, fake.issuer).status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 403
    assert _set_up(owner, made, fake.issuer, trust_email="y").status_code == 303
    assert _sign_in(sso_app.test_client(), made).status_code == 303


def test_odd_provider_addresses_are_refused_in_place(sso_app, make_tenant, login_as):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    for issuer in ("https://x:99999", "https://[::1", "https://user:pw@example.com", "https://exa mple.com", "\x00"):
        response = _set_up(owner, made, issuer)
        assert response.status_code == 422, issuer
    with running_fake_oidc() as odd:
        odd.discovery_overrides = {"userinfo_endpoint": 5, "token_endpoint_auth_methods_supported": 5}
        assert _set_up(owner, made, odd.issuer).status_code == 303


def test_what_a_provider_sends_is_shown_as_text_never_as_markup(sso_app, make_tenant, login_as, fake):
    made = make_tenant()
    owner = _owner(sso_app, made, login_as)
    fake.discovery_overrides = {"issuer": "https://x.example/<img src=x onerror=alert(1)>"}
    response = _set_up(owner, made, fake.issuer)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def _age_confirmations(app, made) -> None:
    from datetime import timedelta

    from tenants.db import utcnow
    from tenants.security import StaffSession

    with app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession)):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()


def test_confirming_at_the_provider_never_stands_for_a_factor_it_did_not_prove(sso_app, staffed, login_as, fake):
    import re

    import pyotp

    from tenants.security import StaffFactor

    made, slug = staffed, staffed.tenant.slug
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    browser = sso_app.test_client()
    assert _sign_in(browser, made).status_code == 303
    page = browser.get(f"/{slug}/console/account/security/app").get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page)[1]
    assert browser.post(f"/{slug}/console/account/security/app", data={"code": pyotp.TOTP(secret).now()}).status_code
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        factor_id = db.session.scalar(sa.select(StaffFactor.id).where(StaffFactor.kind == "totp"))
    assert factor_id is not None
    _age_confirmations(sso_app, made)
    # The provider (no MFA said, none trusted) is not offered, and its word alone confirms nothing.
    asked = browser.post(f"/{slug}/console/account/security/factors/{factor_id}/remove")
    assert "/account/security/confirm" in asked.headers["Location"]
    assert 'id="confirm-sso"' not in browser.get(asked.headers["Location"]).get_data(as_text=True)
    back = _provider_answer(browser, made, path="/console/account/security/confirm/sso")
    refused = browser.get(back)
    assert refused.status_code == 403
    assert "second factor" in refused.get_data(as_text=True)
    assert (
        "/account/security/confirm"
        in browser.post(f"/{slug}/console/account/security/factors/{factor_id}/remove").headers["Location"]
    )
    # A session signed in with a password confirms with it, not at the provider.
    assert owner.post(f"/{slug}/console/account/security/confirm/sso").status_code == 403


@pytest.mark.parametrize(
    "claims",
    [{"sub": "A" * 256}, {"sub": "a\x00b"}, {"sub": "line\nbreak"}, {"sub": True}, {"sub": ["x"]}],
    ids=["too-long", "nul", "control", "boolean", "list"],
)
def test_a_subject_that_cannot_be_kept_whole_signs_nobody_in(sso_app, staffed, login_as, fake, claims):
    assert _set_up(_owner(sso_app, staffed, login_as), staffed, fake.issuer).status_code == 303
    fake.claims = fake.claims | claims
    assert _sign_in(sso_app.test_client(), staffed).status_code == 401
    assert _member(sso_app, staffed) is None


def test_a_name_from_the_provider_is_kept_as_plain_text(sso_app, staffed, login_as, fake):
    assert _set_up(_owner(sso_app, staffed, login_as), staffed, fake.issuer).status_code == 303
    fake.claims = fake.claims | {"name": "Ali\x00 \u202eRezaei"}
    assert _sign_in(sso_app.test_client(), staffed).status_code == 303
    assert _member(sso_app, staffed).name == "Ali Rezaei"


def test_unlinking_or_removing_the_provider_ends_the_sessions_it_opened(sso_app, make_tenant, login_as, fake):
    made = make_tenant()
    _invited(sso_app, made)
    _invited(sso_app, made, email="second@example.com")
    owner = _owner(sso_app, made, login_as)
    assert _set_up(owner, made, fake.issuer).status_code == 303
    first, second = sso_app.test_client(), sso_app.test_client()
    assert _sign_in(first, made).status_code == 303
    fake.claims = fake.claims | {"sub": "second-person", "email": "second@example.com"}
    assert _sign_in(second, made).status_code == 303
    console = f"/{made.tenant.slug}/console/"
    member = _member(sso_app, made)
    assert owner.post(f"{console}settings/security/sso/links/{member.id}/remove").status_code == 303
    assert first.get(console).status_code == 303  # out at once
    assert second.get(console).status_code == 200
    _age_confirmations(sso_app, made)
    owner.post(f"{console}account/security/confirm", data={"password": PASSWORD})
    assert owner.post(f"{console}settings/security/sso/remove").status_code == 303
    assert second.get(console).status_code == 303
    assert owner.get(console).status_code == 200  # a password session is not the provider's


@pytest.mark.parametrize(
    "case",
    [
        ("https://a..example.com", {}),
        ("https://" + "a" * 64 + ".example.com", {}),
        (None, {"token_endpoint": "https://" + "a" * 64 + ".example.com/token"}),
        (None, {"issuer": "ISSUER" + "/" * 600}),
    ],
    ids=["empty-label", "long-label", "endpoint-long-label", "issuer-too-long"],
)
def test_addresses_no_name_or_column_can_hold_are_refused_in_place(sso_app, make_tenant, login_as, fake, case):
    issuer, overrides = case
    made = make_tenant()
    fake.discovery_overrides = {
        key: value.replace("ISSUER", fake.issuer) if isinstance(value, str) else value
        for key, value in overrides.items()
    }
    response = _set_up(_owner(sso_app, made, login_as), made, issuer or fake.issuer)
    assert response.status_code == 422
    with sso_app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoProvider)) == 0


def test_odd_token_answers_are_refusals_written_to_the_log(sso_app, staffed, login_as, fake, monkeypatch):
    from tests.fixtures.oidcfake import FakeOidcHandler

    assert _set_up(_owner(sso_app, staffed, login_as), staffed, fake.issuer).status_code == 303
    fake.token_error = "bad\x00thing"
    assert _sign_in(sso_app.test_client(), staffed).status_code == 401
    fake.token_error = None
    reply = FakeOidcHandler._reply

    def endless(self, status, body):
        reply(self, status, body | {"expires_in": float("inf")} if "access_token" in body else body)

    monkeypatch.setattr(FakeOidcHandler, "_reply", endless)
    assert _sign_in(sso_app.test_client(), staffed).status_code == 401
    assert len(_events(sso_app, staffed, "sso_failed")) == 2


def test_plain_oauth_asks_no_openid_scope_it_could_not_check(sso_app, staffed, login_as, fake):
    owner = _owner(sso_app, staffed, login_as)
    saved = _set_up_plain(owner, staffed, fake, "Generic", "openid email profile")
    assert saved.status_code == 303
    with sso_app.app_context(), tenant_scope(staffed.tenant.id):
        assert db.session.scalar(sa.select(SsoProvider.scopes)) == "email profile"
    assert _sign_in(sso_app.test_client(), staffed).status_code == 303
