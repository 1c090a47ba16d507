"""The inbox: tabs and counts, filters, search with any digits and Persian letters, keyset pages, htmx."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.catalog.models import Category, Unit
from services.complaints import lifecycle
from services.complaints.models import Complaint
from services.complaints.operations import assign
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db, utcnow
from tenants.models import StaffMember
from tenants.text import persian_digits


def _codes(html: str) -> list[str]:
    return re.findall(r'id="complaint-(\d+)"', html)


def _inbox(client, slug: str, **params) -> str:
    response = client.get(f"/{slug}/console/complaints", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def clinic(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return made, client


def test_tabs_show_counts_per_state_and_filter_by_state(app, clinic, make_complaint):
    made, client = clinic
    first, second = make_complaint(made), make_complaint(made)
    make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        for complaint in (first, second):
            c = db.session.get(Complaint, complaint.id)
            lifecycle.acknowledge(owner, c, c.version)
        db.session.commit()
    page = _inbox(client, made.tenant.slug)
    counts = dict(re.findall(r'data-count="(\w+)">([^<]*)<', page))
    assert counts["open"] == persian_digits("3")
    assert counts["acknowledged"] == persian_digits("2")
    assert counts["received"] == persian_digits("1")
    assert set(_codes(_inbox(client, made.tenant.slug, tab="acknowledged"))) == {str(first.id), str(second.id)}


def test_filters_by_category_with_its_children_unit_handler_priority_channel_and_safety(app, clinic, make_complaint):
    made, client = clinic
    with app.app_context(), tenant_scope(made.tenant.id):
        top = db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.id)).first()
        child = db.session.scalars(sa.select(Category).where(Category.parent_id == top.id)).first()
        unit_id = db.session.scalars(sa.select(Unit.id)).first()
    in_child = make_complaint(made, category_id=child.id, priority="urgent", channel="letter", safety=True)
    other = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        assign(owner, in_child.id, unit_id, made.owner.id, db.session.get(Complaint, in_child.id).version)
        db.session.commit()
    slug = made.tenant.slug
    assert _codes(_inbox(client, slug, category=top.id)) == [str(in_child.id)]
    assert _codes(_inbox(client, slug, unit=unit_id)) == [str(in_child.id)]
    assert _codes(_inbox(client, slug, handler="me")) == [str(in_child.id)]
    assert _codes(_inbox(client, slug, handler="none")) == [str(other.id)]
    assert _codes(_inbox(client, slug, priority="urgent")) == [str(in_child.id)]
    assert _codes(_inbox(client, slug, channel="letter")) == [str(in_child.id)]
    assert _codes(_inbox(client, slug, safety="1")) == [str(in_child.id)]


def test_overdue_escalated_and_received_between_in_the_jalali_calendar(app, clinic, make_complaint):
    made, client = clinic
    old = make_complaint(made, received_at=utcnow() - timedelta(days=40))
    recent = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, recent.id)
        lifecycle.escalate(owner, c, "Director asked.", c.version)
        db.session.commit()
    slug = made.tenant.slug
    page = _inbox(client, slug, overdue="1")
    assert _codes(page) == [str(old.id)]
    assert "row-overdue" in page
    assert _codes(_inbox(client, slug, escalated="1")) == [str(recent.id)]
    start = (utcnow() - timedelta(days=45)).date()
    end = (utcnow() - timedelta(days=35)).date()
    import jdatetime

    def jalali(d):
        j = jdatetime.date.fromgregorian(date=d)
        return persian_digits(f"{j.year}/{j.month:02d}/{j.day:02d}")

    assert _codes(_inbox(client, slug, **{"from": jalali(start), "to": jalali(end)})) == [str(old.id)]


def test_search_finds_by_code_with_any_digits_name_with_arabic_letters_phone_and_text(app, clinic, make_complaint):
    made, client = clinic
    target = make_complaint(
        made, complainant_name="مریم کاظمی", phone="09121234567", subject="بی‌احترامی در پذیرش", email="m.k@example.com"
    )
    make_complaint(made, complainant_name="رضا", subject="پارکینگ")
    slug = made.tenant.slug
    grouped = persian_digits(format_code(target.code)).replace("-", " - ")
    for query in (grouped, target.code, "مريم", "كاظمي", "0912 123 4567", "۰۹۱۲۱۲۳", "M.K@example", "احترامی"):
        assert _codes(_inbox(client, slug, q=query)) == [str(target.id)], query


def test_keyset_pages_walk_every_complaint_once(app, clinic, make_complaint):
    made, client = clinic
    now = utcnow()
    made_ids = {str(make_complaint(made, received_at=now - timedelta(hours=i)).id) for i in range(30)}
    seen: list[str] = []
    params: dict[str, str] = {}
    for _ in range(5):
        page = _inbox(client, made.tenant.slug, **params)
        seen += _codes(page)
        match = re.search(r'rel="next" href="[^"]*after=([0-9.]+)', page)
        if not match:
            break
        params = {"after": match.group(1)}
    assert len(seen) == 30
    assert set(seen) == made_ids


def test_htmx_gets_only_the_results(app, clinic, make_complaint):
    made, client = clinic
    make_complaint(made)
    response = client.get(f"/{made.tenant.slug}/console/complaints", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="inbox-results">')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_malformed_filters_are_ignored_not_errors(app, clinic, make_complaint):
    made, client = clinic
    make_complaint(made)
    page = _inbox(
        client,
        made.tenant.slug,
        tab="nope",
        category="x",
        unit="-1",
        sort="drop",
        after="abc.def",
        **{"from": "32/13/99"},
    )
    assert len(_codes(page)) == 1


def test_the_inbox_asks_the_same_number_of_queries_for_few_and_many_rows(app, clinic, make_complaint, count_queries):
    made, client = clinic
    url = f"/{made.tenant.slug}/console/complaints"
    make_complaint(made)
    few = count_queries(client, url)
    for _ in range(20):
        make_complaint(made)
    assert count_queries(client, url) == few


def test_another_tenant_sees_none_of_the_complaints(app, make_tenant, make_complaint, login_as):
    ours, theirs = make_tenant(), make_tenant()
    complaint = make_complaint(ours, subject="Ours only")
    client = app.test_client()
    login_as(client, theirs.tenant, theirs.owner)
    page = _inbox(client, theirs.tenant.slug, tab="all", q="Ours only")
    assert _codes(page) == []
    assert "Ours only" not in _inbox(client, theirs.tenant.slug, tab="all")
    base = f"/{theirs.tenant.slug}/console/complaints/{complaint.id}"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/steps/acknowledge", data={"version": "1"}).status_code == 404
    assert client.post(f"{base}/notes", data={"body": "x", "audience": "note"}).status_code == 404
    assert client.post(f"{base}/assign", data={"version": "1"}).status_code == 404


def test_bulk_assign_sets_the_ticked_complaints_and_names_those_it_refused(app, clinic, make_user, make_complaint):
    made, client = clinic
    nurse = make_user(made.tenant, "agent", name="Nurse Aliya")
    first, second = make_complaint(made), make_complaint(made)
    about_nurse = make_complaint(made, about_staff_id=nurse.id)
    untouched = make_complaint(made)
    response = client.post(
        f"/{made.tenant.slug}/console/complaints/bulk-assign",
        data={"ids": [first.id, second.id, about_nurse.id], "handler_id": str(nurse.id), "unit_id": ""},
    )
    assert response.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        handlers = dict(db.session.execute(sa.select(Complaint.id, Complaint.handler_id)).all())
    assert handlers[first.id] == handlers[second.id] == nurse.id
    assert handlers[about_nurse.id] is None
    assert handlers[untouched.id] is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert persian_digits(format_code(about_nurse.code)) in page


def test_bulk_assign_with_nothing_ticked_says_so(app, clinic):
    made, client = clinic
    response = client.post(f"/{made.tenant.slug}/console/complaints/bulk-assign", data={"handler_id": ""})
    assert response.status_code == 422


def test_the_complaint_page_asks_the_same_number_of_queries_however_long_its_log(
    app, clinic, make_complaint, count_queries
):
    from services.complaints.operations import add_note

    made, client = clinic
    complaint = make_complaint(made)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    few = count_queries(client, url)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        for n in range(12):
            add_note(owner, complaint.id, f"Note {n}")
        db.session.commit()
    assert count_queries(client, url) == few


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_like_is_leakproof_so_search_may_use_its_index_under_row_level_security(app):
    """Without it PostgreSQL filters every row of the tenant instead (`make bench` shows the difference)."""
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT proleakproof FROM pg_proc WHERE oid = 'textlike'::regproc"))
        index = db.session.scalar(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": SEARCH_INDEX})
    assert "gin_trgm_ops" in index


SEARCH_INDEX = "ix_complaints_tenant_id_search_text"
