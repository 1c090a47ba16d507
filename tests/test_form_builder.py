"""The form builder and the portal's settings through their pages: every field type added, reordered,
required and translated; a preview per language; versions that keep old answers under old labels."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from services.complaints.models import Complaint
from services.forms.models import FormVersion
from services.portal.models import PortalSettings
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.files import make_png
from tests.fixtures.portal import file_complaint as _file


@pytest.fixture
def admin(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    return made, client


def _add(client, slug: str, kind: str, en: str, fa: str, **extra) -> None:
    data = {"new-type": kind, "new-audience": "customer", "new-label_en": en, "new-label_fa": fa} | {
        f"new-{k}": v for k, v in extra.items()
    }
    response = client.post(f"/{slug}/console/settings/form/fields", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]


def _keys(app, made) -> list[str]:
    with app.app_context(), tenant_scope(made.tenant.id):
        row = db.session.scalars(sa.select(FormVersion).order_by(FormVersion.id.desc())).first()
        return [f["key"] for f in row.fields]


def test_every_field_type_is_added_reordered_required_translated_and_previewed(app, admin):
    made, client = admin
    slug = made.tenant.slug
    for kind in ("short_text", "long_text", "number", "date", "checkbox", "phone", "email", "file"):
        _add(client, slug, kind, f"{kind} label", f"برچسب {kind}")
    _add(client, slug, "choice", "Branch", "شعبه", options_en="North\nSouth", options_fa="شمال\nجنوب")
    _add(client, slug, "multi_choice", "Rooms", "اتاق‌ها", options_en="A\nB", options_fa="الف\nب")
    keys = _keys(app, made)
    assert len(keys) == 10
    url = f"/{slug}/console/settings/form"
    assert client.post(f"{url}/fields/{keys[-1]}/up").status_code == 303
    assert _keys(app, made)[-2] == keys[-1]
    edit = {
        f"f-{keys[0]}-label_en": "Patient file number",
        f"f-{keys[0]}-label_fa": "شماره پرونده بیمار",
        f"f-{keys[0]}-label_ru": "Номер карты пациента",
        f"f-{keys[0]}-audience": "customer",
        f"f-{keys[0]}-required": "y",
    }
    assert client.post(f"{url}/fields/{keys[0]}", data=edit).status_code == 303
    for lang, text in (("fa", "شماره پرونده بیمار"), ("ru", "Номер карты пациента"), ("en", "Patient file number")):
        preview = client.get(url, query_string={"preview": lang}).get_data(as_text=True)
        assert text in preview
        assert f'lang="{lang}"' in preview
    assert 'dir="rtl"' in client.get(url, query_string={"preview": "fa"}).get_data(as_text=True)
    assert client.post(f"{url}/publish").status_code == 303
    form_page = client.get(f"/{slug}/complaints/new").get_data(as_text=True)
    assert "شماره پرونده بیمار" in form_page
    assert "جنوب" in form_page


def test_a_field_without_a_label_is_refused_and_keeps_what_was_typed(app, admin):
    made, client = admin
    response = client.post(
        f"/{made.tenant.slug}/console/settings/form/fields",
        data={"new-type": "choice", "new-audience": "customer", "new-label_en": "", "new-options_en": "Kept option"},
    )
    assert response.status_code == 422
    assert "Kept option" in response.get_data(as_text=True)
    assert _keys(app, made) == [] if _has_version(app, made) else True


def _has_version(app, made) -> bool:
    with app.app_context(), tenant_scope(made.tenant.id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(FormVersion)) > 0


def test_a_changed_form_keeps_old_answers_under_old_labels(app, admin):
    made, client = admin
    slug = made.tenant.slug
    _add(client, slug, "short_text", "Patient file number", "شماره پرونده")
    key = _keys(app, made)[0]
    client.post(f"/{slug}/console/settings/form/publish")
    visitor = app.test_client()
    assert _file(visitor, slug, **{key: "P-1042"}).status_code == 303
    url = f"/{slug}/console/settings/form"
    client.post(
        f"{url}/fields/{key}", data={f"f-{key}-label_fa": "شماره پروندهٔ پزشکی", f"f-{key}-audience": "customer"}
    )
    client.post(f"{url}/publish")
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalar(sa.select(Complaint))
        assert complaint.answers == {key: "P-1042"}
    page = client.get(f"/{slug}/console/complaints/{complaint.id}").get_data(as_text=True)
    assert "شماره پرونده" in page
    assert "شماره پروندهٔ پزشکی" not in page
    assert "P-1042" in page


def test_staff_registration_uses_the_same_form(app, admin):
    made, client = admin
    slug = made.tenant.slug
    _add(client, slug, "short_text", "Internal ref", "شماره داخلی", audience="staff")
    client.post(f"/{slug}/console/settings/form/publish")
    page = client.get(f"/{slug}/console/complaints/new").get_data(as_text=True)
    key = _keys(app, made)[0]
    assert f'name="{key}"' in page
    assert f'name="{key}"' not in app.test_client().get(f"/{slug}/complaints/new").get_data(as_text=True)


def test_hiding_a_core_field_takes_it_off_the_portal(app, admin):
    made, client = admin
    slug = made.tenant.slug
    assert 'name="national_id"' in app.test_client().get(f"/{slug}/complaints/new").get_data(as_text=True)
    core = {f"core-{name}": "optional" for name in ("phone", "email", "preferred_contact", "representative_name")}
    core |= {"core-national_id": "hidden", "core-remedy_sought": "optional", "core-category_id": "required"}
    core |= {"core-attachments": "optional"}
    assert client.post(f"/{slug}/console/settings/form/core", data=core).status_code == 303
    client.post(f"/{slug}/console/settings/form/publish")
    assert 'name="national_id"' not in app.test_client().get(f"/{slug}/complaints/new").get_data(as_text=True)
    refused = _file(app.test_client(), slug)
    assert refused.status_code == 422


# The portal's settings


def test_the_portal_settings_change_what_customers_see(app, admin):
    made, client = admin
    slug = made.tenant.slug
    data = {
        "colour": "#8a2be2",
        "intro_fa": "به درمانگاه ما خوش آمدید",
        "channel_phone": "021-8888 1234",
        "channel_bale": "@clinic_bot",
        "inside_name_fa": "مدیر درمانگاه",
        "inside_contact": "021-8888 1000",
        "outside_0_name_fa": "سامانه ۱۲۴",
        "outside_0_contact": "124",
        "outside_0_url": "https://124.ir",
    }
    assert client.post(f"/{slug}/console/settings/portal", data=data).status_code == 303
    home = app.test_client().get(f"/{slug}/").get_data(as_text=True)
    assert "--brand: #8a2be2" in app.test_client().get(f"/{slug}/brand.css").get_data(as_text=True)
    for text in ("به درمانگاه ما خوش آمدید", "021-8888 1234", "@clinic_bot", "مدیر درمانگاه", "124.ir"):
        assert text in home


@pytest.mark.parametrize(
    ("field", "value"), [("colour", "red"), ("outside_0_url", "javascript:alert(1)"), ("intro_en", "x" * 501)]
)
def test_bad_portal_settings_are_refused_and_keep_what_was_typed(app, admin, field, value):
    made, client = admin
    data = {"colour": "#123456", "channel_phone": "Kept phone", field: value}
    response = client.post(f"/{made.tenant.slug}/console/settings/portal", data=data)
    assert response.status_code == 422
    assert "Kept phone" in response.get_data(as_text=True)
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PortalSettings)) == 0


def test_a_logo_is_uploaded_and_served_and_a_non_image_refused(app, admin):
    made, client = admin
    slug = made.tenant.slug
    ok = client.post(
        f"/{slug}/console/settings/portal/logo",
        data={"logo-logo": (io.BytesIO(make_png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 303
    served = app.test_client().get(f"/{slug}/logo")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.get_data() == make_png()
    served.close()
    refused = client.post(
        f"/{slug}/console/settings/portal/logo",
        data={"logo-logo": (io.BytesIO(b"%PDF-1.4 not an image"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (415, 422)
    assert re.search(r"PNG|JPEG", refused.get_data(as_text=True))


def _publish_field(client, slug: str, kind: str, **extra) -> None:
    _add(client, slug, kind, "Field", "فیلد", **extra)
    assert client.post(f"/{slug}/console/settings/form/publish").status_code == 303


def test_a_required_field_for_one_category_does_not_block_another(app, admin):
    from services.catalog.models import Category

    made, client = admin
    slug = made.tenant.slug
    with app.app_context(), tenant_scope(made.tenant.id):
        first, second = db.session.scalars(sa.select(Category.id).order_by(Category.id)).all()[:2]
    _publish_field(client, slug, "short_text", required="y", categories=str(first))
    key = _keys(app, made)[0]
    assert _file(app.test_client(), slug, category_id=str(second)).status_code == 303
    refused = _file(app.test_client(), slug, category_id=str(first))
    assert refused.status_code == 422
    assert _file(app.test_client(), slug, category_id=str(first), **{key: "A-1"}).status_code == 303


def test_a_file_field_keeps_its_files_as_its_answer_and_a_required_one_is_enforced(app, admin):
    from tests.fixtures.files import make_pdf

    made, client = admin
    slug = made.tenant.slug
    _publish_field(client, slug, "file", required="y")
    key = _keys(app, made)[0]
    assert _file(app.test_client(), slug).status_code == 422
    visitor = app.test_client()
    from tests.fixtures.portal import filing as _filing
    from tests.fixtures.portal import form_page as _form_page

    data = _filing(_form_page(visitor, slug)) | {key: [(io.BytesIO(make_pdf()), "prescription.pdf")]}
    response = visitor.post(f"/{slug}/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        from services.complaints.models import Attachment

        complaint = db.session.scalar(sa.select(Complaint))
        attachment = db.session.scalar(sa.select(Attachment))
        assert complaint.answers[key] == [attachment.id]
        assert attachment.filename == "prescription.pdf"


def test_a_number_typed_with_a_decimal_comma_in_russian(app, make_tenant, login_as):
    made = make_tenant(locale="ru")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    slug = made.tenant.slug
    _publish_field(client, slug, "number")
    key = _keys(app, made)[0]
    assert _file(app.test_client(), slug, phone="+7 701 123 4567", **{key: "1,5"}).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalar(sa.select(Complaint)).answers[key] == "1.5"


def test_phone_and_email_cannot_both_be_hidden(app, admin):
    made, client = admin
    core = {f"core-{n}": "optional" for n in ("national_id", "preferred_contact", "representative_name")}
    core |= {"core-phone": "hidden", "core-email": "hidden", "core-remedy_sought": "optional"}
    core |= {"core-category_id": "optional", "core-attachments": "optional"}
    assert client.post(f"/{made.tenant.slug}/console/settings/form/core", data=core).status_code == 422


def test_a_malformed_web_address_is_refused_not_an_error(app, admin):
    made, client = admin
    data = {"colour": "#123456", "outside_0_name_en": "Body", "outside_0_url": "http://[x"}
    assert client.post(f"/{made.tenant.slug}/console/settings/portal", data=data).status_code == 422


def test_an_options_key_follows_its_label_not_its_line(app, admin):
    made, client = admin
    slug = made.tenant.slug
    _add(client, slug, "choice", "Branch", "شعبه", options_en="North\nCentre\nSouth")
    key = _keys(app, made)[0]
    with app.app_context(), tenant_scope(made.tenant.id):
        before = {o["labels"]["en"]: o["key"] for o in db.session.scalar(sa.select(FormVersion)).fields[0]["options"]}
    edit = {f"f-{key}-label_en": "Branch", f"f-{key}-audience": "customer", f"f-{key}-options_en": "South\nNorth\nEast"}
    assert client.post(f"/{slug}/console/settings/form/fields/{key}", data=edit).status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        after = {o["labels"]["en"]: o["key"] for o in db.session.scalar(sa.select(FormVersion)).fields[0]["options"]}
    assert after["South"] == before["South"]
    assert after["North"] == before["North"]
    assert after["East"] not in before.values()


def test_a_staff_file_field_on_the_registration_form_keeps_its_files_as_its_answer(app, admin):
    """Staff registration files on the same operation as the portal: a required file field of the staff's own
    is enforced, and the files given to it become its answer, kept internal."""
    from services.complaints.models import Attachment
    from tests.fixtures.files import make_pdf

    made, client = admin
    slug = made.tenant.slug
    _add(client, slug, "file", "Signed form", "فرم امضاشده", audience="staff", required="y")
    assert client.post(f"/{slug}/console/settings/form/publish").status_code == 303
    key = _keys(app, made)[0]
    form = {
        "kind": "complaint",
        "channel": "in_person",
        "complainant_name": "Ali Rezaei",
        "phone": "09121234567",
        "subject": "Late appointment",
        "description": "Waited two hours.",
        "priority": "normal",
        "preferred_locale": "fa",
    }
    url = f"/{slug}/console/complaints/new"
    missing = client.post(url, data=form, content_type="multipart/form-data")
    assert missing.status_code == 422
    data = form | {key: [(io.BytesIO(make_pdf()), "signed.pdf")]}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        complaint = db.session.scalar(sa.select(Complaint))
        attachment = db.session.scalar(sa.select(Attachment))
        assert complaint.answers[key] == [attachment.id]
        assert (attachment.filename, attachment.customer_visible) == ("signed.pdf", False)
