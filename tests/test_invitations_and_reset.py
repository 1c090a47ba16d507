"""Invitation and password-reset links: e-mailed, signed, expiring, used once."""

from __future__ import annotations

import sqlalchemy as sa

from tests.fixtures.accounts import invite, sent_links
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "another-long-passphrase"


def test_invitation_email_carries_a_link_that_makes_a_staff_member(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as)
    message = app.extensions["dadras.sent_mail"][-1]
    assert message["To"] == "new.agent@example.com"
    newcomer = app.test_client()
    response = newcomer.post(link, data={"name": "Nima", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 303
    assert newcomer.get(f"/{made.tenant.slug}/console/").status_code == 200


def test_invitation_link_works_once(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as)
    data = {"name": "Nima", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert app.test_client().post(link, data=data).status_code == 303
    again = app.test_client().post(link, data=data)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_invitation_is_refused(make_app, make_tenant, login_as):
    app = make_app(INVITATION_TTL_SECONDS=-1)
    client = app.test_client()
    made = make_tenant()
    link = invite(app, client, made, login_as)
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_tampered_invitation_is_not_found(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as)
    response = app.test_client().get(link[:-3] + "abc")
    assert response.status_code == 404


def test_invitation_of_one_tenant_does_not_work_on_another(app, client, make_tenant, login_as):
    a, b = make_tenant(), make_tenant()
    link = invite(app, client, a, login_as)
    response = app.test_client().get(link.replace(f"/{a.tenant.slug}/", f"/{b.tenant.slug}/"))
    assert response.status_code == 404


def test_weak_password_on_acceptance_keeps_the_invitation_open(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as)
    weak = app.test_client().post(link, data={"name": "Nima", "password": "short", "password_again": "short"})
    assert weak.status_code == 422
    assert "at least 10" in weak.get_data(as_text=True)
    assert app.test_client().get(link).status_code == 200


def test_inviting_someone_already_on_the_staff_is_refused(app, client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": made.owner.email, "role": "agent"}
    )
    assert response.status_code == 422
    assert "already on the staff" in response.get_data(as_text=True)


def test_inviting_a_bad_address_is_refused(app, client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "nope", "role": "agent"}
    )
    assert response.status_code == 422
    assert app.extensions.get("dadras.sent_mail", []) == []


def test_an_agent_cannot_invite(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant, role="agent")
    login_as(client, made.tenant, agent)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "x@example.com", "role": "agent"}
    )
    assert response.status_code == 403


def test_an_admin_cannot_invite_an_owner(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    admin = make_user(made.tenant, role="admin")
    login_as(client, made.tenant, admin)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "x@example.com", "role": "owner"}
    )
    assert response.status_code == 403


def request_reset(app, client, made) -> str:
    response = client.post(f"/{made.tenant.slug}/console/password/forgot", data={"email": made.owner.email})
    assert response.status_code == 303
    return sent_links(app)[-1]


def test_password_reset_sets_a_new_password(app, client, make_tenant):
    made = make_tenant()
    link = request_reset(app, client, made)
    response = client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 303
    login = app.test_client().post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 303
    old = app.test_client().post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": PASSWORD}
    )
    assert old.status_code == 401


def test_reset_link_works_once(app, client, make_tenant):
    made = make_tenant()
    link = request_reset(app, client, made)
    client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    again = app.test_client().get(link)
    assert again.status_code == 410


def test_expired_reset_link_is_refused(make_app, make_tenant):
    app = make_app(PASSWORD_RESET_TTL_SECONDS=-1)
    made = make_tenant()
    link = request_reset(app, app.test_client(), made)
    response = app.test_client().post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 410


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(app, client, make_tenant):
    made = make_tenant()
    response = client.post(f"/{made.tenant.slug}/console/password/forgot", data={"email": "ghost@example.com"})
    assert response.status_code == 303
    assert app.extensions.get("dadras.sent_mail", []) == []


def test_reset_requests_are_throttled_per_ip(make_app, make_tenant):
    app = make_app(RATELIMITS={"login_account": "5/hour", "login_ip": "30/hour", "reset_request": "2/hour"})
    client = app.test_client()
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/password/forgot"
    for _ in range(2):
        client.post(url, data={"email": "ghost@example.com"})
    assert client.post(url, data={"email": "ghost@example.com"}).status_code == 429


def test_no_mail_leaves_when_the_transaction_rolls_back(app, make_tenant):
    from services.notifications.outbox import notify_account
    from tenants.context import tenant_scope
    from tenants.db import db

    made = make_tenant()
    with app.test_request_context(), tenant_scope(made.tenant.id):
        notify_account("invitation", "x@example.com", "en", "s", "t", key="1")
        db.session.rollback()
        db.session.commit()
    assert app.extensions.get("dadras.sent_mail", []) == []


def test_emailed_links_use_base_url_not_the_host_header(app, client, make_tenant):
    made = make_tenant()
    client.post(
        f"/{made.tenant.slug}/console/password/forgot",
        data={"email": made.owner.email},
        headers={"Host": "evil.example"},
    )
    text = app.extensions["dadras.sent_mail"][-1].get_body(("plain",)).get_content()
    assert "evil.example" not in text
    assert f"http://127.0.0.1:5000/{made.tenant.slug}/console/password/reset/" in text


def test_an_admin_cannot_withdraw_an_owners_invitation(app, client, make_tenant, make_user, login_as):
    made = make_tenant()
    invite(app, client, made, login_as, email="co-owner@example.com", role="owner")
    admin = make_user(made.tenant, role="admin")
    admin_client = app.test_client()
    login_as(admin_client, made.tenant, admin)
    from tenants.context import tenant_scope
    from tenants.db import db
    from tenants.models import StaffInvitation

    with app.app_context(), tenant_scope(made.tenant.id):
        invitation_id = db.session.scalar(sa.select(StaffInvitation.id))
    response = admin_client.post(f"/{made.tenant.slug}/console/settings/invitations/{invitation_id}/revoke")
    assert response.status_code == 403
    again = admin_client.post(
        f"/{made.tenant.slug}/console/settings/staff/invite", data={"email": "co-owner@example.com", "role": "agent"}
    )
    assert again.status_code == 403


def test_a_stale_login_is_asked_to_log_in_again_not_shown_a_404(app, client, make_tenant, login_as):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    link = request_reset(app, app.test_client(), made)
    app.test_client().post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    response = client.get(f"/{made.tenant.slug}/console/")
    assert response.status_code == 303
    assert "/console/login" in response.headers["Location"]
