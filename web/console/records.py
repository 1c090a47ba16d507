"""A complaint's two forms, /<slug>/console/complaints/<id>/forms/<form>: the registration form (F-06-02-01)
and the follow-up form (F-06-02-02), as a printable page or an A4 PDF, in the reader's language or another."""

from __future__ import annotations

import base64

import segno
from flask import Response, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from services.complaints.queries import complaint_file
from services.complaints.words import FORM_NAMES
from services.portal.settings import snapshot
from services.records.forms import check_choice, cycles, record_printed, record_settings
from services.records.retention import set_hold
from services.tracking import format_code
from tenants.db import db, utcnow
from tenants.errors import Refused
from web.common.pdf import render_pdf, static_file_url
from web.common.views import external_url
from web.console.blueprint import bp
from web.console.complaint import changed, refused
from web.console.exports import attachment
from web.console.options import storage
from web.i18n import locale_code, localize_digits
from web.tenancy import STAFF, access

TEMPLATES = {"registration": "records/registration.html", "follow_up": "records/follow_up.html"}


def _logo_uri() -> str | None:
    """The organization's logo (the portal's) inline, so that the printed page needs no request of its own."""
    settings = snapshot(g.tenant)
    if not settings.logo_key:
        return None
    try:
        with storage().open(settings.logo_key) as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        return None
    return f"data:{settings.logo_type or 'image/png'};base64,{base64.b64encode(data).decode('ascii')}"


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string, every character that could end it or the style element escaped."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>&' or ord(ch) < 32 else ch for ch in text)
    return Markup(f'"{escaped}"')  # noqa: S704 - every character that could end the string is escaped


def page_counter(locale: str) -> Markup:
    """The CSS content of "Page 1 of 2" in `locale`'s words and order, with its digits (Persian on Persian pages)."""
    style = ", persian" if locale == "fa" else ""
    words = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for piece in words.split("\x00"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece}{style})")
        elif piece:
            parts.append(css_string(piece))
    return Markup(" ".join(parts))  # noqa: S704 - CSS strings (escaped) and counter() calls only


def _page(form: str, locale: str, for_pdf: bool) -> str:
    data = complaint_file(current_user, g.complaint.id)
    c = data.complaint
    link = external_url("portal.status", code=c.code)
    header = record_settings()
    with force_locale(locale):
        number = header.registration_code if form == "registration" else header.follow_up_code
        revision = _("Revision")
        footer = f"{number} · {revision} {localize_digits(header.revision)}"
        return render_template(
            TEMPLATES[form],
            data=data,
            c=c,
            form=form,
            form_code=number,
            form_name=FORM_NAMES[form],
            header=header,
            code=format_code(c.code),
            link=link,
            qr=segno.make(link, error="m").svg_data_uri(scale=3),
            logo=_logo_uri(),
            cycles=cycles(data) if form == "follow_up" else [],
            static=lambda filename: static_file_url(filename, for_pdf=for_pdf),
            for_pdf=for_pdf,
            printed_by=current_user.name,
            now_moment=utcnow(),
            page_counter=page_counter(locale),
            footer=css_string(footer),
        )


@bp.get("/complaints/<int:complaint_id>/forms/<form>")
@access(STAFF)  # a reading page: whoever sees complaints, an auditor too
def complaint_form(form: str):
    """A form of the complaint: `format` html (the default) or pdf; `lang` the language (the reader's by default).
    Each one made is written to the complaint's follow-up log."""
    fmt = request.args.get("format", "html")
    locale = request.args.get("lang") or locale_code()
    check_choice(form, fmt, locale)
    page = _page(form, locale, for_pdf=fmt == "pdf")
    body = render_pdf(page) if fmt == "pdf" else None
    record_printed(current_user, g.complaint, form, fmt, locale)
    db.session.commit()
    if body is None:
        return page
    response = Response(body, mimetype="application/pdf")
    header = record_settings()
    number = header.registration_code if form == "registration" else header.follow_up_code
    response.headers["Content-Disposition"] = attachment(f"{number} {g.complaint.code}.pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/complaints/<int:complaint_id>/hold")
def legal_hold():
    """Put the complaint on legal hold (with the reason) or lift the hold: owners and admins."""
    held = request.form.get("held") == "1"
    try:
        set_hold(current_user, g.complaint.id, held, (request.form.get("reason") or "")[:600])
    except Refused as exc:
        db.session.rollback()
        return refused(exc, "hold")
    db.session.commit()
    return changed()
