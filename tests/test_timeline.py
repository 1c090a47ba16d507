"""The follow-up log described for its readers: for each kind of entry who took the step, what happened and every
value in words, in the reader's language; and the customer's own history, in the customer's words."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from services.catalog.models import Category, RootCause, Unit
from services.complaints import actions as corrective
from services.complaints import lifecycle, operations
from services.complaints.models import Complaint
from services.complaints.queries import complaint_file
from services.escalation import rules as escalation
from services.escalation.sweep import sweep_tenant
from services.files.checking import check_upload
from services.files.storage import storage_from_config
from services.intake import inbound_mail
from services.portal import operations as portal
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import clock_at, db
from tenants.models import StaffMember, Tenant
from tests.fixtures.mails import mail

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE = b"MZ" + b"\x90\x00" * 64


@contextmanager
def _scope(app, made):
    """(owner, tenant) in the tenant's scope; committed on leaving."""
    with app.app_context(), tenant_scope(made.tenant.id):
        yield db.session.get(StaffMember, made.owner.id), db.session.get(Tenant, made.tenant.id)
        db.session.commit()


def _v(thing) -> int:
    """The version a form would carry now: what was changed is written first."""
    db.session.flush()
    return thing.version


def _timeline(app, made, complaint_id: int, viewer_id: int | None = None):
    with app.app_context(), tenant_scope(made.tenant.id):
        return complaint_file(db.session.get(StaffMember, viewer_id or made.owner.id), complaint_id).timeline


def _kind(entries, kind: str):
    return [e for e in entries if e.kind == kind]


def _read(app, entry, locale: str = "en") -> dict:
    """What the reader reads of an entry in `locale`: only the parts it has."""
    with app.test_request_context(), force_locale(locale):
        said: dict = {"who": str(entry.who), "what": str(entry.what)}
        if entry.about:
            said["about"] = [str(v) for v in entry.about]
        if entry.sentence is not None:
            said["sentence"] = str(entry.sentence)
        if entry.changes is not None:
            said["changes"] = {str(c.field): [str(v) for v in c.values] for c in entry.changes}
        if entry.stand_ins:
            said["stand_ins"] = {missing: str(words) for missing, words in entry.stand_ins}
        if entry.refusal is not None:
            said["refusal"] = str(entry.refusal)
        return said


def _unit(names: dict[str, str], head_id: int | None = None) -> int:
    unit = Unit(key="front", names=names, head_id=head_id)
    db.session.add(unit)
    db.session.flush()
    return unit.id


# Who and when


def test_a_staff_step_names_its_taker_and_others_are_the_customer_or_the_system(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, kind="suggestion", email="sara@example.com")
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        portal.customer_message(tenant, c, "Any news?")
        lifecycle.respond(owner, c, "Thank you for the idea.", _v(c))
        lifecycle.auto_close(c, 14)
    entries = _timeline(app, made, complaint.id)
    by_whom = [(e.kind, _read(app, e)["who"], e.by_staff) for e in entries]
    assert by_whom == [
        ("registered", made.owner.name, True),
        ("transition", made.owner.name, True),
        ("customer_message", "The customer", False),
        ("transition", made.owner.name, True),
        ("transition", "The system", False),
    ]
    assert [_read(app, e, "ru")["who"] for e in entries[2::2]] == ["Клиент", "Система"]
    assert entries[2].body == "Any news?"
    assert entries[0].at <= entries[-1].at


def test_a_note_and_a_message_carry_their_text_and_whether_the_customer_sees_it(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, _tenant):
        operations.add_note(owner, complaint.id, "Called the desk.")
        operations.message_customer(owner, complaint.id, "We are looking into it.")
    note, message = _timeline(app, made, complaint.id)[1:]
    assert (_read(app, note)["what"], note.body, note.customer_visible) == ("Internal note", "Called the desk.", False)
    assert (_read(app, message, "ru")["what"], message.customer_visible) == ("Сообщение клиенту", True)


# What, and its values in words


def test_the_registration_says_the_channel_it_came_by(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, channel="letter")
    [entry] = _timeline(app, made, complaint.id)
    assert _read(app, entry) == {"who": made.owner.name, "what": "Registered", "sentence": "Letter"}
    assert _read(app, entry, "ru") == {"who": made.owner.name, "what": "Зарегистрировано", "sentence": "Письмо"}


def test_a_step_of_the_lifecycle_names_the_states_before_and_after(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, _tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        lifecycle.withdraw(owner, c, "The customer called to withdraw it.", _v(c))
    acknowledged, withdrawn = _kind(_timeline(app, made, complaint.id), "transition")
    assert _read(app, acknowledged)["about"] == ["Received", "Acknowledged"]
    assert _read(app, withdrawn, "ru") == {
        "who": made.owner.name,
        "what": "Состояние изменено",
        "about": ["Получение подтверждено", "Отозвано"],
    }
    assert withdrawn.body == "The customer called to withdraw it."
    assert not any(v.typed for v in withdrawn.about)


def test_an_assignment_names_the_unit_and_the_handler(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent", name="Dana Agent")
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, _tenant):
        unit_id = _unit({"en": "Front desk", "ru": "Регистратура"})
        operations.assign(owner, complaint.id, unit_id, agent.id, _v(db.session.get(Complaint, complaint.id)))
    [entry] = _kind(_timeline(app, made, complaint.id), "assigned")
    assert _read(app, entry)["changes"] == {"Unit": ["—", "Front desk"], "Handler": ["—", "Dana Agent"]}
    assert _read(app, entry, "ru")["changes"] == {
        "Подразделение": ["—", "Регистратура"],
        "Исполнитель": ["—", "Dana Agent"],
    }


def test_a_corrected_record_names_each_field_and_says_its_values_in_words(app, make_tenant, make_user, make_complaint):
    made = make_tenant(locale="fa")
    about = make_user(made.tenant, "agent", name="Reza")
    complaint = make_complaint(made, phone="+98 912 123 4567")
    with _scope(app, made) as (owner, tenant):
        category = Category(key="wait", names={"en": "Waiting", "fa": "انتظار"})
        db.session.add(category)
        db.session.flush()
        corrected = operations.ComplaintInput(
            channel="phone",
            complainant_name="Aigerim Bekova",
            subject="Waited three hours",
            description="The appointment started two hours late and nobody said why.",
            phone="+98 912 123 4567",
            national_id="0499370899",
            preferred_contact="sms",
            preferred_locale="ru",
            category_id=category.id,
            priority="urgent",
            safety=True,
            about_staff_id=about.id,
            kind="suggestion",
        )
        assert operations.edit_complaint(
            owner, tenant, complaint.id, corrected, _v(db.session.get(Complaint, complaint.id))
        )
    [entry] = _kind(_timeline(app, made, complaint.id), "edited")
    assert _read(app, entry)["changes"] == {
        "Kind": ["Complaint", "Suggestion"],
        "National code": ["—", "0499370899"],
        "Preferred contact": ["—", "SMS"],
        "Language": ["فارسی", "Русский"],
        "Subject": ["Waited two hours", "Waited three hours"],
        "Category": ["—", "Waiting"],
        "Priority": ["Normal", "Urgent"],
        "Safety issue": ["—", "✓"],
        "Staff member the complaint is about": ["—", "Reza"],
    }
    fa = _read(app, entry, "fa")["changes"]
    assert fa["کد ملی"] == ["—", "0499370899"]
    assert fa["اولویت"] == ["عادی", "فوری"]
    assert fa["دسته"] == ["—", "انتظار"]
    typed = {str(c.field): [v.typed for v in c.values] for c in entry.changes}
    assert typed["Subject"] == [True, True]  # the customer's own words, drawn in their own direction
    assert typed["National code"] == [False, True]
    assert typed["Priority"] == [False, False]


def test_a_decision_says_whether_justified_and_who_approved_it(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent", name="Dana Agent")
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        lifecycle.investigate(owner, c, _v(c))
        worker = db.session.get(StaffMember, agent.id)
        lifecycle.decide(worker, tenant, c, lifecycle.DecisionInput(False, "Within policy."), _v(c))
        lifecycle.approve(owner, c, _v(c))
        lifecycle.decide(owner, tenant, c, lifecycle.DecisionInput(True, "Our fault after all."), _v(c))
    entries = _timeline(app, made, complaint.id)
    by_agent, by_owner = _kind(entries, "decision")
    [approval] = _kind(entries, "decision_approved")
    assert _read(app, by_agent) == {"who": "Dana Agent", "what": "Decision recorded", "sentence": "Not justified"}
    assert _read(app, approval)["sentence"] == f"Decision by Dana Agent, approved by {made.owner.name}"
    assert _read(app, by_owner)["sentence"] == f"Justified · Approved by {made.owner.name}"
    assert _read(app, approval, "ru") == {
        "who": made.owner.name,
        "what": "Решение утверждено",
        "sentence": f"Автор решения: Dana Agent; утверждено: {made.owner.name}",
    }
    assert _read(app, by_owner, "ru")["sentence"] == f"Обоснована · Утверждено: {made.owner.name}"


def test_an_escalation_by_hand_gives_the_level_and_the_reason(app, make_tenant, make_complaint):
    made = make_tenant(locale="fa")
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, _tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.escalate(owner, c, "Twice late.", _v(c))
    [entry] = _kind(_timeline(app, made, complaint.id), "escalated")
    assert _read(app, entry)["changes"] == {"Escalation level": ["0", "1"]}
    assert _read(app, entry, "fa")["changes"] == {"سطح رسیدگی": ["۰", "۱"]}
    assert entry.body == "Twice late."


def test_an_escalation_rule_names_itself_and_who_was_told_instead(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    head = make_user(made.tenant, "manager")
    complaint = make_complaint(made)
    at = datetime(2030, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC"))
    with _scope(app, made) as (owner, _tenant):
        for rule in escalation.list_rules():
            escalation.remove_rule(owner, rule.id)
        escalation.save_rule(owner, None, escalation.RuleInput("Quiet for a day", "idle", 24 * 60, notify_handler=True))
        c = db.session.get(Complaint, complaint.id)
        c.unit_id = _unit({"en": "Front desk"}, head.id)
        c.updated_at = at - timedelta(days=2)
    with app.app_context(), tenant_scope(made.tenant.id), clock_at(at):
        assert sweep_tenant(db.session.get(Tenant, made.tenant.id), at) == 1
        db.session.commit()
    [entry] = _kind(_timeline(app, made, complaint.id), "escalation")
    assert _read(app, entry) == {
        "who": "The system",
        "what": "Escalation rule acted",
        "about": ["Quiet for a day"],
        "stand_ins": {"handler": "Nobody handles the complaint: its unit's head was told instead."},
    }
    assert entry.about[0].typed
    assert _read(app, entry, "ru")["stand_ins"] == {
        "handler": "У жалобы нет исполнителя: вместо него сообщено руководителю её подразделения."
    }


def test_a_corrective_action_is_described_as_planned_changed_and_moved_on(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent", name="Dana Agent")
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, _tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        lifecycle.investigate(owner, c, _v(c))
        cause = RootCause(key="rota", names={"en": "Rota", "ru": "График"})
        db.session.add(cause)
        db.session.flush()
        unit_id = _unit({"en": "Front desk", "ru": "Регистратура"})
        plan = corrective.ActionInput("Retrain reception", None, "Gaps", agent.id, unit_id, date(2027, 3, 5))
        action = corrective.add_action(owner, c.id, plan)
        plan = corrective.ActionInput("Retrain reception", cause.id, None, owner.id, None, date(2027, 4, 1))
        corrective.edit_action(owner, c.id, action.id, plan, _v(action))
        corrective.update_action_status(owner, c.id, action.id, status="deferred", note="Budget.", version=_v(action))
    entries = _timeline(app, made, complaint.id)
    [added] = _kind(entries, "action_added")
    [edited] = _kind(entries, "action_edited")
    [moved] = _kind(entries, "action_updated")
    assert (_read(app, added)["what"], added.description) == ("Corrective action planned", "Retrain reception")
    assert _read(app, edited)["changes"] == {
        "Root cause": ["—", "Rota"],
        "Root cause in detail": ["Gaps", "—"],
        "Responsible person": ["Dana Agent", made.owner.name],
        "Unit": ["Front desk", "—"],
        "Due date": ["Mar 5, 2027", "Apr 1, 2027"],
    }
    ru = _read(app, edited, "ru")["changes"]
    assert ru["Коренная причина"] == ["—", "График"]
    assert ru["Подразделение"] == ["Регистратура", "—"]
    assert ru["Срок выполнения"][1].startswith("1 апр. 2027")
    assert _read(app, moved, "ru") == {
        "who": made.owner.name,
        "what": "Корректирующее действие обновлено",
        "changes": {"Статус": ["Запланировано", "Отложено"]},
    }
    assert moved.body == "Budget."


def test_a_file_kept_links_to_itself_and_a_file_refused_says_why(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made, email="sara@example.com")
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        storage = storage_from_config(app.config["UPLOAD_STORAGE"])
        kept = operations.attach_file(owner, c, check_upload(PDF, "letter.pdf", max_bytes=10**6), storage)
        kept_id = kept.id
        raw = mail(f"Re: {format_code(c.code)}", "Here it is.", files=[("invoice.exe", EXE, "application/x-msdos")])
        assert inbound_mail.take(tenant, raw).outcome == "message"
    entries = _timeline(app, made, complaint.id)
    [staff_file] = _kind(entries, "file")
    [refused] = _kind(entries, "file_refused")
    assert (staff_file.filename, staff_file.attachment_id, staff_file.refusal) == ("letter.pdf", kept_id, None)
    assert (refused.filename, refused.attachment_id) == ("invoice.exe", None)
    assert _read(app, refused) == {
        "who": "The system",
        "what": "File not kept",
        "refusal": "Files of this type are not accepted.",
    }
    assert _read(app, refused, "ru")["refusal"] == "Файлы такого типа не принимаются."


def test_mail_after_closing_is_the_customers_and_the_rating_is_in_figures_and_words(app, make_tenant, make_complaint):
    made = make_tenant(locale="fa")
    complaint = make_complaint(made, kind="compliment", email="sara@example.com")
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        lifecycle.respond(owner, c, "Thank you!", _v(c))
        portal.accept(tenant, c)
        portal.rate(c, 4, "Kind nurses.")
        raw = mail(f"Re: {format_code(c.code)}", "And thanks again.")
        assert inbound_mail.take(tenant, raw).outcome == "message"
    entries = _timeline(app, made, complaint.id)
    [rated] = _kind(entries, "rated")
    [late] = _kind(entries, "mail_after_close")
    assert _read(app, rated) == {
        "who": "The customer",
        "what": "The customer rated the handling",
        "sentence": "4 of 5: well",
    }
    assert (rated.score, rated.body) == (4, "Kind nurses.")
    assert _read(app, rated, "fa")["sentence"] == "۴ از ۵: خوب"
    assert (_read(app, late)["who"], late.body, late.customer_visible) == ("The customer", "And thanks again.", False)


def test_a_staff_members_name_in_a_sentence_is_escaped_in_the_page(app, make_tenant, make_user, make_complaint):
    made = make_tenant()
    agent = make_user(made.tenant, "agent", name="<b>Dana</b>")
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        lifecycle.investigate(owner, c, _v(c))
        lifecycle.decide(db.session.get(StaffMember, agent.id), tenant, c, lifecycle.DecisionInput(True, "R."), _v(c))
        lifecycle.approve(owner, c, _v(c))
    [approval] = _kind(_timeline(app, made, complaint.id), "decision_approved")
    with app.test_request_context():
        assert approval.sentence.__html__() == f"Decision by &lt;b&gt;Dana&lt;/b&gt;, approved by {made.owner.name}"


# The customer's history


def _history(app, made, complaint_id: int, *, proven: bool, names: bool):
    with app.app_context(), tenant_scope(made.tenant.id):
        entries = portal.customer_timeline(db.session.get(Complaint, complaint_id), proven=proven, names=names)
    with app.test_request_context(), force_locale("ru"):
        return [(e.kind, e.who, str(e.what), e.body, e.filename) for e in entries]


def test_the_customer_reads_only_what_they_may_see_in_their_words(app, make_tenant, make_complaint):
    made = make_tenant()
    complaint = make_complaint(made)
    with _scope(app, made) as (owner, tenant):
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, _v(c))
        operations.add_note(owner, c.id, "Staff only.")
        storage = storage_from_config(app.config["UPLOAD_STORAGE"])
        operations.attach_file(
            owner, c, check_upload(PDF, "answer.pdf", max_bytes=10**6), storage, customer_visible=True
        )
        portal.customer_message(tenant, c, "Any news?")
    name = made.owner.name
    assert _history(app, made, complaint.id, proven=True, names=True) == [
        ("registered", name, "Жалоба получена", None, None),
        ("transition", name, "Получение подтверждено", None, None),
        ("file", name, "Добавлен файл", None, "answer.pdf"),
        ("customer_message", None, "Ваше сообщение", "Any news?", None),
    ]
    stranger = _history(app, made, complaint.id, proven=False, names=False)
    assert [(kind, who, body, filename) for kind, who, _what, body, filename in stranger] == [
        ("registered", None, None, None),
        ("transition", None, None, None),
        ("file", None, None, None),
        ("customer_message", None, None, None),
    ]
