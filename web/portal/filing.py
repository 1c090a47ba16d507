"""Filing a complaint on the portal: the form of the organization's published version, the proof against bots,
the double-submit and repeat guards, the files, and the language switch that keeps what was typed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from wtforms import MultipleFileField

from services.complaints.models import Complaint
from services.complaints.operations import MAX_FILE_BYTES
from services.complaints.registration import ComplaintInput
from services.files.checking import FileRejected, check_upload
from services.forms.models import FormVersion
from services.forms.schema import published
from services.notifications.outbox import usable_channels
from services.portal import operations as portal
from tenants import throttle
from tenants.db import db
from tenants.errors import Duplicate, NotFound, Refused
from tenants.models import LOCALES
from tenants.text import parse_id
from web.extensions import csrf
from web.forms import category_choices
from web.i18n import locale_code
from web.portal import guard
from web.portal.blueprint import bp, limited, remember_proof, storage
from web.portal.forms import build_form


def _complaint_form(version: FormVersion | None):
    return build_form(version, locale_code())(categories=category_choices())


def _render_new(form, version: FormVersion | None, status: int = 200, notice: str | None = None):
    """The form, with what was typed when it comes back; files cannot come back, so a page that dropped some says so."""
    key = form.submission_key.data
    a, b, token = guard.new_question(key)
    form.question_token.data = token
    form.question_answer.data = ""
    dropped = request.method == "POST" and any(getattr(f, "filename", "") for f in request.files.values())
    return (
        render_template(
            "portal/new.html",
            form=form,
            version=version,
            challenge=guard.new_challenge(key),
            question=(a, b),
            notice=notice,
            files_dropped=dropped,
            # The language switch sends the form along, so that the page comes back in the new language filled in.
            language_form="complaint-form",
            # No text messages here: a customer who gives only a phone is told the code is their only receipt.
            no_text_messages="sms" not in usable_channels(),
        ),
        status,
    )


def _input_from(form) -> ComplaintInput:
    def value(name: str) -> Any:
        f = getattr(form, name, None)
        return f.data if f is not None else None

    category = value("category_id")
    return ComplaintInput(
        channel="web",
        kind=value("kind") or "complaint",
        complainant_name=value("complainant_name") or "",
        subject=value("subject") or "",
        description=value("description") or "",
        phone=value("phone") or None,
        email=value("email") or None,
        national_id=value("national_id") or None,
        preferred_contact=value("preferred_contact") or None,
        preferred_locale=locale_code(),
        representative_name=value("representative_name") or None,
        representative_relation=value("representative_relation") or None,
        remedy_sought=value("remedy_sought") or None,
        category_id=parse_id(category),
        submission_key=value("submission_key") or None,
    )


def _check(upload):
    return check_upload(upload.read(), upload.filename, max_bytes=MAX_FILE_BYTES)


def _checked_files(form) -> list:
    """The core attachments, checked by their content."""
    attachments = getattr(form, "attachments", None)
    uploads = [f for f in (attachments.data or []) if getattr(f, "filename", "")] if attachments is not None else []
    return [_check(f) for f in uploads]


# The form keys this browser was given, so that a resent form finds its complaint for its sender only.
KEYS_SESSION = "portal_keys"
# What this browser filed lately: [digest of what was typed, tenant id, complaint id, until]. Going back after
# filing may bring a fresh copy of the form (a new key): the same content within the form's lifetime is the
# same complaint. The digest is keyed, so the session cookie does not let anyone confirm a guessed text.
FILED_SESSION = "portal_filed"
FILED_KEPT = 5
# The form's own machinery, not what the customer typed; files cannot come back on a page, so they are not
# part of it either.
_NOT_CONTENT = frozenset(
    {"csrf_token", "submission_key", "website", "altcha", "question_token", "question_answer", "attachments"}
)


def _issued_key(form) -> None:
    keys = [*session.get(KEYS_SESSION, [])[-9:], form.submission_key.data]
    session[KEYS_SESSION] = keys


def _content_digest(form) -> str:
    typed = sorted(
        (f.name, f.data if isinstance(f.data, str | bool | list | None) else str(f.data))
        for f in form
        if f.name not in _NOT_CONTENT and not isinstance(f, MultipleFileField)
    )
    text = json.dumps([g.tenant.id, typed], ensure_ascii=False, default=str)
    return hmac.new(current_app.config["SECRET_KEY"].encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def _remember_filing(form, complaint: Complaint) -> None:
    now = time.time()
    kept = [entry for entry in session.get(FILED_SESSION, []) if entry[3] > now]
    until = now + guard.CHALLENGE_LIFETIME.total_seconds()
    session[FILED_SESSION] = [*kept[-(FILED_KEPT - 1) :], [_content_digest(form), g.tenant.id, complaint.id, until]]


def _filed_with_same_content(form) -> Complaint | None:
    """The complaint this browser filed here with exactly this content within the form's lifetime, if any."""
    entries = [e for e in session.get(FILED_SESSION, []) if e[1] == g.tenant.id and e[3] > time.time()]
    if not entries:
        return None
    digest = _content_digest(form)
    for stored, _tenant_id, complaint_id, _until in reversed(entries):
        if hmac.compare_digest(stored, digest):
            try:
                return portal.get_for_customer(complaint_id)
            except NotFound:
                return None
    return None


def _already_filed(form):
    """The receipt of the complaint this form filed before (a double click, a resent page), or that this browser
    filed with the same content on another copy of the form (going back and sending again), if any."""
    key = form.submission_key.data
    existing = portal.find_by_submission_key(key) if key and key in session.get(KEYS_SESSION, []) else None
    if existing is None:
        existing = _filed_with_same_content(form)
    if existing is None:
        return None
    remember_proof(existing.id)
    return redirect(url_for("portal.receipt", code=existing.code), code=303)


@bp.route("/complaints/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so that an expired page comes back with what was typed
def new_complaint():
    """The tenant's complaint form, in the visitor's language; a double submit files one complaint."""
    version = published()
    form = _complaint_form(version)
    if request.method == "GET":
        _issued_key(form)
        return _render_new(form, version)
    if request.form.get(SWITCH_LANGUAGE):
        return _switch_language(form, version)
    if (done := _already_filed(form)) is not None:
        return done
    ip = guard.client_ip()
    refused = _refusal(form, version, ip)
    if refused is not None:
        return refused
    return _file(form, version, ip)


# The name of the language switch's button when it carries the complaint form.
SWITCH_LANGUAGE = "switch_language"


def _switch_language(form, version: FormVersion | None):
    """The form again, filled in as it was, in the language chosen; nothing is checked or filed."""
    lang = request.form.get("lang", "")
    if lang not in LOCALES:
        return _render_new(form, version, 400, notice=_("Choose a language from the list."))
    if getattr(form, "csrf_token", None) is not None and not form.csrf_token.validate(form):
        form.csrf_token.errors = []
        expired = _("The page had expired. Check what you typed and send it again.")
        return _render_new(form, version, 400, notice=expired)
    session["lang"] = lang
    refresh()
    # Built again so that the labels, the topics and the tenant's own fields are in the new language.
    return _render_new(_complaint_form(version), version)


def _too_many_filings(form, version: FormVersion | None):
    """A refused filing still comes back with what was typed."""
    return _render_new(form, version, 429, notice=_("Too many attempts. Wait a few minutes and try again."))


def _refusal(form, version: FormVersion | None, ip: str):
    """The answer to a filing that cannot go ahead (limits, the form, the honeypot, no proof), or None."""
    if throttle.exceeded("portal_file_ip", ip) or throttle.exceeded("portal_file_tenant", str(g.tenant.id)):
        return _too_many_filings(form, version)
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            form.csrf_token.errors = []
            form.form_errors.append(_("The page had expired. Check what you typed and send it again."))
        return _render_new(form, version, 422)
    if form.website.data:
        form.form_errors.append(_("The form could not be accepted. Please try again."))
        return _render_new(form, version, 422)
    key = form.submission_key.data
    proof = guard.human(form.altcha.data, form.question_token.data, form.question_answer.data, key)
    if proof is None or proof == "again":
        return _unproven(form, version, wait=proof == "again")
    if proof == "sum" and limited("portal_file_sum_ip", ip):
        # Without the browser's proof of work, a visitor files fewer complaints an hour.
        return _too_many_filings(form, version)
    return None


# The same form sent again while its first sending is being filed (a double click, a resent page) waits up to
# this long for that filing to commit, then answers with its receipt.
FIRST_SENDING_WAIT_SECONDS = 8.0


def _unproven(form, version: FormVersion | None, *, wait: bool):
    """The question again (422); but the same form sent again (`wait`: its proof was used by its first sending)
    gets the receipt of what that sending filed, once committed. Files nothing itself."""
    deadline = time.monotonic() + (FIRST_SENDING_WAIT_SECONDS if wait else 0)
    while wait and (done := _already_filed(form)) is None and time.monotonic() < deadline:
        db.session.rollback()  # holds no connection while waiting, and then sees what the first one committed
        time.sleep(0.1)
    if wait and done is not None:
        return done
    form.question_answer.errors = [_("Please answer the sum, so we know a person is filing.")]
    return _render_new(form, version, 422)


def _file(form, version: FormVersion | None, ip: str):
    try:
        files = _checked_files(form)
        field_files = form.custom_file_groups(_check)
        complaint = portal.file_complaint(
            g.tenant, _input_from(form), form.custom_values(), files, storage(), field_files=field_files
        )
    except FileRejected as exc:
        target = "attachments" if getattr(form, "attachments", None) is not None else None
        form.add_errors(target, str(exc.message))
        return _render_new(form, version, exc.status)
    except Duplicate as exc:
        complaint = portal.get_for_customer(exc.existing_id)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _render_new(form, version, exc.status)
    else:
        throttle.record("portal_file_ip", ip)
        throttle.record("portal_file_tenant", str(g.tenant.id))
    _remember_filing(form, complaint)
    remember_proof(complaint.id)
    return redirect(url_for("portal.receipt", code=complaint.code), code=303)
