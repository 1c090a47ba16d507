"""The second factor: an authenticator app (pyotp plays the phone), recovery codes, the organization's policy, the
attempt limit, and an administrator's reset."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant
from tenants.security import SecurityEvent, StaffFactor, StaffSession
from tests.fixtures.factories import PASSWORD


def _enrol(client, slug: str) -> tuple[pyotp.TOTP, list[str]]:
    """Set up an authenticator app from the security page, as a person with a phone would; its recovery codes."""
    page = client.get(f"/{slug}/console/account/security/app")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html  # the QR code
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    totp = pyotp.TOTP(secret)
    response = client.post(f"/{slug}/console/account/security/app", data={"code": totp.now(), "name": "Pixel"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    security = client.get(f"/{slug}/console/account/security").get_data(as_text=True)
    codes = re.findall(r"<li class=\"col\" data-recovery-code>([a-z0-9-]+)</li>", security)
    assert len(codes) == 10
    # Shown once: the next visit has none.
    assert "data-recovery-code" not in client.get(f"/{slug}/console/account/security").get_data(as_text=True)
    return totp, codes


def _password(client, made, member=None):
    member = member or made.owner
    return client.post(f"/{made.tenant.slug}/console/login", data={"email": member.email, "password": PASSWORD})


def _later_code(totp: pyotp.TOTP) -> str:
    """The next time step's code (one step of drift is allowed): never the one the enrolment used."""
    return totp.at(time.time() + totp.interval)


def test_an_authenticator_app_is_set_up_then_asked_at_every_log_in(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, _codes = _enrol(client, slug)
    client.post(f"/{slug}/console/logout")

    response = _password(client, made)
    assert response.headers["Location"] == f"/{slug}/console/login/verify"
    # The password alone opens nothing: the console, its settings, the security page send to the log-in.
    for path in ("/console/", "/console/settings/staff", "/console/account/security"):
        assert client.get(f"/{slug}{path}").status_code == 303
    assert client.get(f"/{slug}/console/login").headers["Location"] == f"/{slug}/console/login/verify"
    wrong = client.post(f"/{slug}/console/login/verify", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "This code is not right" in wrong.get_data(as_text=True)
    assert client.post(f"/{slug}/console/login/verify", data={"code": _later_code(totp)}).status_code == 303
    assert client.get(f"/{slug}/console/").status_code == 200


def test_a_code_is_taken_once_and_one_from_two_steps_ago_never(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, _codes = _enrol(client, slug)
    used = _later_code(totp)
    for attempt in range(2):
        other = app.test_client()
        _password(other, made)
        response = other.post(f"/{slug}/console/login/verify", data={"code": used})
        # The first use logs in; the same code again, from another browser even, is refused.
        assert response.status_code == (303 if attempt == 0 else 422)
    stale = app.test_client()
    _password(stale, made)
    old = totp.at(time.time() - 2 * totp.interval)
    assert stale.post(f"/{slug}/console/login/verify", data={"code": old}).status_code == 422
    # Typed with Persian digits, a later right code is read.
    persian = _later_code(totp).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    with app.app_context(), tenant_scope(made.tenant.id):
        factor = db.session.scalar(sa.select(StaffFactor))
        factor.last_step = int(time.time() // 30) - 2  # as if the last code were older: the next one counts
        db.session.commit()
    assert stale.post(f"/{slug}/console/login/verify", data={"code": persian}).status_code == 303


def test_the_secret_is_sealed_at_rest(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, _codes = _enrol(client, made.tenant.slug)
    with app.app_context(), tenant_scope(made.tenant.id):
        sealed = db.session.scalar(sa.select(StaffFactor.secret_sealed))
    assert totp.secret not in sealed


def test_a_recovery_code_works_once(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _totp, codes = _enrol(client, slug)
    client.post(f"/{slug}/console/logout")
    _password(client, made)
    response = client.post(f"/{slug}/console/login/verify", data={"recovery_code": codes[3].upper()})
    assert response.status_code == 303
    page = client.get(f"/{slug}/console/").get_data(as_text=True)
    assert "Recovery codes left: 9" in page
    again = app.test_client()
    _password(again, made)
    refused = again.post(f"/{slug}/console/login/verify", data={"recovery_code": codes[3]})
    assert refused.status_code == 422
    assert "has been used" in refused.get_data(as_text=True)


def test_new_recovery_codes_void_the_old_ones(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _totp, old = _enrol(client, slug)
    assert client.post(f"/{slug}/console/account/security/recovery-codes").status_code == 303
    page = client.get(f"/{slug}/console/account/security").get_data(as_text=True)
    new = re.findall(r"data-recovery-code>([a-z0-9-]+)<", page)
    assert len(new) == 10
    assert not set(new) & set(old)
    other = app.test_client()
    _password(other, made)
    assert other.post(f"/{slug}/console/login/verify", data={"recovery_code": old[0]}).status_code == 422
    assert other.post(f"/{slug}/console/login/verify", data={"recovery_code": new[0]}).status_code == 303


def test_wrong_codes_meet_a_limit_answered_in_the_readers_language(make_app, make_tenant, login_as):
    app = make_app(RATELIMITS={"second_factor": "3/15 minutes"})
    made = make_tenant(locale="fa")
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, _codes = _enrol(client, slug)
    client.post(f"/{slug}/console/logout")
    _password(client, made)
    for _ in range(3):
        assert client.post(f"/{slug}/console/login/verify", data={"code": "123456"}).status_code == 422
    response = client.post(f"/{slug}/console/login/verify", data={"code": _later_code(totp)})
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert 'lang="fa"' in text
    assert "Too many" not in text
    with app.app_context(), tenant_scope(made.tenant.id):
        kinds = list(db.session.scalars(sa.select(SecurityEvent.kind)))
    assert kinds.count("second_factor_failed") == 3


def test_a_password_reset_never_skips_the_second_factor(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, _codes = _enrol(client, slug)
    from tenants.accounts import request_password_reset

    with app.app_context(), tenant_scope(made.tenant.id):
        _member, token = request_password_reset(made.owner.email)
    other = app.test_client()
    response = other.post(
        f"/{slug}/console/password/reset/{token}",
        data={"password": "another-long-phrase-7", "password_again": "another-long-phrase-7"},
    )
    assert response.headers["Location"] == f"/{slug}/console/login/verify"
    assert other.get(f"/{slug}/console/").status_code == 303
    assert other.post(f"/{slug}/console/login/verify", data={"code": _later_code(totp)}).status_code == 303
    assert other.get(f"/{slug}/console/").status_code == 200


def _set_policy(client, slug: str, policy: str, grace: int) -> None:
    form = {"two_factor_policy": policy, "two_factor_grace_days": str(grace), "session_idle_hours": "8"}
    response = client.post(f"/{slug}/console/settings/security", data=form | {"session_max_days": "7"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_the_policy_lets_nothing_but_enrolment_open_after_the_grace_period(app, make_tenant, make_user, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    agent = make_user(made.tenant)
    owner = app.test_client()
    login_as(owner, made.tenant, made.owner)
    _set_policy(owner, slug, "all", 0)
    app.extensions.get("dadras.tenants_by_slug", {}).clear()

    agents = app.test_client()
    login_as(agents, made.tenant, agent)
    response = agents.get(f"/{slug}/console/")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{slug}/console/account/security"
    htmx = agents.get(f"/{slug}/console/complaints", headers={"HX-Request": "true"})
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"] == f"/{slug}/console/account/security"
    page = agents.get(f"/{slug}/console/account/security")
    assert page.status_code == 200
    assert 'id="enrolment-notice"' in page.get_data(as_text=True)
    _enrol(agents, slug)
    assert agents.get(f"/{slug}/console/").status_code == 200
    assert agents.post(f"/{slug}/console/logout").status_code == 303


def test_the_policy_for_admins_gives_days_to_enrol_and_spares_the_others(app, make_tenant, make_user, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    agent, admin = make_user(made.tenant), make_user(made.tenant, role="admin")
    owner = app.test_client()
    login_as(owner, made.tenant, made.owner)
    _set_policy(owner, slug, "admins", 5)
    app.extensions.get("dadras.tenants_by_slug", {}).clear()
    admins, agents = app.test_client(), app.test_client()
    login_as(admins, made.tenant, admin)
    login_as(agents, made.tenant, agent)
    assert admins.get(f"/{slug}/console/").status_code == 200
    notice = admins.get(f"/{slug}/console/account/security").get_data(as_text=True)
    assert 'id="enrolment-notice"' in notice
    assert "Set one up by" in notice
    assert 'id="enrolment-notice"' not in agents.get(f"/{slug}/console/account/security").get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.get(Tenant, made.tenant.id).two_factor_since = utcnow() - timedelta(days=6)
        # Someone who joins later has their own days from joining: this one joined before the policy.
        db.session.get(StaffMember, admin.id).created_at = utcnow() - timedelta(days=30)
        db.session.commit()
    app.extensions.get("dadras.tenants_by_slug", {}).clear()
    assert admins.get(f"/{slug}/console/").status_code == 303
    assert agents.get(f"/{slug}/console/").status_code == 200


def test_changing_the_factors_asks_for_the_password_again_after_a_while(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    totp, codes = _enrol(client, slug)
    with app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession)):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        factor_id = db.session.scalar(sa.select(StaffFactor.id))
        db.session.commit()
    response = client.post(f"/{slug}/console/account/security/factors/{factor_id}/remove")
    assert response.headers["Location"].startswith(f"/{slug}/console/account/security/confirm?next=")
    confirm = f"/{slug}/console/account/security/confirm"
    wrong = client.post(confirm, data={"password": "wrong-one-here", "code": _later_code(totp)})
    assert wrong.status_code == 422
    assert "The password is wrong." in wrong.get_data(as_text=True)
    no_code = client.post(confirm, data={"password": PASSWORD})
    assert no_code.status_code == 422
    with client.session_transaction() as session:
        before = session["staff"][str(made.tenant.id)]["s"]
    assert client.post(confirm, data={"password": PASSWORD, "code": codes[0]}).status_code == 303
    with client.session_transaction() as session:
        assert session["staff"][str(made.tenant.id)]["s"] != before  # more may be done now: a new key
    assert client.post(f"/{slug}/console/account/security/factors/{factor_id}/remove").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffFactor)) == 0
    client.post(f"/{slug}/console/logout")
    assert _password(client, made).headers["Location"] == f"/{slug}/console/"


def test_an_administrator_resets_anothers_factors_and_they_are_told(app, make_tenant, make_user, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    agent = make_user(made.tenant)
    agents, owner = app.test_client(), app.test_client()
    login_as(agents, made.tenant, agent)
    _enrol(agents, slug)
    login_as(owner, made.tenant, made.owner)
    assert "reset-factors" in owner.get(f"/{slug}/console/settings/staff").get_data(as_text=True)
    # A while after logging in, the administrator's own password is asked first.
    with app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession).where(StaffSession.staff_member_id == made.owner.id)):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    asked = owner.post(f"/{slug}/console/settings/staff/{agent.id}/reset-factors")
    assert "/account/security/confirm" in asked.headers["Location"]
    assert agents.get(f"/{slug}/console/").status_code == 200  # nothing reset yet
    assert owner.post(f"/{slug}/console/account/security/confirm", data={"password": PASSWORD}).status_code == 303
    assert owner.post(f"/{slug}/console/settings/staff/{agent.id}/reset-factors").status_code == 303
    assert agents.get(f"/{slug}/console/").status_code == 303  # their sessions ended
    assert _password(app.test_client(), made, agent).headers["Location"] == f"/{slug}/console/"
    with app.app_context(), tenant_scope(made.tenant.id):
        event = db.session.scalar(sa.select(SecurityEvent).where(SecurityEvent.kind == "factors_reset"))
        assert (event.staff_member_id, event.actor_id) == (agent.id, made.owner.id)
        mail = db.session.scalar(sa.select(Notice).where(Notice.event == "factors_reset"))
        assert mail.recipient == agent.email
        assert made.owner.name in mail.body
    # An agent resets nobody's, and nobody resets their own here.
    assert agents.post(f"/{slug}/console/settings/staff/{made.owner.id}/reset-factors").status_code in (303, 403)
    assert owner.post(f"/{slug}/console/settings/staff/{made.owner.id}/reset-factors").status_code == 409


def test_a_factor_of_one_organization_is_nothing_at_another(app, make_tenant, make_user, login_as):
    a, b = make_tenant(), make_tenant()
    twin = make_user(b.tenant, email=a.owner.email)
    client = app.test_client()
    login_as(client, a.tenant, a.owner)
    _enrol(client, a.tenant.slug)
    with app.app_context(), tenant_scope(a.tenant.id):
        factor_id = db.session.scalar(sa.select(StaffFactor.id))
    other = app.test_client()
    # The same person at B has no second factor: B asks none, and A's codes prove nothing there.
    assert _password(other, b, twin).headers["Location"] == f"/{b.tenant.slug}/console/"
    assert other.post(f"/{b.tenant.slug}/console/account/security/factors/{factor_id}/remove").status_code == 404
    with app.app_context(), tenant_scope(a.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffFactor)) == 1


def test_recovery_codes_never_travel_in_the_cookie(app, make_tenant, login_as):
    import base64
    import zlib

    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    slug = made.tenant.slug
    page = client.get(f"/{slug}/console/account/security/app").get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    client.post(f"/{slug}/console/account/security/app", data={"code": pyotp.TOTP(secret).now()})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    codes = re.findall(
        r"data-recovery-code>([a-z0-9-]+)<", client.get(f"/{slug}/console/account/security").get_data(as_text=True)
    )
    assert len(codes) == 10
    assert not any(code in text for code in codes)


def test_odd_input_at_the_second_step_is_a_clear_refusal(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _enrol(client, slug)
    client.post(f"/{slug}/console/logout")
    _password(client, made)
    for code in ("१२३४५६", "12 34 56 78 90 12", "x" * 25, "\x00"):
        assert client.post(f"/{slug}/console/login/verify", data={"code": code}).status_code == 422, code
    assert client.post(f"/{slug}/console/login/verify", data={"recovery_code": "１２３"}).status_code == 422
    for body in ("[1]", "null", '{"credential": 5}', "not json"):
        response = client.post(
            f"/{slug}/console/login/passkey", data=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, body


def _age_confirmation(app, made) -> None:
    with app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession)):
            row.confirmed_at = utcnow() - timedelta(minutes=11)
        db.session.commit()


def test_past_the_limit_not_even_the_right_password_confirms(make_app, make_tenant, login_as):
    app = make_app(RATELIMITS={"second_factor": "3/15 minutes"})
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    _age_confirmation(app, made)
    confirm = f"/{made.tenant.slug}/console/account/security/confirm"
    seen = [client.post(confirm, data={"password": f"wrong-guess-{i}"}).status_code for i in range(5)]
    assert seen == [422, 422, 422, 429, 429]
    assert client.post(confirm, data={"password": PASSWORD}).status_code == 429  # a guesser learns nothing
    with app.app_context(), tenant_scope(made.tenant.id):
        details = list(db.session.scalars(sa.select(SecurityEvent.detail).where(SecurityEvent.kind == "login_failed")))
    assert sorted(details) == ["password again"] * 3 + ["password again, too many"] * 3


# A software authenticator for what a browser will not send: a "none" attestation the webauthn package takes.
def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _registration(options: dict, origin: str, transports) -> dict:
    import hashlib
    import json

    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    credential_id = b"software-key-" + bytes(8)
    flags = bytes([0x41 | 0x04])  # user present, user verified, attested credential data
    auth_data = hashlib.sha256(options["rp"]["id"].encode()).digest() + flags + bytes(4) + bytes(16)
    auth_data += len(credential_id).to_bytes(2, "big") + credential_id + cose
    client_data = json.dumps(
        {"type": "webauthn.create", "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
    ).encode()
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    response = {"clientDataJSON": _b64(client_data), "attestationObject": _b64(attestation), "transports": transports}
    return {
        "id": _b64(credential_id),
        "rawId": _b64(credential_id),
        "type": "public-key",
        "response": response,
        "clientExtensionResults": {},
    }


def test_a_passkey_of_odd_parts_is_kept_as_plain_text_or_refused(app, make_tenant, login_as):
    made = make_tenant()
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)

    def add(transports, name):
        options = client.post(f"/{slug}/console/account/security/passkeys/options").get_json()
        body = {"credential": _registration(options, "http://localhost", transports), "name": name}
        return client.post(f"/{slug}/console/account/security/passkeys", json=body)

    assert add(5, "Laptop\x00 \u202epot").status_code == 200
    with app.app_context(), tenant_scope(made.tenant.id):
        factor = db.session.scalars(sa.select(StaffFactor).where(StaffFactor.kind == "passkey")).one()
        assert (factor.name, factor.transports) == ("Laptop pot", "")
    # At the second step of a log-in, a credential id no passkey has (a NUL in it) is a wrong try, not an error.
    client.post(f"/{slug}/console/logout")
    client.post(f"/{slug}/console/login", data={"email": made.owner.email, "password": PASSWORD})
    assert client.post(f"/{slug}/console/login/passkey/options").status_code == 200
    odd = {"credential": {"id": "ab\u0000cd", "rawId": "abcd", "type": "public-key", "response": {}}}
    assert client.post(f"/{slug}/console/login/passkey", json=odd).status_code in (400, 401)
