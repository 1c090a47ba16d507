"""The deadline and escalation sweep with a frozen clock over working-day calendars (Iran's and Kazakhstan's
presets, a holiday in between): each rule fires once, in its order, on the deadline the complaint works
towards; again for the next deadline; and again after a reopening starts a new cycle."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.calendar import operations as calendar
from services.catalog.models import Unit
from services.complaints import lifecycle, operations
from services.complaints.models import Complaint, ComplaintEvent
from services.complaints.registration import ComplaintInput, register_complaint
from services.escalation import rules as escalation
from services.escalation.sweep import preview, sweep_all, sweep_tenant
from services.notifications.models import Notice
from tenants.context import tenant_scope
from tenants.db import clock_at, db
from tenants.errors import Refused
from tenants.models import StaffMember, Tenant

CASES = {
    # Registered on a Tuesday at 10:00, a working day in both weeks; the Wednesday after it is made a holiday.
    "fa": (ZoneInfo("Asia/Tehran"), date(2026, 12, 2)),
    "kk": (ZoneInfo("Asia/Almaty"), date(2026, 12, 2)),
}


def _log(complaint_id: int) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(
        sa.select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.kind == "escalation")
        .order_by(ComplaintEvent.id)
    )
    return [(e.data["name"], e.data["trigger"], e.data["deadline"]) for e in rows]


def _sweep(tenant_id: int, at: datetime) -> int:
    with clock_at(at):
        count = sweep_tenant(db.session.get(Tenant, tenant_id), at)
        db.session.commit()
    return count


@pytest.mark.parametrize("locale", ["fa", "kk"])
def test_rules_fire_once_in_order_per_deadline_and_again_after_a_reopening(app, make_tenant, make_user, locale):
    zone, holiday = CASES[locale]
    start = datetime(2026, 12, 1, 10, 0, tzinfo=zone)
    made = make_tenant(locale=locale)
    handler = make_user(made.tenant, role="agent")
    head = make_user(made.tenant, role="manager")
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        tenant = db.session.get(Tenant, made.tenant.id)
        calendar.add_holiday(owner, holiday, "A day off")
        unit = Unit(key="front", names={"en": "Front desk"}, head_id=head.id)
        db.session.add(unit)
        db.session.flush()
        defaults = [r.name for r in escalation.list_rules()]
        assert len(defaults) == 2
        escalation.save_rule(
            owner,
            None,
            escalation.RuleInput(
                "Escalate a day late",
                "overdue",
                24 * 60,
                raise_level=True,
                raise_priority=True,
                notify_roles=["manager"],
            ),
        )
        with clock_at(start):
            c = register_complaint(
                owner,
                tenant,
                ComplaintInput(channel="phone", complainant_name="Sara", subject="Late", description="Two hours."),
            )
            db.session.flush()
            operations.assign(owner, c.id, unit.id, handler.id, c.version)
        db.session.commit()
        ack = c.acknowledge_due_at
        # The holiday lies between the arrival and the deadline, which moves past it.
        assert ack.astimezone(zone).date() > holiday

        assert _sweep(tenant.id, start + timedelta(minutes=1)) == 0
        assert _sweep(tenant.id, ack - timedelta(hours=3)) == 1  # within four hours: the warning
        assert _sweep(tenant.id, ack - timedelta(hours=2)) == 0  # once
        assert _sweep(tenant.id, ack + timedelta(minutes=1)) == 1  # passed: handler and head
        assert _sweep(tenant.id, ack + timedelta(hours=2)) == 0
        assert _sweep(tenant.id, ack + timedelta(days=1, minutes=1)) == 1  # a day late: escalated
        c = db.session.get(Complaint, c.id)
        assert (c.escalation_level, c.priority) == (1, "high")
        assert _log(c.id) == [
            (defaults[0], "due_near", "acknowledge"),
            (defaults[1], "overdue", "acknowledge"),
            ("Escalate a day late", "overdue", "acknowledge"),
        ]
        told = [
            (n.event, n.recipient)
            for n in db.session.scalars(
                sa.select(Notice).where(Notice.event.in_(("deadline_near", "deadline_passed", "escalated")))
            )
        ]
        assert told == [
            ("deadline_near", handler.email),
            ("deadline_passed", handler.email),
            ("deadline_passed", head.email),
            ("escalated", head.email),
        ]

        # The next deadline is another one: the warning comes again, for it.
        at = ack + timedelta(days=1, minutes=2)
        with clock_at(at):
            lifecycle.acknowledge(owner, c, c.version)
            lifecycle.investigate(owner, c, c.version)
            db.session.commit()
        respond = c.respond_due_at
        assert _sweep(tenant.id, respond - timedelta(hours=1)) == 1
        assert _log(c.id)[-1] == (defaults[0], "due_near", "respond")

        # Answered, rejected, reopened: a new cycle, and the rules fire again on its deadline.
        with clock_at(respond - timedelta(minutes=30)):
            lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(False, "No fault."), c.version)
            lifecycle.respond(owner, c, "Here is why.", c.version)
            lifecycle.reopen(None, tenant, c, "Not satisfied.")
            db.session.commit()
        assert c.cycle == 2
        again = c.next_due_at
        assert _sweep(tenant.id, again - timedelta(hours=1)) == 1
        assert _sweep(tenant.id, again + timedelta(minutes=1)) == 1
        assert _log(c.id)[-3:] == [
            (defaults[0], "due_near", "respond"),
            (defaults[0], "due_near", "respond"),
            (defaults[1], "overdue", "respond"),
        ]
        cycles = db.session.execute(
            sa.text("SELECT cycle FROM escalation_firings WHERE complaint_id = :c ORDER BY id"), {"c": c.id}
        ).scalars()
        assert list(cycles)[-3:] == [1, 2, 2]


def _complaint(app, made, **fields) -> int:
    values = {"channel": "phone", "complainant_name": "Sara", "subject": "Late", "description": "Two hours."} | fields
    with app.app_context(), tenant_scope(made.tenant.id):
        c = register_complaint(
            db.session.get(StaffMember, made.owner.id), db.session.get(Tenant, made.tenant.id), ComplaintInput(**values)
        )
        db.session.commit()
        return c.id


def test_conditions_silence_reassignment_and_an_outside_address(app, make_tenant, make_user):
    made, other = make_tenant(), make_tenant()
    backup = make_user(made.tenant, role="agent")
    start = datetime(2026, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC"))
    with clock_at(start):
        urgent = _complaint(app, made, priority="urgent", channel="email", email="sara@example.com")
        normal = _complaint(app, made, priority="normal", channel="email")
        by_phone = _complaint(app, made, priority="urgent", channel="phone")
        theirs = _complaint(app, other, priority="urgent", channel="email")
    with app.app_context(), tenant_scope(other.tenant.id):
        # The other organization keeps no rules: what A's rule does must not reach it.
        for rule in escalation.list_rules():
            escalation.remove_rule(db.session.get(StaffMember, other.owner.id), rule.id)
        db.session.commit()
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        for rule in escalation.list_rules():
            escalation.remove_rule(owner, rule.id)
        rule = escalation.save_rule(
            owner,
            None,
            escalation.RuleInput(
                "Silent urgent e-mails",
                "idle",
                48 * 60,
                priorities=["urgent"],
                channels=["email"],
                reassign_handler_id=backup.id,
                notify_email="regulator@example.org",
            ),
        )
        db.session.commit()
        assert preview(rule, start + timedelta(hours=47)) == []
        hits = preview(rule, start + timedelta(hours=49))
        assert [(h.complaint.id, h.deadline, h.fired) for h in hits] == [(urgent, "idle", False)]
        rule_id = rule.id
    with clock_at(start + timedelta(hours=49)), app.app_context():
        sweep_all(start + timedelta(hours=49))
        sweep_all(start + timedelta(hours=50))  # once per cycle
    with app.app_context(), tenant_scope(made.tenant.id):
        fired = db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "escalation")).all()
        assert [(e.complaint_id, e.data["deadline"]) for e in fired] == [(urgent, "idle")]
        assert db.session.get(Complaint, urgent).handler_id == backup.id
        assert db.session.get(Complaint, normal).handler_id is None
        assert db.session.get(Complaint, by_phone).handler_id is None
        outside = db.session.scalars(sa.select(Notice).where(Notice.recipient == "regulator@example.org")).one()
        assert outside.event == "escalated"
        assert "?t=" not in outside.body  # the public status, never the complainant's signed link
        # Quiet again for two days after the reassignment: hit, but done already in this cycle.
        later = start + timedelta(hours=98)
        assert [h.fired for h in preview(escalation.get_rule(rule_id), later)] == [True]
    with clock_at(later), app.app_context():
        sweep_all(later)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert len(db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "escalation")).all()) == 1
    with app.app_context(), tenant_scope(other.tenant.id):
        assert db.session.get(Complaint, theirs).handler_id is None
        assert not db.session.scalars(sa.select(ComplaintEvent).where(ComplaintEvent.kind == "escalation")).all()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"trigger": "someday"}, "trigger"),
        ({"minutes": -5}, "minutes"),
        ({"trigger": "idle", "minutes": 0}, "minutes"),
        ({"states": ["closed"]}, "states"),
        ({"notify_email": "not an address"}, "notify_email"),
        ({"notify_handler": False}, "actions"),
        ({"reassign_handler_id": 999999}, "reassign_handler_id"),
    ],
)
def test_a_rule_that_cannot_work_is_refused(app, make_tenant, change, field):
    made = make_tenant()
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        data = {"name": "Warn", "trigger": "due_near", "minutes": 60, "notify_handler": True} | change
        with pytest.raises(Refused) as refused:
            escalation.save_rule(owner, None, escalation.RuleInput(**data))
        assert refused.value.field == field
        assert len(escalation.list_rules()) == 2


def test_the_settings_page_adds_previews_moves_and_removes_rules(app, make_tenant, make_user, login_as):
    made = make_tenant(locale="fa")
    manager = make_user(made.tenant, role="manager")
    complaint_id = _complaint(app, made)
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    base = f"/{made.tenant.slug}/console/settings/escalation"
    page = client.get(base)
    assert page.status_code == 200
    assert 'dir="rtl"' in page.get_data(as_text=True)

    refused = client.post(base, data={"new-name": "Tell the managers", "new-trigger": "overdue", "new-amount": "1"})
    assert refused.status_code == 422  # it does nothing
    assert 'value="Tell the managers"' in refused.get_data(as_text=True)  # what was typed stays

    added = client.post(
        base,
        data={
            "new-name": "Tell the managers",
            "new-is_active": "y",
            "new-trigger": "due_near",
            "new-deadline": "any",
            "new-amount": "30",
            "new-unit": "days",
            "new-notify_roles": ["manager"],
            "new-notify_member_ids": [str(manager.id)],
        },
    )
    assert added.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        rules = escalation.list_rules()
        assert [r.name for r in rules][-1] == "Tell the managers"
        new = rules[-1]
        assert (new.minutes, new.notify_roles, new.notify_member_ids) == (30 * 24 * 60, ["manager"], [manager.id])
        first = rules[0].id
    shown = client.get(f"{base}/{new.id}")
    assert shown.status_code == 200
    assert f'data-complaint="{complaint_id}"' in shown.get_data(as_text=True)  # due within 30 days: hit now

    assert client.post(f"{base}/{new.id}/move", data={"to": "up"}).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert [r.id for r in escalation.list_rules()].index(new.id) == 1
    saved = client.post(
        f"{base}/{first}",
        data={"rule-" + str(first) + "-" + k: v for k, v in {"name": "x", "trigger": "idle", "amount": "0"}.items()},
    )
    assert saved.status_code == 422
    assert client.post(f"{base}/{new.id}/delete").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert new.id not in [r.id for r in escalation.list_rules()]
    assert client.get(f"{base}/{new.id}").status_code == 404
