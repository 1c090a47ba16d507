"""The tenant's public portal: how to complain, the complaint form, the receipt, tracking by code, proof of
being the complainant, and the customer's answers. Every page works without JavaScript."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from wtforms import MultipleFileField

from services.calendar import deadlines
from services.complaints.models import OPEN_STATES, Complaint, State
from services.complaints.operations import MAX_FILE_BYTES, ComplaintInput
from services.complaints.tracking import CodeError, explain, format_code, parse_code
from services.files.checking import FileRejected, check_upload
from services.files.storage import storage_from_config
from services.forms.models import FormVersion
from services.forms.schema import published
from services.notifications import delivery
from services.notifications.outbox import usable_channels
from services.portal import followups
from services.portal import operations as portal
from services.portal import settings as portal_settings
from services.portal.labels import CHANNEL_WORDS, DUE_WORDS, RATED_WORDS, STATE_WORDS
from tenants import throttle
from tenants.db import db
from tenants.errors import Duplicate, NotFound, Refused
from tenants.models import LOCALES
from tenants.text import parse_id
from web.common.views import error_page, external_url, send_attachment
from web.extensions import csrf
from web.forms import category_choices, choices
from web.i18n import locale_code
from web.portal import guard
from web.portal.forms import (
    AcceptForm,
    MessageForm,
    ProofForm,
    ProofRequestForm,
    RatingForm,
    ReasonForm,
    TrackForm,
    build_form,
)
from web.tenancy import resolve_tenant

log = logging.getLogger(__name__)

bp = Blueprint("portal", __name__, url_prefix="/<tenant_slug>")
bp.url_value_preprocessor(resolve_tenant)

SESSION_KEY = "portal"
# How long a proof of being the complainant lasts in this browser.
PROOF_SECONDS = 2 * 3600


@bp.context_processor
def _portal_context() -> dict[str, Any]:
    tenant = g.get("tenant")
    if tenant is None:  # an unknown organization's address: the plain error page
        return {}
    return {"settings": _settings(), "CHANNEL_WORDS": CHANNEL_WORDS}


def _settings():
    """The portal's settings, read once per request."""
    if "portal_settings" not in g:
        g.portal_settings = portal_settings.snapshot(g.tenant)
    return g.portal_settings


def _storage():
    return storage_from_config(current_app.config["UPLOAD_STORAGE"])


def _limited(name: str, *identifiers: str) -> bool:
    """Count one request against the limit `name`; True when the limit was already reached."""
    return not throttle.hit(name, *identifiers)


def _too_many():
    return error_page(429, _("Too many attempts. Wait a few minutes and try again."))


# Proof of being the complainant, kept in this browser's session


def _proven() -> dict[str, float]:
    return dict(session.get(SESSION_KEY, {}).get(str(g.tenant.id), {}))


def _remember_proof(complaint_id: int) -> None:
    proofs = {k: v for k, v in _proven().items() if v > time.time()}
    proofs[str(complaint_id)] = time.time() + PROOF_SECONDS
    every = dict(session.get(SESSION_KEY, {}))
    every[str(g.tenant.id)] = proofs
    session[SESSION_KEY] = every


def _is_proven(complaint: Complaint) -> bool:
    return _proven().get(str(complaint.id), 0) > time.time()


# How to complain


@bp.get("/")
def home():
    """The organization's portal: how to complain, through which channels, what it promises, where else to turn."""
    rule = deadlines.default_rule()
    return render_template("portal/home.html", promised=deadlines.promised(rule), default_rule=rule)


@bp.get("/brand.css")
def brand_css():
    """The organization's colour as a style sheet (the pages allow no inline styles)."""
    colour = _settings().colour
    response = current_app.response_class(f":root {{ --brand: {colour}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/logo")
def logo():
    settings = _settings()
    if not settings.logo_key:
        abort(404)
    try:
        handle = _storage().open(settings.logo_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    response = send_file(handle, mimetype=settings.logo_type or "image/png", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Filing


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
    _remember_proof(existing.id)
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
    if proof == "sum" and _limited("portal_file_sum_ip", ip):
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
            g.tenant, _input_from(form), form.custom_values(), files, _storage(), field_files=field_files
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
    _remember_proof(complaint.id)
    return redirect(url_for("portal.receipt", code=complaint.code), code=303)


@bp.get("/complaints/<code>/receipt")
def receipt(code: str):
    """After filing: the code, large and grouped, a copy button, a printable receipt and a QR code."""
    complaint = _complaint_for(code)
    if not isinstance(complaint, Complaint):
        return complaint
    if not _is_proven(complaint):
        return redirect(url_for("portal.status", code=complaint.code), code=303)
    g.private_page = True
    qr = segno.make(external_url("portal.status", code=complaint.code), error="m")
    return render_template(
        "portal/receipt.html",
        c=complaint,
        code=format_code(complaint.code),
        link=external_url("portal.status", code=complaint.code),
        qr_svg=qr.svg_inline(scale=4, title=_("Tracking link")),
        receipt_sent=delivery.receipt_sent(complaint.id),
    )


# Tracking


def _lookup(code: str):
    """The complaint for a typed code, or the page to answer with: a typo (422) or no such code (404).

    Unknown codes and other organizations' codes get the same answer from the same indexed lookup.
    """
    try:
        complaint = portal.find_by_code(code)
    except CodeError as exc:
        return _code_problem(exc, code)
    if complaint is None:
        return render_template("portal/track.html", form=_track_form(code), not_found=True), 404
    return complaint


def _track_form(code: str = "") -> TrackForm:
    form = TrackForm(formdata=None)
    form.code.data = code
    return form


def code_message(exc: CodeError) -> str:
    """What is wrong with a typed code, in the visitor's language."""
    return explain(exc)


def _code_problem(exc: CodeError, typed: str):
    form = _track_form(typed)
    form.code.errors = [code_message(exc)]
    return render_template("portal/track.html", form=form), 422


@bp.route("/track", methods=["GET", "POST"])
def track():
    """Type a tracking code; any digits, spaces and dashes."""
    typed = request.values.get("code", "") if request.method == "POST" or "code" in request.args else None
    if typed is None:
        return render_template("portal/track.html", form=_track_form())
    form = TrackForm(formdata=request.form if request.method == "POST" else request.args, meta={"csrf": False})
    form.validate()
    return _go_to_code(form.code.data or "")


def _go_to_code(typed: str):
    if _limited("portal_track_ip", guard.client_ip()):
        form = _track_form(typed)
        form.code.errors = [_("Too many attempts. Wait a few minutes and try again.")]
        return render_template("portal/track.html", form=form), 429
    try:
        code = parse_code(typed)
    except CodeError as exc:
        return _code_problem(exc, typed)
    return redirect(url_for("portal.status", code=code), code=303)


def _status_page(complaint: Complaint, status: int = 200, **forms):
    proven = _is_proven(complaint)
    g.private_page = proven  # the complainant's own text and answers: never cached (the app factory's header)
    settings = _settings()
    events = portal.customer_timeline(complaint, proven=proven, names=settings.show_staff_names)
    files = portal.customer_files(complaint) if proven else []
    answers = portal.customer_answers(complaint) if proven else []
    state = State(complaint.state)
    rating = portal.existing_rating(complaint) if proven and state == State.CLOSED else None
    due_at = complaint.next_due_at
    if state == State.RESPONDED:
        # The customer's date after an answer is the day the complaint closes by itself, not a staff deadline.
        due_at = followups.closes_at(complaint, settings.auto_close_days)
    context = {
        "c": complaint,
        "code": format_code(complaint.code),
        "proven": proven,
        "events": events,
        "files": files,
        "answers": answers,
        "state_words": RATED_WORDS if rating is not None else STATE_WORDS[state.value],
        "due_words": DUE_WORDS.get(state.value),
        "due_at": due_at,
        "rating": rating,
        "can_add": state in OPEN_STATES,
        "can_answer": state == State.RESPONDED,
        "show_bodies": complaint.reopen_count >= 2 or request.args.get("help") == "1",
    }
    # Only the forms the page shows: a stranger's page has the two proof forms alone, written out in the page.
    if not proven:
        context["contacts"] = portal.contact_choices(complaint)
    else:
        context.update(
            message=MessageForm(formdata=None),
            reject=ReasonForm(formdata=None, prefix="reject"),
            withdraw=ReasonForm(formdata=None, prefix="withdraw"),
            accept=AcceptForm(formdata=None),
            rate=RatingForm(formdata=None),
        )
    context.update(forms)
    return render_template("portal/status.html", **context), status


def _own_complaint(code: str) -> Complaint | None:
    """The complaint when this browser has proved to be its complainant, else None; nothing is counted."""
    if not any(until > time.time() for until in _proven().values()):
        return None
    try:
        complaint = portal.find_by_code(code)
    except CodeError:
        return None
    return complaint if complaint is not None and _is_proven(complaint) else None


def _complaint_for(code: str, *, count_code: bool = True):
    """The complaint, counting a stranger's lookup against the visitor's and the code's limits.

    A proven complainant reading or answering their own complaint is never counted: many customers share one
    address (a mobile carrier's), and only a stranger's lookups can be abused to guess codes. A code looked up
    too often by strangers shows them no more than the way to prove it is theirs (g.code_busy); it never locks
    its complainant out of asking for a one-time code, of typing it, or of the signed link from their receipt.
    """
    own = _own_complaint(code)
    if own is not None:
        return own
    if _limited("portal_track_ip", guard.client_ip()):
        return _too_many()
    complaint = _lookup(code)
    if count_code and isinstance(complaint, Complaint) and _limited("portal_track_code", complaint.code):
        g.code_busy = True
    return complaint


def _linked_complaint(code: str, token: str) -> Complaint | None:
    """The complaint a genuine link's token stands for, when it has this code; the token is checked before any
    lookup, so a made-up one looks nothing up."""
    complaint_id = portal.complaint_id_from_link(g.tenant, token)
    if complaint_id is None:
        return None
    try:
        complaint = portal.get_for_customer(complaint_id)
        typed = parse_code(code)
    except (NotFound, CodeError):
        return None
    return complaint if complaint.code == typed else None


@bp.get("/track/<code>")
def status(code: str):
    """Where the complaint stands, what happens next and by when; its text and messages once proven."""
    token = request.args.get("t")
    linked = _linked_complaint(code, token) if token else None
    if linked is not None:
        # The signed link from the complainant's own notice: proof enough, counted against no limit.
        _remember_proof(linked.id)
        return redirect(url_for("portal.status", code=linked.code), code=303)
    complaint = _complaint_for(code)
    if not isinstance(complaint, Complaint):
        return complaint
    if token:
        flash(_("This link has expired or is not valid. Ask for a code instead."), "error")
    if g.get("code_busy"):
        return _status_page(complaint, 429, busy=True)
    return _status_page(complaint)


@bp.post("/track/<code>/proof")
def send_proof(code: str):
    """Send a one-time code to the phone or e-mail on file; limited per complaint (a quarter of an hour and a
    day) and per visitor, never by strangers' lookups of the code."""
    complaint = _complaint_for(code, count_code=False)
    if not isinstance(complaint, Complaint):
        return complaint
    form = ProofRequestForm()
    form.channel.choices = choices({c.channel: c.masked for c in portal.contact_choices(complaint)})
    if not form.validate_on_submit():
        return _status_page(complaint, 422, proof_request_error=" ".join(form.channel.errors) or None)
    if (
        _limited("portal_proof_send_ip", guard.client_ip())
        or _limited("portal_proof_send", str(complaint.id))
        or _limited("portal_proof_send_day", str(complaint.id))
    ):
        return _too_many()
    sent = portal.send_proof(complaint, form.channel.data)
    # A new code, a new count of wrong tries: the old code is void anyway.
    throttle.reset("portal_proof_wrong", str(complaint.id))
    if current_app.config["ENV"] != "production":
        log.info("one-time code for complaint %s: %s", complaint.code, sent)
    flash(_("We have sent a code. It works for 10 minutes."), "success")
    return redirect(url_for("portal.status", code=complaint.code, _anchor="prove"), code=303)


@bp.post("/track/<code>/verify")
def verify(code: str):
    """Check the one-time code. Wrong tries cost the visitor who types them (a limit per visitor), and after a
    few the code sent is void: the right code works from any browser until then, and a new one after."""
    complaint = _complaint_for(code, count_code=False)
    if not isinstance(complaint, Complaint):
        return complaint
    form = ProofForm()
    if not form.validate_on_submit():
        return _status_page(complaint, 422, proof_error=" ".join(form.code.errors) or _("Type the code you received."))
    if _limited("portal_verify_ip", guard.client_ip()):
        return _too_many()
    # Counted and checked in one step, so that parallel guesses cannot pass the count; a right code ends the
    # code's use, so counting it too costs nothing.
    if _limited("portal_proof_wrong", str(complaint.id)):
        void = _("This code was typed wrong too many times and no longer works. Ask for a new one.")
        return _status_page(complaint, 422, proof_error=void)
    if not portal.check_proof(complaint, form.code.data):
        return _status_page(complaint, 422, proof_error=_("This code is wrong or has expired. Ask for a new one."))
    _remember_proof(complaint.id)
    return redirect(url_for("portal.status", code=complaint.code), code=303)


# What a customer may have typed on the status page's forms (a message, a reason, a rating's comment).
_TYPED_FIELDS = ("body", "reject-reason", "withdraw-reason", "comment")
# The complainant's steps check their form's own token (csrf.exempt), so that an expired page comes back with
# what was typed rather than as a bare error page.


def _expired(form) -> str | None:
    """The message for a form sent from a page whose token is no longer good, else None."""
    if getattr(form, "csrf_token", None) is None or not form.csrf_token.errors:
        return None
    form.csrf_token.errors = []
    return _("The page had expired. Check what you typed and send it again.")


def _proven_complaint(code: str):
    complaint = _complaint_for(code)
    if not isinstance(complaint, Complaint):
        return complaint
    if not _is_proven(complaint):
        refusal = _("First prove that you filed this complaint: ask for a code below.")
        if request.method != "POST":
            return error_page(403, refusal)
        # A proof that lapsed while the customer was typing: the page to prove it again, with what they wrote.
        unsent = "\n\n".join(t for name in _TYPED_FIELDS if (t := (request.form.get(name) or "").strip()))
        return _status_page(complaint, 403, error=refusal, unsent=unsent or None)
    return complaint


def _after(complaint: Complaint, message: str):
    flash(message, "success")
    return redirect(url_for("portal.status", code=complaint.code), code=303)


@bp.post("/track/<code>/message")
@csrf.exempt  # the form checks its own token
def message(code: str):
    """Add a message or a file; the handler is told."""
    complaint = _proven_complaint(code)
    if not isinstance(complaint, Complaint):
        return complaint
    form = MessageForm()
    uploads = [f for f in (form.files.data or []) if getattr(f, "filename", "")]
    if form.validate_on_submit() and not (form.body.data or "").strip() and not uploads:
        form.body.errors = [_("Write a message or choose a file.")]
    if form.errors:
        return _status_page(complaint, 422, message=form, error=_expired(form))
    try:
        checked = [check_upload(f.read(), f.filename, max_bytes=MAX_FILE_BYTES) for f in uploads]
        if (form.body.data or "").strip():
            portal.customer_message(g.tenant, complaint, form.body.data)
        for upload in checked:
            portal.customer_file(g.tenant, complaint, upload, _storage())
    except FileRejected as exc:
        form.files.errors = [str(exc.message)]
        return _status_page(complaint, exc.status, message=form)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _status_page(complaint, exc.status, message=form, error=None if exc.field else str(exc.message))
    return _after(complaint, _("Thank you. Your message has been added to the complaint."))


@bp.post("/track/<code>/accept")
@csrf.exempt  # the form checks its own token
def accept(code: str):
    complaint = _proven_complaint(code)
    if not isinstance(complaint, Complaint):
        return complaint
    form = AcceptForm()
    if not form.validate_on_submit():
        return _status_page(complaint, 422, error=_expired(form))
    try:
        portal.accept(g.tenant, complaint)
    except Refused as exc:
        return _status_page(complaint, exc.status, error=str(exc.message))
    return _after(complaint, _("Thank you. The complaint is closed."))


def _reason_step(code: str, prefix: str, step, done: str):
    """A customer's step that takes a reason (reject, withdraw): refusals keep the reason typed."""
    complaint = _proven_complaint(code)
    if not isinstance(complaint, Complaint):
        return complaint
    form = ReasonForm(prefix=prefix)
    if not form.validate_on_submit():
        return _status_page(complaint, 422, error=_expired(form), **{prefix: form})
    try:
        step(g.tenant, complaint, form.reason.data)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _status_page(complaint, exc.status, error=None if exc.field else str(exc.message), **{prefix: form})
    return _after(complaint, done)


@bp.post("/track/<code>/reject")
@csrf.exempt  # the form checks its own token
def reject(code: str):
    """The answer does not satisfy the customer: investigated again."""
    return _reason_step(code, "reject", portal.reject, _("We are looking into it again and will answer you."))


@bp.post("/track/<code>/withdraw")
@csrf.exempt  # the form checks its own token
def withdraw(code: str):
    return _reason_step(code, "withdraw", portal.withdraw, _("The complaint is withdrawn."))


@bp.post("/track/<code>/rate")
@csrf.exempt  # the form checks its own token
def rate(code: str):
    complaint = _proven_complaint(code)
    if not isinstance(complaint, Complaint):
        return complaint
    form = RatingForm()
    if not form.validate_on_submit():
        return _status_page(complaint, 422, rate=form, error=_expired(form))
    try:
        portal.rate(complaint, int(form.score.data), form.comment.data)
    except Duplicate:
        return _after(complaint, _("You have already rated this complaint. Thank you."))
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _status_page(complaint, exc.status, rate=form)
    return _after(complaint, _("Thank you for your rating."))


@bp.get("/track/<code>/files/<int:attachment_id>")
def file(code: str, attachment_id: int):
    """A file the customer may see, as a download, once proven."""
    complaint = _proven_complaint(code)
    if not isinstance(complaint, Complaint):
        return complaint
    try:
        attachment = portal.visible_file(complaint, attachment_id)
    except Refused as exc:
        return error_page(exc.status, str(exc.message))
    return send_attachment(attachment)
