"""The seed's two forms of a complaint, F-06-02-01 (registration) and F-06-02-02 (follow-up): made as PDF by
WeasyPrint and read back with poppler's pdftotext, in Persian, Kazakh, Russian and English; the printable page;
the organization's own codes; every printing in the follow-up log; another tenant's complaint refused."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.complaints import lifecycle
from services.complaints.models import ComplaintEvent
from services.complaints.registration import ComplaintInput, register_complaint
from services.forms import schema
from services.forms.answers import record_answers
from services.forms.schema import FieldInput
from services.tracking import format_code
from tenants.db import db
from tenants.text import persian_digits
from tests.fixtures.scopes import in_tenant, investigating

# What pdftotext puts around right-to-left runs (embedding marks), and the tatweel and joiners it may keep.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f\u2066\u2067\u2068\u2069"))


def pdf_text(body: bytes, tmp_path: Path) -> str:
    """The text of a PDF in reading order, as poppler's pdftotext extracts it, without the bidi marks."""
    assert body.startswith(b"%PDF-"), body[:40]
    path = tmp_path / "form.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").translate(_BIDI).split())


def _complaint(app, made, *, locale: str, national_id: str | None = None):
    """A complaint filed on the organization's own form (one field), investigated, with a corrective action."""
    with in_tenant(app, made) as s:
        schema.add_field(
            s.owner,
            FieldInput(
                type="short_text",
                labels={
                    "en": "Patient file number",
                    "fa": "شماره پرونده بیمار",
                    "ru": "Номер карты",
                    "kk": "Карта нөмірі",
                },
            ),
        )
        version = schema.publish(s.owner)
        key = version.fields[0]["key"]
        c = register_complaint(
            s.owner,
            s.tenant,
            ComplaintInput(
                channel="phone",
                complainant_name={"fa": "مریم احمدی", "ru": "Анна Иванова", "kk": "Әйгерім Бекова"}.get(
                    locale, "Ann Lee"
                ),
                phone="+98 912 123 4567" if locale == "fa" else "+7 701 555 0000",
                email="maryam@example.com",
                national_id=national_id,
                preferred_locale=locale,
                subject={"fa": "دو ساعت انتظار", "ru": "Ждали два часа", "kk": "Екі сағат күттік"}.get(
                    locale, "Waited"
                ),
                description="Nobody said why.",
                remedy_sought="An apology",
            ),
        )
        record_answers(s.tenant, c, {key: "P-1042"}, audience="staff", version=version)
        db.session.commit()
        return c.id, c.code


def _login(client, login_as, made):
    login_as(client, made.tenant, made.owner)


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("fa", ("فرم ثبت شکایت", "کد رهگیری", "شماره پرونده بیمار", "مریم احمدی")),
        ("ru", ("Форма регистрации жалобы", "Номер карты", "Анна Иванова")),
        ("kk", ("Шағымды тіркеу нысаны", "Карта нөмірі", "Әйгерім Бекова")),
        ("en", ("Registration form", "Patient file number", "Ann Lee")),
    ],
)
def test_the_registration_form_as_pdf_in_each_language(app, client, login_as, make_tenant, tmp_path, locale, labels):  # noqa: PLR0917
    made = make_tenant(locale=locale)
    complaint_id, code = _complaint(app, made, locale=locale)
    _login(client, login_as, made)
    response = client.get(
        f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/registration?format=pdf&lang={locale}"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    grouped = format_code(code)
    for label in labels:
        assert label in text, (label, text[:600])
    assert "F-06-02-01" in text
    assert (persian_digits(grouped) if locale == "fa" else grouped) in text  # the code intact, in its order
    assert "P-1042" in text
    phone = "+989121234567" if locale == "fa" else "+77015550000"
    assert (persian_digits(phone) if locale == "fa" else phone) in text
    assert "maryam@example.com" in text
    if locale == "fa":
        assert re.search(r"۱ ?از ?[۱-۹]", text), text[-200:]  # "page 1 of n" in Persian digits
        assert "۲۰۲۶" in text or "۲۰۲۷" in text  # the Gregorian date beside the Jalali one


def test_the_follow_up_form_lists_the_log_by_cycle_with_actions_and_decisions(
    app, client, login_as, make_tenant, tmp_path
):
    made = make_tenant(locale="ru")
    complaint_id, _code = _complaint(app, made, locale="ru")
    with in_tenant(app, made) as s:
        c = investigating(s, complaint_id)
        lifecycle.decide(
            s.owner,
            s.tenant,
            c,
            lifecycle.DecisionInput(justified=True, reasons="Очередь не была организована."),
            c.version,
        )
        db.session.commit()
    _login(client, login_as, made)
    response = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/follow_up?format=pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    for words in ("Форма сопровождения", "F-06-02-02", "История обработки", "Очередь не была организована."):
        assert words in text, (words, text[:800])
    html = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/follow_up").get_data(as_text=True)
    assert 'data-event="registered"' in html
    assert "window.print()" in html
    with app.app_context(), in_tenant(app, made):
        printed = db.session.scalars(
            sa.select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.kind == "form_printed"
            )
        ).all()
        assert [(e.data["form"], e.data["format"], e.data["locale"]) for e in printed] == [
            ("follow_up", "pdf", "ru"),
            ("follow_up", "html", "ru"),
        ]
        assert all(e.actor_id == made.owner.id for e in printed)


def test_the_organization_sets_its_own_form_codes(app, client, login_as, make_tenant, tmp_path):
    made = make_tenant()
    complaint_id, _code = _complaint(app, made, locale="en")
    _login(client, login_as, made)
    page = client.get(f"/{made.tenant.slug}/console/settings/records")
    assert page.status_code == 200
    response = client.post(
        f"/{made.tenant.slug}/console/settings/records",
        data={
            "registration_code": "QF-7.2-01",
            "follow_up_code": "QF-7.2-02",
            "revision": "3",
            "retention_months": "24",
            "revision_date": "2026-11-23",
            "approver_title": "Head of Quality",
        },
    )
    assert response.status_code in (302, 303)
    body = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/registration?format=pdf").data
    text = pdf_text(body, tmp_path)
    assert "QF-7.2-01" in text
    assert "Head of Quality" in text
    assert "F-06-02-01" not in text
    # A code left empty is refused in words, and nothing typed is lost.
    refused = client.post(
        f"/{made.tenant.slug}/console/settings/records",
        data={
            "registration_code": "",
            "follow_up_code": "QF-7.2-02",
            "revision": "4",
            "revision_date": "not a date",
            "retention_months": "24",
        },
    )
    assert refused.status_code == 422
    assert 'value="4"' in refused.get_data(as_text=True)


def test_a_hostile_code_cannot_break_out_of_the_page_style(app, client, login_as, make_tenant, tmp_path):
    made = make_tenant()
    complaint_id, _code = _complaint(app, made, locale="en")
    _login(client, login_as, made)
    saved = client.post(
        f"/{made.tenant.slug}/console/settings/records",
        data={
            "registration_code": '"}</style><script>x()</script>',
            "follow_up_code": "B",
            "revision": "1",
            "retention_months": "36",
        },
    )
    assert saved.status_code in (302, 303)
    html = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/registration").get_data(
        as_text=True
    )
    assert "<script>x()" not in html
    body = client.get(f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms/registration?format=pdf").data
    assert '"}</style><script>x()</script>' in pdf_text(body, tmp_path)


def test_forms_of_another_tenant_and_bad_choices_are_refused(app, client, login_as, make_tenant):
    made, other = make_tenant(), make_tenant()
    complaint_id, _code = _complaint(app, made, locale="en")
    login_as(client, other.tenant, other.owner)
    assert client.get(f"/{other.tenant.slug}/console/complaints/{complaint_id}/forms/registration").status_code == 404
    _login(client, login_as, made)
    base = f"/{made.tenant.slug}/console/complaints/{complaint_id}/forms"
    assert client.get(f"{base}/invoice").status_code == 422
    assert client.get(f"{base}/registration?format=docx").status_code == 422
    assert client.get(f"{base}/registration?lang=de").status_code == 422
