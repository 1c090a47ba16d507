"""The complaint page keeps every cycle's decision after a reopening, and shows the customer's rating in words, in
the follow-up log and on its own, in the reader's language and digits."""

from __future__ import annotations

import re

from services.complaints import lifecycle
from services.complaints.models import Complaint
from services.portal import operations as portal
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember, Tenant


def _decided_and_answered(owner, tenant, c: Complaint, reasons: str) -> None:
    lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, reasons), c.version)
    db.session.flush()
    lifecycle.respond(owner, c, "Our answer.", c.version)
    db.session.flush()


def _reopened_closed_and_rated(app, made, complaint_id: int, reasons: tuple[str, str], comment: str) -> None:
    first, second = reasons
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        c = db.session.get(Complaint, complaint_id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        _decided_and_answered(owner, tenant, c, first)
        portal.reject(tenant, c, "That does not settle it.")
        db.session.flush()
        _decided_and_answered(owner, tenant, c, second)
        portal.accept(tenant, c)
        portal.rate(c, 4, comment)
        db.session.commit()


def _section(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*id="{element_id}".*?</\1>', html, re.S)
    assert match, element_id
    return match.group(0)


def test_every_cycles_decision_stays_on_the_page_after_a_reopening(app, make_tenant, make_complaint, login_as):
    made = make_tenant()
    complaint = make_complaint(made)
    _reopened_closed_and_rated(app, made, complaint.id, ("No fault in round one.", "A fault after all."), "Kind.")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    html = client.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    assert "A fault after all." in _section(html, "decision-summary")
    earlier = _section(html, "earlier-decisions")
    assert 'data-cycle="1"' in earlier
    assert "No fault in round one." in earlier
    assert "Handling round 1" in earlier
    assert f"Approved by {made.owner.name}" in earlier


def test_the_rating_shows_in_words_in_the_log_and_on_the_page(app, make_tenant, make_complaint, login_as):
    made = make_tenant()
    complaint = make_complaint(made)
    _reopened_closed_and_rated(app, made, complaint.id, ("One.", "Two."), "The nurse was kind; the wait was long.")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    html = client.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    entry = re.search(r'<li[^>]*data-event="rated">.*?</li>', html, re.S).group(0)
    assert "The customer rated the handling" in entry
    assert "4 of 5: well" in entry
    assert "The nurse was kind; the wait was long." in entry
    card = _section(html, "rating")
    assert "4 of 5: well" in card
    assert "The nurse was kind; the wait was long." in card


def test_a_persian_reader_sees_the_rating_in_persian_words_and_digits(app, make_tenant, make_complaint, login_as):
    made = make_tenant(locale="fa")
    complaint = make_complaint(made)
    _reopened_closed_and_rated(app, made, complaint.id, ("نخست.", "دوم."), "پرستار مهربان بود.")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    html = client.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    entry = re.search(r'<li[^>]*data-event="rated">.*?</li>', html, re.S).group(0)
    assert ">rated<" not in entry
    assert "۴" in entry
    assert "۵" in entry
    assert not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", entry))  # the time too, in Persian digits
    assert "۴" in _section(html, "rating")
    assert "دوم." in _section(html, "decision-summary")
    assert "نخست." in _section(html, "earlier-decisions")
