"""The demo organizations open on a living inbox: complaints in every state, with actions, messages and a history;
a clinic in Persian, and a shop in Almaty in Russian and Kazakh. Their history mails no one."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from services.catalog.models import Category
from services.complaints.models import Complaint, ComplaintEvent, CorrectiveAction, Decision, State
from services.notifications.models import Notice, NoticeStatus
from services.onboarding.demo import DEMO_SLUG, DEMOS, SHOP, seed_demo
from services.onboarding.demo_file import load_demo_complaints
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember, Tenant

# Domains reserved for examples and tests (RFC 2606, RFC 6761).
RESERVED = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")


def _seeded(app, slug=DEMO_SLUG):
    with app.app_context():
        assert seed_demo("demo-password-2026")
        db.session.commit()
        return db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))


def test_every_state_holds_several_complaints(app):
    tenant_id = _seeded(app)
    with app.app_context(), tenant_scope(tenant_id):
        states = Counter(db.session.scalars(sa.select(Complaint.state)))
        actions = Counter(db.session.scalars(sa.select(CorrectiveAction.status)))
        kinds = Counter(db.session.scalars(sa.select(ComplaintEvent.kind)))
        decisions = db.session.scalar(sa.select(sa.func.count()).select_from(Decision))
    assert sum(states.values()) >= 30
    assert all(states[s.value] >= 3 for s in State), states
    assert actions["done"] + actions["verified_effective"] >= 3
    assert actions["planned"] + actions["in_progress"] >= 3
    assert kinds["message"] >= 5
    assert kinds["note"] >= 5
    assert decisions >= 10


def test_each_history_runs_forward_from_its_arrival_and_stops_before_now(app):
    tenant_id = _seeded(app)
    now = utcnow()
    with app.app_context(), tenant_scope(tenant_id):
        complaints = {c.id: c for c in db.session.scalars(sa.select(Complaint))}
        events = db.session.scalars(sa.select(ComplaintEvent).order_by(ComplaintEvent.id)).all()
    last: dict[int, object] = {}
    for event in events:
        complaint = complaints[event.complaint_id]
        assert complaint.received_at <= event.at <= now
        assert last.get(event.complaint_id, event.at) <= event.at
        last[event.complaint_id] = event.at
    spread = max(c.received_at for c in complaints.values()) - min(c.received_at for c in complaints.values())
    assert spread.days >= 30


def test_the_demo_inbox_opens_in_persian(app, login_as):
    _seeded(app)
    client = app.test_client()
    response = client.post(
        f"/{DEMO_SLUG}/console/login", data={"email": "owner@demo-clinic.example", "password": "demo-password-2026"}
    )
    assert response.status_code == 303
    page = client.get(f"/{DEMO_SLUG}/console/complaints?tab=all").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert page.count('id="complaint-') == 25


def test_a_kazakhstan_shop_in_almaty_has_complaints_in_every_state_in_russian_and_kazakh(app):
    tenant_id = _seeded(app, SHOP.slug)
    with app.app_context(), tenant_scope(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        assert (tenant.country, tenant.timezone, tenant.default_locale) == ("KZ", "Asia/Almaty", "ru")
        complaints = db.session.scalars(sa.select(Complaint)).all()
        categories = db.session.scalars(sa.select(Category)).all()
        staff_locales = set(db.session.scalars(sa.select(StaffMember.locale)))
    states = Counter(c.state for c in complaints)
    assert all(states[s.value] >= 3 for s in State), states
    assert Counter(c.preferred_locale for c in complaints).keys() == {"ru", "kk"}
    assert all(c.names.get("ru") and c.names.get("kk") for c in categories)
    assert {"ru", "kk"} <= staff_locales
    assert not any("\u0600" <= ch <= "\u06ff" for c in complaints for ch in c.subject + c.description)


def test_the_kazakhstan_demo_opens_in_russian(app):
    _seeded(app)
    client = app.test_client()
    response = client.post(
        f"/{SHOP.slug}/console/login", data={"email": SHOP.owner_email, "password": "demo-password-2026"}
    )
    assert response.status_code == 303
    page = client.get(f"/{SHOP.slug}/console/complaints?tab=all").get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in page
    assert page.count('id="complaint-') == 21
    assert "Телевизор привезли с трещиной на экране" in page


def _reserved(address: str) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return domain in RESERVED or domain.rsplit(".", 1)[-1] in RESERVED_TLDS


def test_every_demo_address_is_on_a_domain_reserved_for_examples(app):
    _seeded(app)
    with app.app_context():
        addresses = []
        for demo in DEMOS:
            tenant_id = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == demo.slug))
            with tenant_scope(tenant_id):
                addresses += db.session.scalars(sa.select(Complaint.email).where(Complaint.email.is_not(None)))
                addresses += db.session.scalars(sa.select(StaffMember.email))
    addresses += [e["email"] for demo in DEMOS for e in load_demo_complaints(demo.story.complaints) if e["email"]]
    assert len(addresses) > 20
    assert [a for a in addresses if not _reserved(a)] == []


def test_the_demo_history_mails_no_one_nor_do_the_first_periodic_jobs(app):
    from services.escalation.sweep import sweep_all
    from services.portal.followups import follow_up_all

    _seeded(app)
    with app.app_context():
        sweep_all()
        follow_up_all()
        db.session.commit()
        for demo in DEMOS:
            tenant_id = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == demo.slug))
            with tenant_scope(tenant_id):
                statuses = Counter(db.session.scalars(sa.select(Notice.status)))
            assert statuses[NoticeStatus.SENT] > 10, statuses
            assert statuses[NoticeStatus.PENDING] + statuses[NoticeStatus.SENDING] == 0, statuses
            with tenant_scope(tenant_id):
                states = Counter(db.session.scalars(sa.select(Complaint.state)))
            assert all(states[s.value] >= 3 for s in State), (demo.slug, states)
    assert app.extensions.get("dadras.sent_mail", []) == []


def test_a_development_log_shows_an_e_mail_as_readable_text(app, caplog):
    from services.mail import Mail, build_message, deliver_message

    text = "Здравствуйте!\n\nСледите за ходом: https://dadras.example/demo-kz/track/1234?t=abc"
    app.config["MAIL_BACKEND"] = "console"
    with app.app_context(), caplog.at_level("WARNING", logger="services.mail"):
        mail = Mail(to="a@example.com", subject="Жалоба 1234 принята", text=text, lang="ru")
        deliver_message(build_message(mail, "d@x.test"))
    logged = caplog.text
    assert "Subject: Жалоба 1234 принята" in logged
    assert "https://dadras.example/demo-kz/track/1234?t=abc" in logged
    assert "Content-Transfer-Encoding" not in logged
    assert "base64" not in logged
