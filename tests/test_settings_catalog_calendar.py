"""Settings: categories, units and root causes; the working week, holidays and deadline rules; per tenant."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import sqlalchemy as sa

from services.calendar.models import DeadlineRule, Holiday, WorkingCalendar
from services.catalog.models import Category, RootCause, Unit
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember


def _login(app, made, login_as):
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return client


def _rows(app, made, query):
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.execute(query).all()


def _form(prefix: str, **fields: str) -> dict[str, str]:
    """Form data as a prefixed form posts it: `new-name_en`, `row-3-name_en`, `rule-1-legal_days`…"""
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def test_an_admin_adds_a_subcategory_and_a_third_level_is_refused(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings/categories"
    assert client.post(base, data=_form("new", name_fa="پارکینگ", name_en="Parking")).status_code == 303
    (parent_id,) = _rows(app, made, sa.select(Category.id).where(Category.names["en"].as_string() == "Parking"))[0]
    assert client.post(base, data=_form("new", name_en="Valet", parent_id=str(parent_id))).status_code == 303
    (child_id,) = _rows(app, made, sa.select(Category.id).where(Category.parent_id == parent_id))[0]
    response = client.post(base, data=_form("new", name_en="Too deep", parent_id=str(child_id)))
    assert response.status_code == 422
    assert _rows(app, made, sa.select(Category.id).where(Category.parent_id == child_id)) == []


def test_a_name_is_needed_in_at_least_one_language(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    response = client.post(f"/{made.tenant.slug}/console/settings/root-causes", data=_form("new", name_fa="  "))
    assert response.status_code == 422
    assert "at least one language" in response.get_data(as_text=True)
    too_long = client.post(f"/{made.tenant.slug}/console/settings/root-causes", data=_form("new", name_en="x" * 201))
    assert too_long.status_code == 422


def test_a_unit_gets_a_head_and_a_staff_member_gets_a_unit(app, make_tenant, make_user, login_as):
    made = make_tenant()
    member = make_user(made.tenant, "unit_member")
    client = _login(app, made, login_as)
    slug = made.tenant.slug
    added = client.post(f"/{slug}/console/settings/units", data=_form("new", name_en="Lab", head_id=str(member.id)))
    assert added.status_code == 303
    unit_id, head_id = _rows(app, made, sa.select(Unit.id, Unit.head_id).where(Unit.names["en"].as_string() == "Lab"))[
        0
    ]
    assert head_id == member.id
    assert (
        client.post(f"/{slug}/console/settings/staff/{member.id}/unit", data={"unit_id": str(unit_id)}).status_code
        == 303
    )
    assert _rows(app, made, sa.select(StaffMember.unit_id).where(StaffMember.id == member.id))[0][0] == unit_id


def test_retiring_a_root_cause_keeps_it(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    (cause_id,) = _rows(app, made, sa.select(RootCause.id))[0]
    url = f"/{made.tenant.slug}/console/settings/root-causes/{cause_id}/active"
    assert client.post(url, data={"active": "0"}).status_code == 303
    assert _rows(app, made, sa.select(RootCause.is_active).where(RootCause.id == cause_id))[0][0] is False


def test_an_agent_cannot_change_settings(app, make_tenant, make_user, login_as):
    made = make_tenant()
    agent = make_user(made.tenant, "agent")
    client = app.test_client()
    login_as(client, made.tenant, agent)
    assert client.get(f"/{made.tenant.slug}/console/settings/categories").status_code == 403
    assert client.post(f"/{made.tenant.slug}/console/settings/units", data=_form("new", name_en="X")).status_code == 403
    assert (
        client.post(f"/{made.tenant.slug}/console/settings/calendar/preset", data={"preset": "iran"}).status_code == 403
    )


def test_another_tenants_rows_cannot_be_changed(app, make_tenant, login_as):
    ours, theirs = make_tenant(), make_tenant()
    (foreign_unit,) = _rows(app, theirs, sa.select(Unit.id))[0]
    (foreign_rule,) = _rows(app, theirs, sa.select(DeadlineRule.id))[0]
    client = _login(app, ours, login_as)
    slug = ours.tenant.slug
    mine = _form(f"row-{foreign_unit}", name_en="Mine")
    renamed = client.post(f"/{slug}/console/settings/units/{foreign_unit}", data=mine)
    assert renamed.status_code == 404
    assert client.post(f"/{slug}/console/settings/deadlines/{foreign_rule}/delete").status_code == 404
    assert "Mine" not in str(_rows(app, theirs, sa.select(Unit.names)))


def test_the_kazakhstan_preset_and_a_typed_week(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings/calendar"
    assert client.post(f"{base}/preset", data={"preset": "kazakhstan"}).status_code == 303
    hours = _rows(app, made, sa.select(WorkingCalendar.hours))[0][0]
    assert hours["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert "5" not in hours
    typed = {"d5_start1": "۰۸:۰۰", "d5_end1": "۱۲:۰۰", "d5_start2": "13:00", "d5_end2": "17:00"}
    assert client.post(f"{base}/week", data=typed).status_code == 303
    assert _rows(app, made, sa.select(WorkingCalendar.hours))[0][0] == {"5": [["08:00", "12:00"], ["13:00", "17:00"]]}


def test_a_broken_week_is_refused_and_shows_what_was_typed(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    response = client.post(
        f"/{made.tenant.slug}/console/settings/calendar/week", data={"d0_start1": "18:00", "d0_end1": "09:00"}
    )
    assert response.status_code == 422
    assert 'value="18:00"' in response.get_data(as_text=True)
    assert client.post(f"/{made.tenant.slug}/console/settings/calendar/week", data={}).status_code == 422


def test_official_holidays_are_imported_once_and_hand_added_ones_kept(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings/calendar/holidays"
    # 2030 is beyond the years imported at sign-up.
    assert client.post(base, data=_form("holiday", day="۱۴۰۹/۰۱/۰۱", name="نوروز")).status_code == 303
    assert client.post(f"{base}/import", data=_form("import", country="IR", year="2030")).status_code == 303
    assert client.post(f"{base}/import", data=_form("import", country="IR", year="2030")).status_code == 303
    days = [row[0] for row in _rows(app, made, sa.select(Holiday.day))]
    assert len(days) == len(set(days)) > 10
    hand = _rows(app, made, sa.select(Holiday.name, Holiday.official).where(Holiday.day == date(2030, 3, 21)))
    assert hand == [("نوروز", False)]
    assert client.post(f"{base}/import", data=_form("import", country="XX", year="2030")).status_code == 422


def test_an_override_by_priority_is_added_and_the_default_must_stay_whole(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings/deadlines"
    units = {"acknowledge_unit": "working_hours", "respond_unit": "working_hours", "resolve_unit": "calendar_days"}
    assert client.post(base, data=_form("new", priority="low", respond_amount="80", **units)).status_code == 303
    low = _rows(
        app,
        made,
        sa.select(DeadlineRule.respond_amount, DeadlineRule.acknowledge_amount).where(DeadlineRule.priority == "low"),
    )
    assert low == [(80, None)]
    assert client.post(base, data=_form("new", priority="low", respond_amount="60", **units)).status_code == 422
    assert client.post(base, data=_form("new", respond_amount="60", **units)).status_code == 422
    (default_id,) = _rows(
        app, made, sa.select(DeadlineRule.id).where(DeadlineRule.priority.is_(None), DeadlineRule.category_id.is_(None))
    )[0]
    broken = {"acknowledge_amount": "", "respond_amount": "40", "resolve_amount": "20", **units}
    assert client.post(f"{base}/{default_id}", data=_form(f"rule-{default_id}", **broken)).status_code == 422
    legal_without_basis = {
        "acknowledge_amount": "8",
        "respond_amount": "40",
        "resolve_amount": "20",
        "legal_days": "10",
        **units,
    }
    without_basis = client.post(f"{base}/{default_id}", data=_form(f"rule-{default_id}", **legal_without_basis))
    assert without_basis.status_code == 422
    assert client.post(f"{base}/{default_id}/delete").status_code == 422


class _Ids(HTMLParser):
    """Every id attribute of a page, and every label's `for`."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value is not None:
                self.ids.append(value)
            if tag == "label" and name == "for" and value is not None:
                self.label_targets.append(value)


def test_no_id_is_used_twice_on_a_settings_page(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings"
    for kind in ("categories", "units", "root-causes"):
        for name in ("First", "Second"):
            assert client.post(f"{base}/{kind}", data=_form("new", name_en=f"{name} {kind}")).status_code == 303
    holiday = _form("holiday", day="2030-01-01", name="New year")
    assert client.post(f"{base}/calendar/holidays", data=holiday).status_code == 303
    units = {"acknowledge_unit": "working_hours", "respond_unit": "working_hours", "resolve_unit": "calendar_days"}
    for priority in ("low", "normal"):
        rule = _form("new", priority=priority, respond_amount="80", **units)
        assert client.post(f"{base}/deadlines", data=rule).status_code == 303
    for page in ("categories", "units", "root-causes", "calendar", "deadlines"):
        response = client.get(f"{base}/{page}")
        assert response.status_code == 200
        parser = _Ids()
        parser.feed(response.get_data(as_text=True))
        twice = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
        assert twice == [], page
        assert set(parser.label_targets) <= set(parser.ids), page
        assert len(parser.label_targets) > 5, page


def test_a_refused_rename_keeps_what_was_typed(app, make_tenant, make_user, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings"
    (cause_id, cause_names) = _rows(app, made, sa.select(RootCause.id, RootCause.names))[0]
    typed = _form(f"row-{cause_id}", name_ru="Typed-Cause-42", name_en="x" * 201)
    response = client.post(f"{base}/root-causes/{cause_id}", data=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Typed-Cause-42"' in page
    assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="row-{cause_id}-name_en"', page)
    assert re.search(rf'id="row-{cause_id}">\s*<details open>', page)
    assert _rows(app, made, sa.select(RootCause.names).where(RootCause.id == cause_id))[0][0] == cause_names

    # The service's refusal (no name at all) is shown in the row's own form, which stays open.
    refused = client.post(f"{base}/root-causes/{cause_id}", data=_form(f"row-{cause_id}", name_en="  "))
    assert refused.status_code == 422
    row = refused.get_data(as_text=True).split(f'id="row-{cause_id}"', 1)[1].split("</li>", 1)[0]
    assert "<details open>" in row
    assert "at least one language" in row

    # A unit: the typed name stays while the head is refused.
    (unit_id,) = _rows(app, made, sa.select(Unit.id))[0]
    typed = _form(f"row-{unit_id}", name_en="Renamed-Lab-7", head_id="999999")
    response = client.post(f"{base}/units/{unit_id}", data=typed)
    assert response.status_code == 422
    assert 'value="Renamed-Lab-7"' in response.get_data(as_text=True)
    assert "Renamed-Lab-7" not in str(_rows(app, made, sa.select(Unit.names)))


def test_a_refused_rule_or_holiday_keeps_what_was_typed(app, make_tenant, login_as):
    made = make_tenant()
    client = _login(app, made, login_as)
    base = f"/{made.tenant.slug}/console/settings"
    (default_id,) = _rows(
        app, made, sa.select(DeadlineRule.id).where(DeadlineRule.priority.is_(None), DeadlineRule.category_id.is_(None))
    )[0]
    broken = _form(f"rule-{default_id}", acknowledge_amount="", respond_amount="41", respond_unit="working_hours")
    response = client.post(f"{base}/deadlines/{default_id}", data=broken)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="rule-{default_id}-respond_amount"[^>]*value="41"', page)

    holiday = _form("holiday", day="2030-01-01", name="New year")
    assert client.post(f"{base}/calendar/holidays", data=holiday).status_code == 303
    again = client.post(f"{base}/calendar/holidays", data=_form("holiday", day="2030-01-01", name="Typed-Day-9"))
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert 'value="Typed-Day-9"' in page
    assert 'id="holiday-day-error"' in page

    # A refused import keeps the chosen country; the region form beside it still shows the stored one.
    other = "IR" if made.tenant.country == "KZ" else "KZ"
    response = client.post(f"{base}/calendar/holidays/import", data=_form("import", country=other, year="1999"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'id="import-country"[^>]*>.*?<option selected value="{other}">', page, re.S)
    assert re.search(rf'id="region-country"[^>]*>.*?<option selected value="{made.tenant.country}">', page, re.S)
