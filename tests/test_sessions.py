"""Staff sessions kept on the server: a copied cookie is worth nothing once its session ends, by log-out, from the
security page, by an administrator, by a change of the account, or by the organization's time limits."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import jdatetime
import sqlalchemy as sa

from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import Tenant
from tenants.security import SecurityEvent, StaffSession
from tests.fixtures.factories import PASSWORD


def _copy_cookie(source, target) -> None:
    name = source.application.config["SESSION_COOKIE_NAME"]
    target.set_cookie(name, source.get_cookie(name).value)


def _sessions(app, made, **where):
    with app.app_context(), tenant_scope(made.tenant.id):
        query = sa.select(StaffSession).filter_by(**where).order_by(StaffSession.id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def _events(app, made) -> list[str]:
    with app.app_context(), tenant_scope(made.tenant.id):
        return list(db.session.scalars(sa.select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def test_a_copied_cookie_is_refused_after_logout(app, make_tenant, login_as):
    made = make_tenant()
    console = f"/{made.tenant.slug}/console/"
    browser, thief = app.test_client(), app.test_client()
    login_as(browser, made.tenant, made.owner)
    _copy_cookie(browser, thief)
    assert thief.get(console).status_code == 200  # the copy works while the session is open …
    browser.post(f"/{made.tenant.slug}/console/logout")
    assert thief.get(console).status_code == 303  # … and not at all once it has ended on the server
    assert [row.end_reason for row in _sessions(app, made)] == ["logout"]


def test_the_cookie_carries_a_random_key_and_the_table_only_its_hash(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    with client.session_transaction() as session:
        key = session["staff"][str(made.tenant.id)]["s"]
    login_as(app.test_client(), made.tenant, made.owner)
    rows = _sessions(app, made)
    assert len(rows) == 2
    assert len(key) >= 40
    assert all(key not in row.key_hash for row in rows)
    assert rows[0].key_hash != rows[1].key_hash


def test_ending_all_others_logs_the_other_browsers_out_on_their_next_request(app, make_tenant, login_as):
    made = make_tenant()
    here, phone, laptop = app.test_client(), app.test_client(), app.test_client()
    for client in (here, phone, laptop):
        login_as(client, made.tenant, made.owner)
    page = here.get(f"/{made.tenant.slug}/console/account/security").get_data(as_text=True)
    assert page.count("data-session=") == 3
    assert "data-this-session" in page
    assert here.post(f"/{made.tenant.slug}/console/account/sessions/end-others").status_code == 303
    assert phone.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert laptop.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert here.get(f"/{made.tenant.slug}/console/").status_code == 200
    assert "sessions_ended" in _events(app, made)


def test_ending_one_session_ends_that_one_only_and_never_anothers(app, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    here, phone, agents = app.test_client(), app.test_client(), app.test_client()
    login_as(here, made.tenant, made.owner)
    login_as(phone, made.tenant, made.owner)
    login_as(agents, made.tenant, agent)
    phone_row, agent_row = _sessions(app, made)[1:]
    base = f"/{made.tenant.slug}/console/account/sessions"
    # An agent cannot end the owner's session from their own security page: it is not theirs (404).
    assert agents.post(f"{base}/{phone_row.id}/end").status_code == 404
    assert phone.get(f"/{made.tenant.slug}/console/").status_code == 200
    assert here.post(f"{base}/{phone_row.id}/end").status_code == 303
    assert phone.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert agents.get(f"/{made.tenant.slug}/console/").status_code == 200
    assert here.post(f"{base}/{agent_row.id}/end").status_code == 404


def test_an_administrator_sees_and_ends_any_session_of_the_organization(app, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant, name="Dana Agent")
    owner, agents = app.test_client(), app.test_client()
    login_as(agents, made.tenant, agent)
    login_as(owner, made.tenant, made.owner)
    page = owner.get(f"/{made.tenant.slug}/console/settings/security").get_data(as_text=True)
    assert "Dana Agent" in page
    assert page.count("data-session=") == 2
    agent_row = _sessions(app, made, staff_member_id=agent.id)[0]
    assert agents.get(f"/{made.tenant.slug}/console/settings/security").status_code == 403
    assert agents.post(f"/{made.tenant.slug}/console/settings/security/sessions/{agent_row.id}/end").status_code == 403
    response = owner.post(f"/{made.tenant.slug}/console/settings/security/sessions/{agent_row.id}/end")
    assert response.status_code == 303
    assert agents.get(f"/{made.tenant.slug}/console/").status_code == 303


def test_a_change_of_role_or_a_password_reset_ends_every_session_of_the_member(app, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant)
    owner, agents = app.test_client(), app.test_client()
    login_as(owner, made.tenant, made.owner)
    login_as(agents, made.tenant, agent)
    owner.post(f"/{made.tenant.slug}/console/settings/staff/{agent.id}/role", data={"role": "manager"})
    assert agents.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert _sessions(app, made, staff_member_id=agent.id)[0].end_reason == "role_changed"

    login_as(agents, made.tenant, agent)
    from tenants.accounts import request_password_reset

    with app.app_context(), tenant_scope(made.tenant.id):
        _member, token = request_password_reset(agent.email)
    other = app.test_client()
    other.post(
        f"/{made.tenant.slug}/console/password/reset/{token}",
        data={"password": "another-long-phrase-7", "password_again": "another-long-phrase-7"},
    )
    assert agents.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert other.get(f"/{made.tenant.slug}/console/").status_code == 200


def test_sessions_end_after_the_organizations_idle_and_absolute_limits(app, make_tenant, login_as):
    made = make_tenant()
    console = f"/{made.tenant.slug}/console/"
    idle, old = app.test_client(), app.test_client()
    login_as(idle, made.tenant, made.owner)
    login_as(old, made.tenant, made.owner)
    first, second = _sessions(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        now = utcnow()
        db.session.get(StaffSession, first.id).last_seen_at = now - timedelta(hours=8, minutes=1)
        row = db.session.get(StaffSession, second.id)
        row.created_at, row.last_seen_at = now - timedelta(days=7, minutes=1), now
        db.session.commit()
    assert idle.get(console).status_code == 303
    assert old.get(console).status_code == 303
    assert [row.end_reason for row in _sessions(app, made)] == ["idle", "expired"]

    # The organization's own, shorter limit: one hour idle.
    owner = app.test_client()
    login_as(owner, made.tenant, made.owner)
    form = {"two_factor_policy": "off", "two_factor_grace_days": "7", "session_idle_hours": "1"}
    response = owner.post(f"/{made.tenant.slug}/console/settings/security", data=form | {"session_max_days": "2"})
    assert response.status_code == 303
    with app.app_context():
        tenant = db.session.get(Tenant, made.tenant.id)
        assert (tenant.session_idle_minutes, tenant.session_max_hours) == (60, 48)
    third = _sessions(app, made, ended_at=None)[0]
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.get(StaffSession, third.id).last_seen_at = utcnow() - timedelta(minutes=61)
        db.session.commit()
    app.extensions.get("dadras.tenants_by_slug", {}).clear()
    assert owner.get(console).status_code == 303


def test_bad_security_settings_are_refused_in_place(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/security"
    for form in (
        {"two_factor_policy": "sometimes", "two_factor_grace_days": "7", "session_idle_hours": "8"},
        {"two_factor_policy": "all", "two_factor_grace_days": "-1", "session_idle_hours": "8"},
        {"two_factor_policy": "all", "two_factor_grace_days": "x", "session_idle_hours": "8"},
        {"two_factor_policy": "all", "two_factor_grace_days": "7", "session_idle_hours": "100000000000000000"},
        {"two_factor_policy": "all", "two_factor_grace_days": "7", "session_idle_hours": "48"},
    ):
        response = client.post(url, data=form | {"session_max_days": "1"})
        assert response.status_code == 422, form
        assert "is-invalid" in response.get_data(as_text=True) or "alert-danger" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenant, made.tenant.id).two_factor_policy == "off"


def test_the_security_log_keeps_failed_logins_and_exports_them(app, make_tenant, make_user, login_as):
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    stranger = app.test_client()
    assert stranger.post(url, data={"email": made.owner.email, "password": "not-the-password"}).status_code == 401
    assert stranger.post(url, data={"email": "nobody@example.com", "password": "x-password"}).status_code == 401
    owner = app.test_client()
    login_as(owner, made.tenant, made.owner)
    assert _events(app, made) == ["login_failed", "login_failed", "login"]
    page = owner.get(f"/{made.tenant.slug}/console/settings/security").get_data(as_text=True)
    assert page.count('data-kind="login_failed"') == 2
    assert "nobody@example.com" in page
    export = owner.get(f"/{made.tenant.slug}/console/settings/security/log.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "When"
    assert len(rows) == 4
    assert {row[1] for row in rows[1:]} == {"Failed log-in", "Logged in"}
    # Their own page shows the person their own sign-ins, failures included.
    mine = owner.get(f"/{made.tenant.slug}/console/account/security").get_data(as_text=True)
    assert mine.count('data-kind="login_failed"') == 1


def test_a_session_of_one_organization_is_worth_nothing_at_another(app, make_tenant, make_user, login_as):
    a, b = make_tenant(), make_tenant()
    make_user(b.tenant, email=a.owner.email)
    client = app.test_client()
    login_as(client, a.tenant, a.owner)
    with client.session_transaction() as session:
        logins = dict(session["staff"])
        logins[str(b.tenant.id)] = logins[str(a.tenant.id)]  # A's key put where B's would be
        session["staff"] = logins
    assert client.get(f"/{b.tenant.slug}/console/").status_code == 303
    assert client.get(f"/{a.tenant.slug}/console/").status_code == 200
    # B's administrator neither sees A's sessions nor ends them by id, nor reads A's log.
    row = _sessions(app, a)[0]
    admin = app.test_client()
    login_as(admin, b.tenant, b.owner)
    page = admin.get(f"/{b.tenant.slug}/console/settings/security").get_data(as_text=True)
    assert f'data-session="{row.id}"' not in page
    assert a.owner.email not in page
    assert admin.post(f"/{b.tenant.slug}/console/settings/security/sessions/{row.id}/end").status_code == 404
    assert admin.post(f"/{b.tenant.slug}/console/account/sessions/{row.id}/end").status_code == 404
    assert client.get(f"/{a.tenant.slug}/console/").status_code == 200
    export = admin.get(f"/{b.tenant.slug}/console/settings/security/log.csv").get_data(as_text=True)
    assert a.owner.email not in export
    assert export.count("\n") == 2


def test_a_wrong_password_at_log_in_still_opens_no_session(app, make_tenant):
    made = make_tenant()
    client = app.test_client()
    client.post(f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": PASSWORD + "x"})
    assert _sessions(app, made) == []


def test_ending_this_very_session_from_the_list_logs_out(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    row = _sessions(app, made)[0]
    response = client.post(f"/{made.tenant.slug}/console/account/sessions/{row.id}/end")
    assert response.headers["Location"] == f"/{made.tenant.slug}/console/login"
    assert client.get(f"/{made.tenant.slug}/console/").status_code == 303
    assert _sessions(app, made)[0].end_reason == "ended"


def test_a_new_e_mail_address_is_taken_once_its_mailbox_is_proven_and_the_old_one_is_told(
    app, make_tenant, make_user, login_as
):
    from datetime import timedelta as _timedelta

    from services.notifications.models import Notice

    made = make_tenant()
    other = make_user(made.tenant)
    slug = made.tenant.slug
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    taken = client.post(f"/{slug}/console/account/security/email", data={"email": other.email})
    assert taken.status_code == 422
    assert "already on the staff" in taken.get_data(as_text=True)
    assert client.post(f"/{slug}/console/account/security/email", data={"email": "not an address"}).status_code == 422
    assert (
        client.post(f"/{slug}/console/account/security/email", data={"email": "leila@new.example.com"}).status_code
        == 303
    )
    with app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalar(sa.select(Notice).where(Notice.event == "email_change"))
        assert notice.recipient == "leila@new.example.com"
    from tests.fixtures.accounts import sent_links

    link = sent_links(app)[-1]
    assert "/console/account/email/" in link
    # Another staff member cannot use the link; the owner can, once.
    stranger = app.test_client()
    login_as(stranger, made.tenant, other)
    assert stranger.post(link).status_code == 404
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 303
    assert client.post(link).status_code == 410
    with app.app_context(), tenant_scope(made.tenant.id):
        from tenants.models import StaffMember

        assert db.session.get(StaffMember, made.owner.id).email == "leila@new.example.com"
        told = db.session.scalar(sa.select(Notice).where(Notice.event == "email_changed"))
        assert told.recipient == made.owner.email
    fresh = app.test_client()
    response = fresh.post(f"/{slug}/console/login", data={"email": "leila@new.example.com", "password": PASSWORD})
    assert response.status_code == 303
    # Asking for it a while after logging in asks for the password first.
    with app.app_context(), tenant_scope(made.tenant.id):
        for row in db.session.scalars(sa.select(StaffSession)):
            row.confirmed_at = utcnow() - _timedelta(minutes=11)
        db.session.commit()
    later = client.post(f"/{slug}/console/account/security/email", data={"email": "leila@third.example.com"})
    assert "/account/security/confirm" in later.headers["Location"]


def test_the_retention_job_deletes_sessions_ended_long_ago_and_keeps_the_rest(app, make_tenant, login_as):
    from services.records.retention import prune_all_sessions

    made = make_tenant()
    for _ in range(3):
        login_as(app.test_client(), made.tenant, made.owner)
    old, abandoned, recent = _sessions(app, made)
    with app.app_context(), tenant_scope(made.tenant.id):
        now = utcnow()
        row = db.session.get(StaffSession, old.id)
        row.ended_at, row.end_reason = now - timedelta(days=91), "logout"
        db.session.get(StaffSession, abandoned.id).last_seen_at = now - timedelta(days=91)
        db.session.commit()
    with app.app_context():
        assert prune_all_sessions() == 2
    assert [row.id for row in _sessions(app, made)] == [recent.id]


def test_the_retention_job_deletes_security_log_lines_older_than_two_years(app, make_tenant, login_as):
    from services.records.retention import prune_all_security_logs

    made, other = make_tenant(), make_tenant()
    kept: dict[int, set[int]] = {}
    with app.app_context():
        for tenant in (made, other):
            login_as(app.test_client(), tenant.tenant, tenant.owner)
            with tenant_scope(tenant.tenant.id):
                old = SecurityEvent(kind="login", email="old@example.com", at=utcnow() - timedelta(days=731))
                recent = SecurityEvent(kind="login", email="recent@example.com", at=utcnow() - timedelta(days=729))
                db.session.add_all([old, recent])
                db.session.commit()
                kept[tenant.tenant.id] = set(db.session.scalars(sa.select(SecurityEvent.id))) - {old.id}
        assert prune_all_security_logs() == 2
        for tenant in (made, other):
            with tenant_scope(tenant.tenant.id):
                assert set(db.session.scalars(sa.select(SecurityEvent.id))) == kept[tenant.tenant.id]


def test_the_security_log_downloads_whole_in_the_readers_language_and_calendar(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    owner = app.test_client()
    login_as(owner, made.tenant, made.owner)
    with app.app_context(), tenant_scope(made.tenant.id):
        agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
        db.session.add_all(
            SecurityEvent(kind="login_failed", email=f"n{i}@example.com", user_agent=agent, at=utcnow())
            for i in range(1200)
        )
        db.session.commit()
    export = owner.get(f"/{made.tenant.slug}/console/settings/security/log.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=","))
    assert len(rows) == 1 + 1200 + 1  # the header, the lines added, the owner's log-in
    assert rows[0][1] == "چه رویدادی"
    failed = [row for row in rows[1:] if row[3].endswith("@example.com")]
    assert len(failed) == 1200
    assert {row[1] for row in failed} == {"ورود ناموفق"}
    # The Jalali year in Persian digits (a day either side: the organization's day may not be this machine's).
    days = (jdatetime.date.today() + jdatetime.timedelta(days=d) for d in (-1, 0, 1))
    years = {str(day.year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) for day in days}
    assert any(year in failed[0][0] for year in years)
    assert "Chrome" in failed[0][6]
    assert "Windows" in failed[0][6]
