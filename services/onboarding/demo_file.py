"""A demo organization's living inbox: a few dozen complaints in every state, with a history spread over weeks."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa

from services.catalog.models import Category, RootCause, Unit
from services.complaints import actions as corrective
from services.complaints import lifecycle
from services.complaints.models import Complaint, CorrectiveAction
from services.complaints.operations import add_note, assign, message_customer
from services.complaints.registration import ComplaintInput, register_complaint
from tenants.db import clock_at, db, utcnow
from tenants.models import StaffMember, Tenant

# Each step of a history takes between one and this many hours, and never reaches past now.
_STEP_HOURS = 20


@dataclass(frozen=True)
class DemoStory:
    """What a demo's history is made of: its complaints' file, the unit its unit member works in (who handles that
    unit's complaints), and the words of a verification and of a corrective action an entry does not spell out."""

    complaints: str
    member_unit: str
    verified: str
    default_action: dict[str, str]


def load_demo_complaints(name: str = "demo_complaints.json") -> list[dict[str, Any]]:
    """A demo's complaints as kept in services/onboarding/<name>."""
    text = resources.files("services.onboarding").joinpath(name).read_text("utf-8")
    return json.loads(text)


def seed_demo_file(tenant: Tenant, staff: dict[str, StaffMember], story: DemoStory) -> int:
    """Fill the demo tenant (in scope) with its complaints; `staff` maps roles to members. Returns how many."""
    units = {u.key: u for u in db.session.scalars(sa.select(Unit))}
    staff["unit_member"].unit_id = units[story.member_unit].id
    now = utcnow()
    entries = load_demo_complaints(story.complaints)
    for n, entry in enumerate(entries):
        start = now - timedelta(days=entry["days_ago"], hours=n % 9 + 1)
        _Story(tenant, staff, units, entry, story, start=start, end=now, seed=n).play()
    db.session.flush()
    return len(entries)


class _Story:
    """One complaint's history, played through the real operations at moments spread from its arrival."""

    def __init__(self, tenant, staff, units, entry, story, *, start: datetime, end: datetime, seed: int) -> None:
        self.tenant, self.entry, self.units, self.story = tenant, entry, units, story
        self.agent, self.manager, self.member = staff["agent"], staff["manager"], staff["unit_member"]
        self.categories = {c.key: c for c in db.session.scalars(sa.select(Category))}
        self.causes = {r.key: r for r in db.session.scalars(sa.select(RootCause))}
        self.moment, self.end = start, end
        self.random = random.Random(seed)  # noqa: S311 - a demo's timing, not a secret
        self.c: Complaint

    def at(self, step: Callable[[], object]) -> None:
        room = max((self.end - self.moment).total_seconds() / 3600 - 0.1, 0.01)
        self.moment += timedelta(hours=min(self.random.uniform(1, _STEP_HOURS), room / 2))
        with clock_at(self.moment):
            step()
            db.session.flush()

    def play(self) -> None:
        e = self.entry
        target = e["state"]
        self._register()
        if target != "received":
            self._acknowledge_and_assign()
        if target == "withdrawn":
            self.at(lambda: lifecycle.withdraw(self.agent, self.c, e.get("withdraw_reason") or "—", self.c.version))
        elif target in ("received", "acknowledged"):
            self._note(self.agent)
        elif self.c.kind != "complaint":
            self._short_path(target)
        else:
            self._investigate(target)

    def _register(self) -> None:
        e, rep = self.entry, self.entry.get("representative") or {}
        category = self.categories.get(e.get("category"))
        data = ComplaintInput(
            kind=e["kind"],
            channel=e["channel"],
            received_at=self.moment,
            complainant_name=e["name"],
            phone=e.get("phone"),
            email=e.get("email"),
            preferred_contact="sms" if e.get("phone") else None,
            preferred_locale=e.get("locale", self.tenant.default_locale),
            representative_name=rep.get("name"),
            representative_relation=rep.get("relation"),
            subject=e["subject"],
            description=e["description"],
            remedy_sought=e.get("remedy"),
            category_id=category.id if category else None,
            priority=e.get("priority", "normal"),
            safety=bool(e.get("safety")),
        )
        with clock_at(self.moment):
            self.c = register_complaint(self.agent, self.tenant, data)
            db.session.flush()

    def _acknowledge_and_assign(self) -> None:
        c = self.c
        self.at(lambda: lifecycle.acknowledge(self.agent, c, c.version))
        unit = self.units.get(self.entry.get("unit")) or self.units["crm"]
        self.handler = self.member if unit.key == self.story.member_unit else self.agent
        self.at(lambda: assign(self.manager, c.id, unit.id, self.handler.id, c.version))
        if self.entry.get("escalated"):
            reason = self.entry.get("escalation_reason") or "—"
            self.at(lambda: lifecycle.escalate(self.manager, c, reason, c.version))

    def _note(self, actor: StaffMember) -> None:
        if self.entry.get("note"):
            self.at(lambda: add_note(actor, self.c.id, self.entry["note"]))

    def _short_path(self, target: str) -> None:
        """Suggestions and compliments: answered without a decision."""
        c, answer = self.c, self.entry.get("answer") or "—"
        if target in ("responded", "closed"):
            self.at(lambda: lifecycle.investigate(self.agent, c, c.version))
            self.at(lambda: lifecycle.respond(self.agent, c, answer, c.version))
        if target == "closed":
            self.at(lambda: lifecycle.close(self.agent, c, None, c.version))

    def _investigate(self, target: str) -> None:
        c, e = self.c, self.entry
        self.at(lambda: lifecycle.investigate(self.handler, c, c.version))
        self._note(self.handler)
        if e.get("message"):
            self.at(lambda: message_customer(self.agent, c.id, e["message"]))
        reopened = bool(e.get("reopened"))
        if target == "investigating" and not reopened:
            return
        justified = bool(e.get("justified")) or target == "action"
        specs = e.get("actions") or ([self.story.default_action] if justified else [])
        actions = [(self._plan(spec), spec) for spec in specs]
        if target != "action":
            for action, spec in actions:
                self._settle(action, spec)
        decision = lifecycle.DecisionInput(
            justified=justified,
            reasons=e.get("reasons") or "—",
            remedy=e.get("remedy_offered"),
            compensation_amount=e.get("compensation"),
        )
        self.at(lambda: lifecycle.decide(self.manager, self.tenant, c, decision, c.version))
        if target == "action":
            for action, spec in actions:
                if spec.get("status") == "in_progress":
                    self._move(action, "in_progress")
            return
        self._respond()
        if reopened:
            self.at(lambda: lifecycle.reopen(None, self.tenant, c, e.get("rejection") or "—"))
            if target == "investigating":
                return
            second = lifecycle.DecisionInput(justified=False, reasons=e.get("reasons") or "—")
            self.at(lambda: lifecycle.decide(self.manager, self.tenant, c, second, c.version))
            self._respond()
        if target == "closed":
            self.at(lambda: lifecycle.close(self.agent, c, None, c.version))

    def _respond(self) -> None:
        answer = self.entry.get("answer") or "—"
        self.at(lambda: lifecycle.respond(self.agent, self.c, answer, self.c.version))

    def _plan(self, spec: dict[str, Any]) -> CorrectiveAction:
        unit = self.units.get(spec.get("unit")) or self.units["crm"]
        cause = self.causes.get(spec.get("root_cause"))
        data = corrective.ActionInput(
            description=spec["action"],
            root_cause_id=cause.id if cause else None,
            root_cause_text=spec.get("root_cause_text") or (None if cause else "—"),
            owner_id=self.handler.id,
            unit_id=unit.id,
            due_on=(self.moment + timedelta(days=14)).date(),
        )
        made: list[CorrectiveAction] = []
        self.at(lambda: made.append(corrective.add_action(self.handler, self.c.id, data)))
        return made[0]

    def _move(self, action: CorrectiveAction, status: str, note: str | None = None) -> None:
        self.at(
            lambda: corrective.update_action_status(
                self.handler, self.c.id, action.id, status=status, note=note, version=action.version
            )
        )

    def _settle(self, action: CorrectiveAction, spec: dict[str, Any]) -> None:
        """Done, verified effective or deferred, as the entry says."""
        status = spec.get("status", "done")
        if status == "deferred":
            self._move(action, "deferred", spec.get("deferred_reason") or "—")
            return
        self._move(action, "in_progress")
        self._move(action, "done")
        if status == "verified_effective":
            self._move(action, "verified_effective", self.story.verified)
