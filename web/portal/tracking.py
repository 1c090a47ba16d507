"""Following a complaint on the portal: the receipt, tracking by code, proof of being the complainant, and the
customer's steps (a message or file, accepting or rejecting the answer, withdrawing, rating)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, NoReturn

import segno
from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.complaints.models import OPEN_STATES, Complaint, State
from services.complaints.operations import MAX_FILE_BYTES
from services.files.checking import FileRejected, check_upload
from services.labels import STATE_WORDS
from services.notifications import delivery
from services.portal import followups
from services.portal import operations as portal
from services.portal.labels import DUE_WORDS, RATED_WORDS
from services.tracking import CodeError, explain, format_code, parse_code
from tenants import throttle
from tenants.errors import Duplicate, NotFound, Refused
from web.common.views import error_page, external_url, send_attachment
from web.extensions import csrf
from web.forms import choices
from web.portal import guard
from web.portal.blueprint import bp, current_settings, is_proven, limited, proofs, remember_proof, storage, too_many
from web.portal.forms import AcceptForm, MessageForm, ProofForm, ProofRequestForm, RatingForm, ReasonForm, TrackForm

log = logging.getLogger(__name__)


# Tracking


def _answer_instead(page) -> NoReturn:
    """End the request with `page` (the portal's own page of a refusal, with the visitor's input) as its answer."""
    abort(make_response(page))


def _lookup(code: str) -> Complaint:
    """The complaint for a typed code; a typo (422) or no such code (404) ends the request with the track page.

    Unknown codes and other organizations' codes get the same answer from the same indexed lookup.
    """
    try:
        complaint = portal.find_by_code(code)
    except CodeError as exc:
        _answer_instead(_code_problem(exc, code))
    if complaint is None:
        _answer_instead((render_template("portal/track.html", form=_track_form(code), not_found=True), 404))
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
    if limited("portal_track_ip", guard.client_ip()):
        form = _track_form(typed)
        form.code.errors = [_("Too many attempts. Wait a few minutes and try again.")]
        return render_template("portal/track.html", form=form), 429
    try:
        code = parse_code(typed)
    except CodeError as exc:
        return _code_problem(exc, typed)
    return redirect(url_for("portal.status", code=code), code=303)


def _status_page(complaint: Complaint, status: int = 200, **forms):
    proven = is_proven(complaint)
    g.private_page = proven  # the complainant's own text and answers: never cached (the app factory's header)
    settings = current_settings()
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
    if not any(until > time.time() for until in proofs().values()):
        return None
    try:
        complaint = portal.find_by_code(code)
    except CodeError:
        return None
    return complaint if complaint is not None and is_proven(complaint) else None


def _complaint_for(code: str, *, count_code: bool = True) -> Complaint:
    """The complaint, counting a stranger's lookup against the visitor's and the code's limits.

    A proven complainant reading or answering their own complaint is never counted: many customers share one
    address (a mobile carrier's), and only a stranger's lookups can be abused to guess codes. A code looked up
    too often by strangers shows them no more than the way to prove it is theirs (g.code_busy); it never locks
    its complainant out of asking for a one-time code, of typing it, or of the signed link from their receipt.
    """
    own = _own_complaint(code)
    if own is not None:
        return own
    if limited("portal_track_ip", guard.client_ip()):
        _answer_instead(too_many())
    complaint = _lookup(code)
    if count_code and limited("portal_track_code", complaint.code):
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


def _proven_complaint(code: str) -> Complaint:
    complaint = _complaint_for(code)
    if not is_proven(complaint):
        refusal = _("First prove that you filed this complaint: ask for a code below.")
        if request.method != "POST":
            _answer_instead(error_page(403, refusal))
        # A proof that lapsed while the customer was typing: the page to prove it again, with what they wrote.
        unsent = "\n\n".join(t for name in _TYPED_FIELDS if (t := (request.form.get(name) or "").strip()))
        _answer_instead(_status_page(complaint, 403, error=refusal, unsent=unsent or None))
    return complaint


def with_complaint(*, proven: bool = False, count_code: bool = True) -> Callable[[Callable], Callable]:
    """The route works on the complaint of the URL's code, found (and counted) once and handed to the view in
    place of the code (also as g.complaint); a typo, an unknown code, too many lookups or, with `proven`, a
    visitor who has not proved to be its complainant end the request with their page before the view runs."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(code: str, **values: Any):
            g.complaint = _proven_complaint(code) if proven else _complaint_for(code, count_code=count_code)
            return view(g.complaint, **values)

        return run

    return wrap


@bp.get("/track/<code>")
def status(code: str):
    """Where the complaint stands, what happens next and by when; its text and messages once proven."""
    token = request.args.get("t")
    linked = _linked_complaint(code, token) if token else None
    if linked is not None:
        # The signed link from the complainant's own notice: proof enough, counted against no limit.
        remember_proof(linked.id)
        return redirect(url_for("portal.status", code=linked.code), code=303)
    complaint = _complaint_for(code)
    if token:
        flash(_("This link has expired or is not valid. Ask for a code instead."), "error")
    if g.get("code_busy"):
        return _status_page(complaint, 429, busy=True)
    return _status_page(complaint)


@bp.post("/track/<code>/proof")
@with_complaint(count_code=False)
def send_proof(complaint: Complaint):
    """Send a one-time code to the phone or e-mail on file; limited per complaint (a quarter of an hour and a
    day) and per visitor, never by strangers' lookups of the code."""
    form = ProofRequestForm()
    form.channel.choices = choices({c.channel: c.masked for c in portal.contact_choices(complaint)})
    if not form.validate_on_submit():
        return _status_page(complaint, 422, proof_request_error=" ".join(form.channel.errors) or None)
    if (
        limited("portal_proof_send_ip", guard.client_ip())
        or limited("portal_proof_send", str(complaint.id))
        or limited("portal_proof_send_day", str(complaint.id))
    ):
        return too_many()
    sent = portal.send_proof(complaint, form.channel.data)
    # A new code, a new count of wrong tries: the old code is void anyway.
    throttle.reset("portal_proof_wrong", str(complaint.id))
    if current_app.config["ENV"] != "production":
        log.info("one-time code for complaint %s: %s", complaint.code, sent)
    flash(_("We have sent a code. It works for 10 minutes."), "success")
    return redirect(url_for("portal.status", code=complaint.code, _anchor="prove"), code=303)


@bp.post("/track/<code>/verify")
@with_complaint(count_code=False)
def verify(complaint: Complaint):
    """Check the one-time code. Wrong tries cost the visitor who types them (a limit per visitor), and after a
    few the code sent is void: the right code works from any browser until then, and a new one after."""
    form = ProofForm()
    if not form.validate_on_submit():
        return _status_page(complaint, 422, proof_error=" ".join(form.code.errors) or _("Type the code you received."))
    if limited("portal_verify_ip", guard.client_ip()):
        return too_many()
    # Counted and checked in one step, so that parallel guesses cannot pass the count; a right code ends the
    # code's use, so counting it too costs nothing.
    if limited("portal_proof_wrong", str(complaint.id)):
        void = _("This code was typed wrong too many times and no longer works. Ask for a new one.")
        return _status_page(complaint, 422, proof_error=void)
    if not portal.check_proof(complaint, form.code.data):
        return _status_page(complaint, 422, proof_error=_("This code is wrong or has expired. Ask for a new one."))
    remember_proof(complaint.id)
    return redirect(url_for("portal.status", code=complaint.code), code=303)


@bp.get("/complaints/<code>/receipt")
@with_complaint()
def receipt(complaint: Complaint):
    """After filing: the code, large and grouped, a copy button, a printable receipt and a QR code."""
    if not is_proven(complaint):
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


def _after(complaint: Complaint, message: str):
    flash(message, "success")
    return redirect(url_for("portal.status", code=complaint.code), code=303)


@bp.post("/track/<code>/message")
@csrf.exempt  # the form checks its own token
@with_complaint(proven=True)
def message(complaint: Complaint):
    """Add a message or a file; the handler is told."""
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
            portal.customer_file(g.tenant, complaint, upload, storage())
    except FileRejected as exc:
        form.files.errors = [str(exc.message)]
        return _status_page(complaint, exc.status, message=form)
    except Refused as exc:
        form.add_errors(exc.field, str(exc.message))
        return _status_page(complaint, exc.status, message=form, error=None if exc.field else str(exc.message))
    return _after(complaint, _("Thank you. Your message has been added to the complaint."))


@bp.post("/track/<code>/accept")
@csrf.exempt  # the form checks its own token
@with_complaint(proven=True)
def accept(complaint: Complaint):
    form = AcceptForm()
    if not form.validate_on_submit():
        return _status_page(complaint, 422, error=_expired(form))
    try:
        portal.accept(g.tenant, complaint)
    except Refused as exc:
        return _status_page(complaint, exc.status, error=str(exc.message))
    return _after(complaint, _("Thank you. The complaint is closed."))


def _reason_step(complaint: Complaint, prefix: str, step, done: str):
    """A customer's step that takes a reason (reject, withdraw): refusals keep the reason typed."""
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
@with_complaint(proven=True)
def reject(complaint: Complaint):
    """The answer does not satisfy the customer: investigated again."""
    return _reason_step(complaint, "reject", portal.reject, _("We are looking into it again and will answer you."))


@bp.post("/track/<code>/withdraw")
@csrf.exempt  # the form checks its own token
@with_complaint(proven=True)
def withdraw(complaint: Complaint):
    return _reason_step(complaint, "withdraw", portal.withdraw, _("The complaint is withdrawn."))


@bp.post("/track/<code>/rate")
@csrf.exempt  # the form checks its own token
@with_complaint(proven=True)
def rate(complaint: Complaint):
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
@with_complaint(proven=True)
def file(complaint: Complaint, attachment_id: int):
    """A file the customer may see, as a download, once proven."""
    attachment = portal.visible_file(complaint, attachment_id)
    return send_attachment(attachment)
