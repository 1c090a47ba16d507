"""Settings → deliveries: every notice the organization's process owed, what became of it, and a retry."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.notifications import delivery
from web.console.labels import NOTICE_EVENT_WORDS
from web.settings.blueprint import bp

CHANNELS = ("email", "sms", "whatsapp", "webhook")
EVENTS = tuple(NOTICE_EVENT_WORDS)


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


@bp.get("/deliveries")
def deliveries():
    """The latest notices, filtered by status, channel and event."""
    filters = {
        "status": _choice("status", delivery.STATUSES),
        "channel": _choice("channel", CHANNELS),
        "event": _choice("event", EVENTS),
    }
    return render_template(
        "settings/deliveries.html",
        notices=delivery.recent(**filters),
        filters=filters,
        failed=delivery.count_failed(),
        statuses=delivery.STATUSES,
        channels=CHANNELS,
        events=EVENTS,
        listed=delivery.LISTED,
    )


@bp.post("/deliveries/<int:notice_id>/retry")
def delivery_retry(notice_id: int):
    """Try a failed notice again."""
    delivery.retry_failed(notice_id)
    flash(_("It will be sent again in a moment."), "success")
    return redirect(url_for("settings.deliveries", status="failed"), code=303)
