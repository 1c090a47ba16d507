"""Registering a complaint in the console: the record, the code, validation that keeps input, files."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from services.catalog.models import Category
from services.complaints.models import Attachment, Complaint, ComplaintEvent
from services.tracking import parse_code
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.files import make_pdf

FORM = {
    "kind": "complaint",
    "channel": "phone",
    "complainant_name": "علي رضايي",
    "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "subject": "تأخیر در نوبت",
    "description": "دو ساعت منتظر ماندم.",
    "priority": "normal",
    "preferred_locale": "fa",
}


def _register(client, slug: str, **changes):
    return client.post(f"/{slug}/console/complaints/new", data=FORM | changes, content_type="multipart/form-data")


def _only_complaint(app, tenant_id: int) -> Complaint:
    with app.app_context(), tenant_scope(tenant_id):
        complaint = db.session.scalars(sa.select(Complaint)).one()
        db.session.expunge(complaint)
        return complaint


def test_registration_stores_the_record_with_a_phone_in_e164_and_a_valid_code(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = _register(client, made.tenant.slug)
    assert response.status_code == 303
    complaint = _only_complaint(app, made.tenant.id)
    assert response.headers["Location"].endswith(f"/console/complaints/{complaint.id}")
    assert complaint.phone == "+989121234567"
    assert complaint.complainant_name == "علی رضایی"  # Arabic ي stored as Persian ی
    assert parse_code(complaint.code) == complaint.code
    assert (complaint.state, complaint.channel, complaint.registered_by_id) == ("received", "phone", made.owner.id)
    assert complaint.acknowledge_due_at < complaint.respond_due_at
    assert complaint.next_due_at == complaint.acknowledge_due_at
    assert complaint.deadline_policy["cycle_1"]["respond"]["unit"] == "working_hours"


def test_the_complaint_page_shows_the_code_in_groups_with_persian_digits(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    page = client.get(_register(client, made.tenant.slug).headers["Location"]).get_data(as_text=True)
    complaint = _only_complaint(app, made.tenant.id)
    shown = re.search(r'id="tracking-code">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[۰-۹]{4}-[۰-۹]{4}-[۰-۹]{5}", shown)
    assert parse_code(shown) == complaint.code


def test_a_refused_registration_keeps_everything_typed_and_says_what_to_fix(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = _register(client, made.tenant.slug, phone="12", national_id="1234567890")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "دو ساعت منتظر ماندم." in page
    assert 'value="تأخیر در نوبت"' in page
    assert "is-invalid" in page
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_a_national_id_with_a_wrong_check_digit_is_refused(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = _register(client, made.tenant.slug, national_id="0499370898")
    assert response.status_code == 422
    assert 'id="national_id-error"' in response.get_data(as_text=True)
    assert _register(client, made.tenant.slug, national_id="۰۴۹۹۳۷۰۸۹۹").status_code == 303


def test_a_letter_that_arrived_last_week_keeps_its_arrival_date(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = _register(client, made.tenant.slug, channel="letter", received_on="۱۴۰۵/۰۸/۲۵", received_time="10:30")
    assert response.status_code == 303
    complaint = _only_complaint(app, made.tenant.id)
    # 25 Aban 1405 is 16 November 2026; Tehran is UTC+3:30.
    assert complaint.received_at.isoformat() == "2026-11-16T07:00:00+00:00"


def test_an_arrival_in_the_future_is_refused(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    response = _register(client, made.tenant.slug, phone="+7 701 123 4567", received_on="2099-01-01")
    assert response.status_code == 422
    assert "future" in response.get_data(as_text=True)


def test_missing_and_overlong_fields_answer_422(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    assert _register(client, made.tenant.slug, subject="").status_code == 422
    assert _register(client, made.tenant.slug, subject="x" * 201).status_code == 422
    assert _register(client, made.tenant.slug, channel="pigeon").status_code == 422
    assert _register(client, made.tenant.slug, category_id="abc").status_code == 422


def test_another_tenants_category_is_refused(app, make_tenant, login_as):
    ours, theirs = make_tenant(locale="fa"), make_tenant(locale="fa")
    with app.app_context(), tenant_scope(theirs.tenant.id):
        foreign = db.session.scalars(sa.select(Category.id)).first()
    client = app.test_client()
    login_as(client, ours.tenant, ours.owner)
    response = _register(client, ours.tenant.slug, category_id=str(foreign))
    assert response.status_code == 422


def test_a_file_is_checked_stored_outside_the_web_root_and_served_only_as_a_download(
    app, make_tenant, login_as, tmp_path
):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    data = FORM | {"files": (io.BytesIO(make_pdf()), "نامه.jpg")}
    response = client.post(f"/{made.tenant.slug}/console/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    complaint = _only_complaint(app, made.tenant.id)
    with app.app_context(), tenant_scope(made.tenant.id):
        attachment = db.session.scalars(sa.select(Attachment)).one()
        logged = db.session.scalar(sa.select(ComplaintEvent.kind).where(ComplaintEvent.attachment_id == attachment.id))
    assert (attachment.content_type, attachment.filename) == ("application/pdf", "نامه.pdf")
    stored = list(tmp_path.joinpath("uploads").rglob(attachment.storage_key))
    assert len(stored) == 1
    assert "static" not in str(stored[0])
    assert logged == "file"
    with client.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}/files/{attachment.id}") as download:
        assert download.status_code == 200
        assert download.data == make_pdf()
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_refused_file_says_why_and_registers_nothing(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    data = FORM | {"phone": "", "files": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "invoice.pdf")}
    response = client.post(f"/{made.tenant.slug}/console/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not accepted" in response.get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_another_tenant_cannot_download_a_file(app, make_tenant, make_user, login_as):
    ours, theirs = make_tenant(), make_tenant()
    client = app.test_client()
    login_as(client, ours.tenant, ours.owner)
    data = FORM | {"phone": "", "files": (io.BytesIO(make_pdf()), "scan.pdf")}
    client.post(f"/{ours.tenant.slug}/console/complaints/new", data=data, content_type="multipart/form-data")
    complaint = _only_complaint(app, ours.tenant.id)
    with app.app_context(), tenant_scope(ours.tenant.id):
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    outsider = app.test_client()
    login_as(outsider, theirs.tenant, theirs.owner)
    url = f"/complaints/{complaint.id}/files/{attachment_id}"
    assert outsider.get(f"/{theirs.tenant.slug}/console{url}").status_code == 404
    assert outsider.get(f"/{ours.tenant.slug}/console{url}").status_code in (303, 404)


def test_evidence_files_hang_on_their_corrective_action(app, make_tenant, make_complaint, login_as):
    from services.complaints import actions as corrective
    from services.complaints import lifecycle
    from tenants.models import StaffMember

    made = make_tenant()
    complaint = make_complaint(made)
    with app.app_context(), tenant_scope(made.tenant.id):
        owner = db.session.get(StaffMember, made.owner.id)
        c = db.session.get(Complaint, complaint.id)
        lifecycle.acknowledge(owner, c, c.version)
        lifecycle.investigate(owner, c, c.version)
        action_id = corrective.add_action(owner, c.id, corrective.ActionInput("Fix the sign", None, "No sign")).id
        db.session.commit()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}/actions/{action_id}/files"
    data = {f"evidence-{action_id}-files": (io.BytesIO(make_pdf()), "photo-of-sign.pdf")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        attachment = db.session.scalars(sa.select(Attachment)).one()
    assert attachment.action_id == action_id
    page = client.get(f"/{made.tenant.slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    assert "photo-of-sign.pdf" in page
    broken = {f"evidence-{action_id}-files": (io.BytesIO(make_pdf()[:40]), "cut.pdf")}
    response = client.post(url, data=broken, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "damaged" in response.get_data(as_text=True)


def test_the_same_form_sent_twice_registers_one_complaint(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    first = _register(client, made.tenant.slug, submission_key="k" * 32)
    again = _register(client, made.tenant.slug, submission_key="k" * 32)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    _only_complaint(app, made.tenant.id)


def test_the_registration_form_carries_a_fresh_submission_key(app, make_tenant, login_as):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    keys = {
        re.search(r'name="submission_key" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(
            1
        )
        for url in [f"/{made.tenant.slug}/console/complaints/new"] * 2
    }
    assert len(keys) == 2


def test_the_complaint_page_builds_only_the_forms_it_draws_and_queries_the_lists_once(
    app, make_tenant, make_complaint, login_as, monkeypatch
):
    """Each panel's form is built when the panel is drawn; the select lists behind them are read once a page,
    and not at all for someone whose panels need none."""
    import web.console.complaint as page

    calls, built = [], []
    real_options, real_fresh = page.select_options, page.PanelForms._fresh
    monkeypatch.setattr(page, "select_options", lambda: calls.append(1) or real_options())
    monkeypatch.setattr(page.PanelForms, "_fresh", lambda self, key: built.append(key) or real_fresh(self, key))
    made = make_tenant()
    complaint = make_complaint(made)
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    assert client.get(url).status_code == 200
    assert calls == [1]
    assert "assign" in built
    assert len(built) == len(set(built))
    assert not any(key.startswith(("status_", "edit_")) for key in built)  # no actions yet, none built
    calls.clear()
    built.clear()
    withdrawn = client.post(f"{url}/steps/withdraw", data={"version": "1", "body": "Sorted out by phone."})
    assert withdrawn.status_code == 303
    assert client.get(url).status_code == 200
    assert calls == []  # a withdrawn complaint draws no panel that chooses from a list
    assert "assign" not in built
