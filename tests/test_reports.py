"""The reports and the home page: figures against a naive count over generated complaints, every figure's link
listing exactly what it counts, access by role and tenant, and bad periods and filters refused in words."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest

from services.calendar.deadlines import Calendar
from services.calendar.worktime import PRESETS
from services.reports.periods import Period, bucket_of, preset_period
from services.reports.satisfaction import wilson
from services.reports.timeliness import working_days_back
from tests.fixtures.reports import Fact, count_where, drill_links, listed, seed, tab_of, within

TZ = "Asia/Almaty"
REPORTS = ("volume", "timeliness", "outcomes", "satisfaction", "recurrence", "actions")


def _cells(body: str, table: str, row: str) -> list[str]:
    """The texts of a report table's row (its cells after the label)."""
    section = re.search(rf'<table[^>]*data-table="{table}".*?</table>', body, re.S)
    assert section, f"no table {table}"
    found = re.search(rf'<tr data-row="{re.escape(row)}">(.*?)</tr>', section.group(0), re.S)
    assert found, f"no row {row} in {table}"
    return [
        unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    ]


def _count(body: str, table: str, row: str, column: int = 0) -> int:
    text = _cells(body, table, row)[column].replace(",", "").replace("\u00a0", "")
    return int(text)


@pytest.fixture
def generated(app, make_tenant):
    made = make_tenant()
    now = datetime.now(UTC)
    facts = seed(app, made.tenant.id, start=now - timedelta(days=70), days=68, count=70)
    first = (now - timedelta(days=60)).astimezone().date()
    last = now.date()
    return made, facts, first, last


def _args(first: date, last: date) -> str:
    return f"period=range&from={first.isoformat()}&to={last.isoformat()}"


def test_volume_matches_a_naive_count(client, login_as, generated):
    made, facts, first, last = generated
    login_as(client, made.tenant, made.owner)
    response = client.get(f"/{made.tenant.slug}/console/reports/volume?{_args(first, last)}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    arrived = [f for f in facts if within(f.received_at, first, last, TZ)]
    assert 0 < len(arrived) < len(facts)
    for kind in ("complaint", "suggestion", "compliment"):
        assert _count(body, "kinds", kind) == count_where(arrived, kind=kind)
    for channel in ("web", "phone", "email", "messenger", "letter"):
        assert _count(body, "channels", channel) == count_where(arrived, channel=channel)
    tops = {f.top_category_id for f in arrived}
    for top in tops:
        assert _count(body, "categories", str(top)) == count_where(arrived, top_category_id=top)
    causes = {f.root_cause_id for f in arrived if f.root_cause_id}
    for cause in causes:
        assert _count(body, "root_causes", str(cause)) == count_where(arrived, root_cause_id=cause)
    over = re.search(r'data-table="over_time".*?</table>', body, re.S).group(0)
    per_day = sum(int(n) for n in re.findall(r'data-count="(\d+)"', over))
    assert per_day == len(arrived)


def test_outcomes_match_a_naive_count(client, login_as, generated):
    made, facts, first, last = generated
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/outcomes?{_args(first, last)}").get_data(as_text=True)
    arrived = [f for f in facts if within(f.received_at, first, last, TZ)]
    complaints = [f for f in arrived if f.kind == "complaint"]
    assert _count(body, "outcomes", "received") == len(complaints)
    assert _count(body, "outcomes", "decided") == count_where(complaints, justified=lambda f: f.justified is not None)
    assert _count(body, "outcomes", "justified") == count_where(complaints, justified=True)
    assert _count(body, "outcomes", "unjustified") == count_where(complaints, justified=False)
    accepted = count_where(complaints, state="closed", auto_closed=False)
    assert _count(body, "outcomes", "accepted") == accepted
    assert _count(body, "outcomes", "rejected") == count_where(complaints, reopen_count=lambda f: f.reopen_count > 0)
    assert _count(body, "outcomes", "withdrawn") == count_where(arrived, state="withdrawn")
    for level in (1, 2):
        expected = count_where(complaints, escalation_level=level)
        if expected:
            assert _count(body, "escalation_levels", str(level)) == expected


def test_satisfaction_matches_a_naive_count(client, login_as, generated):
    made, facts, first, last = generated
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/satisfaction?{_args(first, last)}").get_data(as_text=True)
    closed = [f for f in facts if f.state == "closed" and within(f.closed_at, first, last, TZ)]
    rated = [f for f in closed if f.score is not None]
    assert rated
    for score in range(1, 6):
        assert _count(body, "distribution", str(score)) == count_where(closed, score=score)
    assert _count(body, "response", "closed") == len(closed)
    assert _count(body, "response", "rated") == len(rated)
    mean = sum(f.score for f in rated) / len(rated)
    assert f"{mean:.1f}" in body
    assert body.count("Thank you") == count_where(rated, comment="Thank you")


def test_timeliness_matches_a_naive_count(client, login_as, generated):
    made, facts, first, last = generated
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/timeliness?{_args(first, last)}").get_data(as_text=True)
    arrived = [f for f in facts if within(f.received_at, first, last, TZ)]
    now = datetime.now(UTC)
    for deadline, met_at in (("acknowledge", "acknowledged_at"), ("respond", "responded_at"), ("resolve", "closed_at")):

        def on_time(f: Fact, deadline=deadline, met_at=met_at) -> bool:
            due, met = getattr(f, f"{deadline}_due_at"), getattr(f, met_at)
            return met is not None and met <= due

        def late(f: Fact, deadline=deadline, met_at=met_at) -> bool:
            due, met = getattr(f, f"{deadline}_due_at"), getattr(f, met_at)
            return (met is not None and met > due) or (met is None and due < (f.withdrawn_at or now))

        assert _count(body, "deadlines", deadline, 0) == sum(map(on_time, arrived))
        assert _count(body, "deadlines", deadline, 1) == sum(map(late, arrived))
        hours = sorted(h for f in arrived if (h := getattr(f, f"{deadline}_hours")) is not None)
        for column, q in ((3, 0.5), (4, 0.9)):
            expected = hours[max(math.ceil(q * len(hours)) - 1, 0)]
            shown = _cells(body, "deadlines", deadline)[column]
            assert shown == f"{round(expected, 1) if expected < 10 else round(expected)} hours".replace(
                ".0 hours", " hours"
            ), (deadline, q)


@pytest.mark.parametrize("name", REPORTS)
def test_every_figure_of_a_report_lists_exactly_what_it_counts(client, login_as, generated, name):
    made, _facts, first, last = generated
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/{name}?{_args(first, last)}").get_data(as_text=True)
    links = drill_links(body)
    assert links
    for href, count in links:
        if "/complaints" not in href:
            continue
        assert listed(client, href) == count, href


def test_every_figure_of_the_home_page_lists_exactly_what_it_counts(client, login_as, generated):
    made, _facts, _first, _last = generated
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/").get_data(as_text=True)
    links = drill_links(body)
    assert len(links) > 15
    assert any(count > 0 for _href, count in links)
    for href, count in links:
        assert listed(client, href) == count, href
        assert tab_of(href) in ("open", "all", "closed")


def test_a_handler_sees_their_own_work_and_no_organization_figures(
    client, login_as, make_user, make_complaint, generated
):
    made, _facts, _first, _last = generated
    agent = make_user(made.tenant, role="agent")
    login_as(client, made.tenant, agent)
    body = client.get(f"/{made.tenant.slug}/console/").get_data(as_text=True)
    assert 'id="mine-open"' in body
    assert 'id="organization"' not in body
    report = client.get(f"/{made.tenant.slug}/console/reports/volume?period=this_year").get_data(as_text=True)
    # An agent's reports count only the complaints they handle: none of the generated ones.
    assert re.search(r'<span class="stat-value"><a href="[^"]*handler=me[^"]*" data-count="0">0</a>', report)


def test_a_unit_members_report_counts_only_their_unit(app, client, login_as, make_user, generated):
    made, facts, first, last = generated
    unit_id = next(f.unit_id for f in facts if f.unit_id)
    member = make_user(made.tenant, role="unit_member")
    from tests.fixtures.reports import StaffMember, db, tenant_scope

    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.get(StaffMember, member.id).unit_id = unit_id
        db.session.commit()
    login_as(client, made.tenant, member)
    body = client.get(f"/{made.tenant.slug}/console/reports/volume?{_args(first, last)}").get_data(as_text=True)
    arrived = [f for f in facts if within(f.received_at, first, last, TZ)]
    for kind in ("complaint", "suggestion", "compliment"):
        assert _count(body, "kinds", kind) == count_where(arrived, kind=kind, unit_id=unit_id)


def test_another_organization_sees_nothing_of_these_figures(client, login_as, make_tenant, generated):
    made, _facts, first, last = generated
    other = make_tenant()
    login_as(client, other.tenant, other.owner)
    for name in REPORTS:
        response = client.get(f"/{made.tenant.slug}/console/reports/{name}?{_args(first, last)}")
        assert response.status_code in (302, 303, 401, 403, 404)
        own = client.get(f"/{other.tenant.slug}/console/reports/{name}?{_args(first, last)}").get_data(as_text=True)
        assert all(count == 0 for _href, count in drill_links(own))
    # Their own report refuses this organization's category.
    from tests.fixtures.reports import Category, db, sa, tenant_scope

    with client.application.app_context(), tenant_scope(made.tenant.id):
        category_id = db.session.scalar(sa.select(Category.id).limit(1))
    response = client.get(f"/{other.tenant.slug}/console/reports/volume?category={category_id}")
    assert response.status_code == 422
    assert "There is no such category." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=range&from=2026-12-01&to=2026-11-01", "The period ends before it begins."),
        ("period=range&from=1990-01-01&to=2040-01-01", "A period can be at most ten years long."),
        ("period=range&from=1405/09/01&to=2026-12-01", "The first day is not a date in your calendar."),
        ("period=range&from=2026-12-01", "Type the first and the last day of the period."),
        ("period=fortnight", "There is no such period: choose one from the list."),
        ("channel=pigeon", "There is no such channel."),
        ("priority=%00", "There is no such priority."),
        ("unit=abc", "There is no such unit."),
        ("handler=999999", "There is no such staff member."),
    ],
)
def test_a_bad_period_or_filter_is_refused_in_words(client, login_as, make_tenant, query, message):
    made = make_tenant()
    login_as(client, made.tenant, made.owner)
    response = client.get(f"/{made.tenant.slug}/console/reports/volume?{query}")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in unescape(body)
    # What was typed is kept in the form.
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key in ("from", "to") and value:
            assert f'value="{value}"' in body


def test_a_persian_reader_types_a_jalali_range_and_gets_the_month_across_two_gregorian_months(
    app, client, login_as, make_tenant
):
    made = make_tenant(locale="fa")
    now = datetime.now(UTC)
    facts = seed(app, made.tenant.id, start=datetime(2026, 11, 10, tzinfo=UTC), days=50, count=40)
    login_as(client, made.tenant, made.owner)
    # آذر ۱۴۰۵ is 22 November to 21 December 2026.
    body = client.get(
        f"/{made.tenant.slug}/console/reports/volume?period=range&from=۱۴۰۵/۰۹/۰۱&to=۱۴۰۵/۰۹/۳۰"
    ).get_data(as_text=True)
    arrived = [f for f in facts if within(f.received_at, date(2026, 11, 22), date(2026, 12, 21), "Asia/Tehran")]
    assert 0 < len(arrived) < len(facts)
    shown = sum(
        int(n)
        for n in re.findall(r'data-count="(\d+)"', re.search(r'data-table="kinds".*?</table>', body, re.S).group(0))
    )
    assert shown == len(arrived)
    assert "آذر ۱۴۰۵" in body or "۱ آذر ۱۴۰۵" in body
    assert now  # the generated complaints may lie in the future of a slow clock: they are counted all the same


def test_the_same_customer_again_within_90_days(client, login_as, make_tenant, make_complaint):
    made = make_tenant()
    make_complaint(made, phone="+77015550000")
    make_complaint(made, phone="+77015550000")  # again: counted
    make_complaint(made, email="aigerim@example.com", phone=None)
    make_complaint(made, email="aigerim@example.com", phone="+77015559999")  # again by e-mail: counted
    make_complaint(made, phone="+77015551111")
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/recurrence?period=this_year").get_data(as_text=True)
    assert _count(body, "repeat", "again") == 2
    assert _count(body, "repeat", "all") == 5
    for href, count in drill_links(body):
        assert listed(client, href) == count, href


def test_a_u_chart_signals_only_what_is_well_above_its_usual():
    from services.reports.recurrence import signals

    past = [{"a": 10, "b": 10} for _ in range(12)]
    found = signals([{"a": 30, "b": 12, "c": 2}, *past], [100] * 13)
    assert [s.key for s in found] == ["a"]
    assert round(found[0].limit, 3) == round(0.1 + 3 * (0.1 / 100) ** 0.5, 3)
    assert signals([{"a": 5}, *past], [0] * 13) == []


def test_periods_in_both_calendars():
    azar = preset_period("this_month", date(2026, 12, 3), jalali=True)
    assert (azar.first, azar.last, azar.whole) == (date(2026, 11, 22), date(2026, 12, 21), "month")
    assert azar.previous() == Period(date(2026, 10, 23), date(2026, 11, 21), "range", True)
    assert azar.year_before().first == date(2025, 11, 22)
    quarter = preset_period("last_quarter", date(2026, 12, 3), jalali=False)
    assert (quarter.first, quarter.last, quarter.whole) == (date(2026, 7, 1), date(2026, 9, 30), "quarter")
    year = preset_period("last_year", date(2026, 3, 25), jalali=True)  # 5 Farvardin 1405
    assert (year.first, year.last) == (date(2025, 3, 21), date(2026, 3, 20))
    # Saturday-first weeks for Iran.
    assert bucket_of(date(2026, 12, 3), "week", False, 5) == date(2026, 11, 28)
    assert bucket_of(date(2026, 12, 3), "month", True, 5) == date(2026, 11, 22)


def test_backlog_ages_are_counted_in_working_days_skipping_holidays():
    from zoneinfo import ZoneInfo

    calendar = Calendar(PRESETS["kazakhstan"], frozenset({date(2026, 12, 16)}), ZoneInfo(TZ))
    # Thursday 17 December 2026: Wednesday the 16th is a holiday, the weekend is not worked.
    today = date(2026, 12, 17)
    assert working_days_back(calendar, today, 0) == today
    assert working_days_back(calendar, today, 1) == date(2026, 12, 16)
    assert working_days_back(calendar, today, 2) == date(2026, 12, 14)
    assert working_days_back(calendar, today, 3) == date(2026, 12, 13)  # Friday the 11th is as old


def test_the_response_rate_interval_is_wilsons():
    low, high = wilson(8, 10)
    assert round(low, 3) == 0.490
    assert round(high, 3) == 0.943
    assert wilson(0, 0) is None


def test_complaints_per_thousand_from_the_months_entered_in_settings(client, login_as, make_tenant, make_complaint):
    made = make_tenant()
    for _ in range(3):
        make_complaint(made)
    login_as(client, made.tenant, made.owner)
    page = client.get(f"/{made.tenant.slug}/console/settings/reporting").get_data(as_text=True)
    fields = re.findall(r'name="(m-\d{4}-\d{2}-\d{2})"', page)
    assert len(fields) == 12
    this_month = fields[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"kind": "visits", this_month: "1 500", **({"csrf_token": token.group(1)} if token else {})}
    bad = client.post(f"/{made.tenant.slug}/console/settings/reporting", data={**data, fields[1]: "-4"})
    assert bad.status_code == 422
    assert "Type a whole number from 0 up" in bad.get_data(as_text=True)
    assert 'value="1 500"' in bad.get_data(as_text=True)  # what was typed is kept
    assert client.post(f"/{made.tenant.slug}/console/settings/reporting", data=data).status_code in (302, 303)
    body = client.get(f"/{made.tenant.slug}/console/reports/volume?period=this_month").get_data(as_text=True)
    cells = _cells(body, "rate", this_month[2:])
    assert cells[0] == "3"
    assert cells[1].replace(",", "") == "1500"
    assert cells[2] == "2.0"


def test_the_corrective_actions_register_and_what_came_back_after_an_action(
    app, client, login_as, make_tenant, make_complaint
):
    import sqlalchemy as sa

    from services.catalog.models import RootCause, Unit
    from services.complaints.models import Complaint, CorrectiveAction
    from tenants.context import tenant_scope
    from tenants.db import db

    made = make_tenant()
    now = datetime.now(UTC)
    first, second, third = (make_complaint(made) for _ in range(3))
    with app.app_context(), tenant_scope(made.tenant.id):
        unit = db.session.scalar(sa.select(Unit.id).limit(1))
        cause = db.session.scalar(sa.select(RootCause.id).limit(1))
        for complaint, days_ago in ((first, 30), (second, 10), (third, 0)):
            row = db.session.get(Complaint, complaint.id)
            row.received_at, row.unit_id = now - timedelta(days=days_ago), unit
        today = now.date()
        action = CorrectiveAction
        db.session.add_all(
            [
                action(complaint_id=first.id, root_cause_id=cause, unit_id=unit, owner_id=made.owner.id,
                       description="Retrain the desk", status="done", due_on=today, done_at=now - timedelta(hours=1)),
                action(complaint_id=second.id, root_cause_id=cause, description="Late one", status="done",
                       due_on=today - timedelta(days=5), done_at=now - timedelta(hours=2)),
                action(complaint_id=second.id, description="Overdue", status="planned",
                       due_on=today - timedelta(days=2)),
                action(complaint_id=third.id, root_cause_id=cause, unit_id=unit, description="Effective",
                       status="verified_effective", due_on=today, done_at=now),
            ]
        )  # fmt: skip
        db.session.commit()
    login_as(client, made.tenant, made.owner)
    body = client.get(f"/{made.tenant.slug}/console/reports/actions?period=this_year").get_data(as_text=True)
    assert _count(body, "register", "done") == 2
    assert _count(body, "register", "planned") == 1
    assert _count(body, "register", "verified_effective") == 1
    assert _count(body, "register", "overdue") == 1
    assert _count(body, "register", "late") == 1  # done five days after its due day
    assert _count(body, "register", "on_time") == 2
    assert _count(body, "action_owner", str(made.owner.id)) == 1
    # The first action: the same cause in the same unit, 90 days before it was done and from then.
    before, after = _cells(body, "after_actions", str(_action_id(app, made, "Retrain the desk")))
    assert (int(before), int(after)) == (2, 1)
    for href, count in drill_links(body):
        assert listed(client, href) == count, href


def _action_id(app, made, description: str) -> int:
    import sqlalchemy as sa

    from services.complaints.models import CorrectiveAction
    from tenants.context import tenant_scope
    from tenants.db import db

    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.scalar(sa.select(CorrectiveAction.id).where(CorrectiveAction.description == description))


def test_a_steps_working_hours_skip_the_night_the_weekend_and_a_holiday(app, make_tenant):
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from services.calendar.models import Holiday
    from services.complaints.lifecycle import acknowledge
    from services.complaints.registration import ComplaintInput, register_complaint
    from tenants.context import tenant_scope
    from tenants.db import clock_at, db
    from tenants.models import StaffMember, Tenant

    made = make_tenant()
    almaty = ZoneInfo(TZ)
    with app.app_context(), tenant_scope(made.tenant.id):
        tenant, owner = db.session.get(Tenant, made.tenant.id), db.session.get(StaffMember, made.owner.id)
        # 16 December, Independence Day, is among Kazakhstan's official holidays every organization starts with.
        assert db.session.scalar(sa.select(Holiday.id).where(Holiday.day == date(2026, 12, 16)))
        with clock_at(datetime(2026, 12, 11, 12, 0, tzinfo=almaty)):  # a Friday, noon
            complaint = register_complaint(
                owner, tenant, ComplaintInput(channel="phone", complainant_name="A", subject="S", description="D")
            )
        with clock_at(datetime(2026, 12, 17, 10, 0, tzinfo=almaty)):  # the next Thursday, 10:00
            acknowledge(owner, complaint, complaint.version)
        # Friday 12–13 and 14–18, Monday and Tuesday 8 each, Wednesday the holiday, Thursday 9–10.
        assert complaint.acknowledge_hours == 1 + 4 + 8 + 8 + 1


def test_a_complaint_about_a_manager_is_not_counted_in_their_reports(  # noqa: PLR0917
    app, client, login_as, make_tenant, make_user, make_complaint
):
    from services.complaints.models import Complaint
    from tenants.context import tenant_scope
    from tenants.db import db

    made = make_tenant()
    manager = make_user(made.tenant, role="manager")
    about = make_complaint(made)
    make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        db.session.get(Complaint, about.id).about_staff_id = manager.id
        db.session.commit()
    login_as(client, made.tenant, manager)
    body = client.get(f"/{made.tenant.slug}/console/reports/volume?period=this_year").get_data(as_text=True)
    assert _count(body, "kinds", "complaint") == 1
    home = client.get(f"/{made.tenant.slug}/console/").get_data(as_text=True)
    assert re.search(r'id="org-open" data-count="1"', home)
    csv_body = client.get(f"/{made.tenant.slug}/console/complaints.csv?tab=all").get_data(as_text=True)
    assert csv_body.count("\r\n") == 2  # the header and the one complaint not about them


def test_a_category_far_above_its_usual_is_signalled_with_its_complaints(
    app, client, login_as, make_tenant, make_complaint
):
    import sqlalchemy as sa

    from services.catalog.models import Category
    from services.complaints.models import Complaint
    from tenants.context import tenant_scope
    from tenants.db import db

    made = make_tenant()
    made_ids = [make_complaint(made).id for _ in range(16)]
    with app.app_context(), tenant_scope(made.tenant.id):
        a, b = db.session.scalars(sa.select(Category.id).where(Category.parent_id.is_(None)).limit(2)).all()
        moments = [datetime(2025 + (10 + m) // 12, (10 + m) % 12 + 1, 15, 6, tzinfo=UTC) for m in range(12)]
        moments += [datetime(2026, 11, day, 6, tzinfo=UTC) for day in (10, 11, 12, 13)]
        for complaint_id, moment, category in zip(made_ids, moments, [b] * 12 + [a, a, a, b], strict=True):
            row = db.session.get(Complaint, complaint_id)
            row.received_at, row.category_id = moment, category
        db.session.commit()
    login_as(client, made.tenant, made.owner)
    body = client.get(
        f"/{made.tenant.slug}/console/reports/recurrence?period=range&from=2026-11-01&to=2026-11-30"
    ).get_data(as_text=True)
    assert _count(body, "category_signals", str(a)) == 3
    assert f'data-row="{b}"' not in re.search(r'data-table="category_signals".*?</table>', body, re.S).group(0)
    for href, count in drill_links(body):
        assert listed(client, href) == count, href
