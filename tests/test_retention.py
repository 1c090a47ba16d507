"""Personal data kept as long as the organization says: after the retention job no personal datum of an expired
complaint remains in any table (the database searched for the values), a held complaint keeps them, and the
reports count what they counted before; a complainant's request exported and erased by owners and admins only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.complaints.models import Attachment, Complaint, ComplaintEvent
from services.complaints.operations import edit_complaint
from services.complaints.registration import ComplaintInput, register_complaint
from services.files.checking import check_upload
from services.files.storage import storage_from_config
from services.forms import schema
from services.forms.answers import record_answers
from services.forms.schema import FieldInput
from services.portal import operations as portal
from services.records.retention import months_before, remove_expired_all
from tenants.db import Base, db, utcnow
from tests.fixtures.files import make_pdf
from tests.fixtures.scopes import in_tenant

YEARS_LATER = timedelta(days=365 * 4)


def _kz_iin(serial: int) -> str:
    from datetime import date

    from tests.test_contacts import kz_iin

    return kz_iin(date(1990, 1, 1), "f", serial)


def _customer(app, made, n: int, *, held: bool = False) -> dict:
    """A closed complaint full of one customer's personal data, everywhere it goes: the record, a corrected phone,
    the organization's own question, a message, a file, the notices sent, a rating's comment."""
    values = {
        "name": f"Zhuldyz Qwerty{n}",
        "phone": f"+7701555{n:04d}",
        "old_phone": f"+7702444{n:04d}",
        "email": f"zq{n}-unique@example.com",
        "national_id": _kz_iin(1000 + n),
        "representative": f"Representative Asdfgh{n}",
        "address": f"{n} Unique Street, Almaty",
        "filename": f"passport-qwerty{n}.pdf",
    }
    storage = storage_from_config(app.config["UPLOAD_STORAGE"])
    with in_tenant(app, made) as s:
        version = schema.published()
        key = version.fields[0]["key"]
        c = register_complaint(
            s.owner,
            s.tenant,
            ComplaintInput(
                channel="phone",
                complainant_name=values["name"],
                phone=values["old_phone"],
                email=values["email"],
                national_id=values["national_id"],
                representative_name=values["representative"],
                representative_relation="sister",
                preferred_contact="email",
                subject="Waited two hours",
                description=f"I am {values['name']}, call me on {values['old_phone']}.",
            ),
        )
        record_answers(s.tenant, c, {key: values["address"]}, audience="staff", version=version)
        db.session.flush()
        fields = {name: getattr(c, name) for name in ComplaintInput.__dataclass_fields__ if hasattr(c, name)}
        fields.pop("received_at", None)
        fields.pop("submission_key", None)
        edit_complaint(s.owner, s.tenant, c.id, ComplaintInput(**(fields | {"phone": values["phone"]})), c.version)
        portal.customer_message(s.tenant, c, f"This is {values['name']} again, {values['email']}.")
        portal.customer_file(s.tenant, c, check_upload(make_pdf(), values["filename"], max_bytes=10**6), storage)
        c.state, c.closed_at, c.next_due_at = "closed", utcnow(), None
        c.legal_hold = held
        portal.rate(c, 2, f"Slow. {values['name']}")
        db.session.commit()
        values["id"] = c.id
        values["storage_key"] = db.session.scalar(
            sa.select(Attachment.storage_key).where(Attachment.complaint_id == c.id)
        )
    return values


def _personal(values: dict) -> list[str]:
    found = [values[k] for k in ("name", "phone", "old_phone", "email", "national_id", "representative")]
    found += [values["address"], values["filename"], values["phone"][2:], values["old_phone"][2:]]
    return found


def _everything(app, made) -> str:
    """Every row the tenant can read of every mapped table, every column, as text."""
    lines = []
    with in_tenant(app, made):
        for mapper in Base.registry.mappers:
            columns = [getattr(mapper.class_, attr.key) for attr in mapper.column_attrs]
            for row in db.session.execute(sa.select(*columns)).all():
                lines.append(f"{mapper.local_table.name}: {json.dumps([str(v) for v in row], ensure_ascii=False)}")
    assert len(Base.registry.mappers) >= len(Base.metadata.tables) - 1  # every table is some model's
    return "\n".join(lines)


def _figures(client, slug: str) -> list[list[str]]:
    found = []
    for report in ("volume", "recurrence", "outcomes", "satisfaction"):
        body = client.get(f"/{slug}/console/reports/{report}?period=this_year").get_data(as_text=True)
        found.append(re.findall(r'data-count="(\d+)"', body))
    return found


def _with_question(app, made) -> None:
    with in_tenant(app, made) as s:
        schema.add_field(s.owner, FieldInput(type="short_text", labels={"en": "Home address"}))
        schema.publish(s.owner)
        db.session.commit()


def test_the_retention_job_leaves_no_personal_datum_of_an_expired_complaint(app, client, login_as, make_tenant):
    made = make_tenant()
    _with_question(app, made)
    gone = _customer(app, made, 1)
    kept = _customer(app, made, 2, held=True)
    login_as(client, made.tenant, made.owner)
    before = _figures(client, made.tenant.slug)
    text = _everything(app, made)
    for value in _personal(gone) + _personal(kept):
        assert value in text, value  # the search finds what is there
    with app.app_context():
        assert remove_expired_all(storage_from_config(app.config["UPLOAD_STORAGE"]), utcnow() + YEARS_LATER) == 1
    text = _everything(app, made)
    for value in _personal(gone):
        assert value not in text, value
    for value in _personal(kept):
        assert value in text, value
    storage = storage_from_config(app.config["UPLOAD_STORAGE"])
    with pytest.raises(FileNotFoundError):
        storage.open(gone["storage_key"])
    storage.open(kept["storage_key"]).close()
    assert _figures(client, made.tenant.slug) == before
    with in_tenant(app, made):
        c = db.session.get(Complaint, gone["id"])
        assert c.anonymized_at is not None
        assert c.previous_received_at is None or c.previous_received_at <= c.received_at
        entries = db.session.scalars(
            sa.select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == gone["id"], ComplaintEvent.kind == "anonymized"
            )
        ).all()
        assert [e.data for e in entries] == [{"reason": "retention"}]
    page = client.get(f"/{made.tenant.slug}/console/complaints/{gone['id']}").get_data(as_text=True)
    assert 'id="anonymized"' in page
    # A second run finds nothing more to do.
    with app.app_context():
        assert remove_expired_all(storage_from_config(app.config["UPLOAD_STORAGE"]), utcnow() + YEARS_LATER) == 0


def test_a_complaint_within_its_time_or_of_another_tenant_is_left_alone(app, make_tenant):
    made, other = make_tenant(), make_tenant()
    for m in (made, other):
        _with_question(app, m)
    fresh = _customer(app, made, 3)
    theirs = _customer(app, other, 4)
    with app.app_context():
        assert remove_expired_all(storage_from_config(app.config["UPLOAD_STORAGE"]), utcnow()) == 0
    for m, values in ((made, fresh), (other, theirs)):
        text = _everything(app, m)
        assert values["email"] in text


def test_a_complainants_request_is_exported_and_erased_by_owners_and_admins(
    app, client, login_as, make_tenant, make_user
):
    made = make_tenant()
    _with_question(app, made)
    first = _customer(app, made, 5)
    held = _customer(app, made, 6, held=True)
    manager = make_user(made.tenant, "manager")
    slug = made.tenant.slug
    login_as(client, made.tenant, made.owner)
    found = client.get(f"/{slug}/console/settings/personal-data?email={first['email']}")
    assert found.status_code == 200
    assert len(re.findall(r"<li data-code=", found.get_data(as_text=True))) == 1
    exported = client.get(f"/{slug}/console/settings/personal-data/export?phone={first['phone']}")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    data = json.loads(exported.data)
    assert [c["email"] for c in data["complaints"]] == [first["email"]]
    assert any(first["name"] in (e["body"] or "") for e in data["complaints"][0]["log"])
    assert data["complaints"][0]["files"][0]["filename"] == first["filename"]
    bad = client.get(f"/{slug}/console/settings/personal-data?phone=12")
    assert bad.status_code == 422
    # Erasing asks for a tick; then the complainant is gone from their complaints, but not from one on hold.
    form = {"email": first["email"], "phone": "", "national_id": ""}
    assert client.post(f"/{slug}/console/settings/personal-data/erase", data=form).status_code == 422
    done = client.post(f"/{slug}/console/settings/personal-data/erase", data=form | {"confirm": "yes"})
    assert done.status_code in (302, 303)
    text = _everything(app, made)
    assert first["email"] not in text
    assert first["name"] not in text
    assert held["email"] in text
    held_form = {"email": held["email"], "phone": "", "national_id": "", "confirm": "yes"}
    client.post(f"/{slug}/console/settings/personal-data/erase", data=held_form)
    assert held["email"] in _everything(app, made)
    with in_tenant(app, made):
        reasons = db.session.scalars(sa.select(ComplaintEvent.data).where(ComplaintEvent.kind == "anonymized")).all()
        assert reasons == [{"reason": "request"}]
    # A manager may not.
    client.post(f"/{slug}/console/logout")
    login_as(client, made.tenant, manager)
    assert client.get(f"/{slug}/console/settings/personal-data?email={held['email']}").status_code == 403
    assert client.get(f"/{slug}/console/settings/personal-data/export?email={held['email']}").status_code == 403
    assert client.post(f"/{slug}/console/settings/personal-data/erase", data=held_form).status_code == 403


def test_a_legal_hold_needs_a_reason_and_an_owner_or_admin(app, client, login_as, make_tenant, make_user):
    made = make_tenant()
    _with_question(app, made)
    values = _customer(app, made, 7)
    url = f"/{made.tenant.slug}/console/complaints/{values['id']}/hold"
    login_as(client, made.tenant, make_user(made.tenant, "manager"))
    assert client.post(url, data={"held": "1", "reason": "Court case 12"}).status_code == 403
    client.post(f"/{made.tenant.slug}/console/logout")
    login_as(client, made.tenant, made.owner)
    assert client.post(url, data={"held": "1", "reason": " "}).status_code == 422
    # The same refusal from the page's htmx form: the complaint's file region, with the message, not an error page.
    htmx = client.post(url, data={"held": "1", "reason": " "}, headers={"HX-Request": "true"})
    assert htmx.status_code == 422
    body = htmx.get_data(as_text=True)
    assert 'id="complaint-file"' in body
    assert 'id="hold-reason"' in body
    assert "Say why the complaint is held" in body
    assert "<html" not in body
    assert client.post(url, data={"held": "1", "reason": "Court case 12"}).status_code in (200, 302, 303)
    with in_tenant(app, made):
        c = db.session.get(Complaint, values["id"])
        assert c.legal_hold
        assert (
            db.session.scalar(
                sa.select(ComplaintEvent.body).where(
                    ComplaintEvent.complaint_id == c.id, ComplaintEvent.kind == "hold_set"
                )
            )
            == "Court case 12"
        )
    with app.app_context():
        assert remove_expired_all(storage_from_config(app.config["UPLOAD_STORAGE"]), utcnow() + YEARS_LATER) == 0
    client.post(url, data={"held": "0"})
    with app.app_context():
        assert remove_expired_all(storage_from_config(app.config["UPLOAD_STORAGE"]), utcnow() + YEARS_LATER) == 1


def test_months_before_keeps_the_day_or_takes_the_month_end():
    at = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert months_before(at, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(at, 36) == datetime(2023, 3, 31, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)
