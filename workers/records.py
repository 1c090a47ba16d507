"""Personal data past the organization's retention time removed, and old staff sessions, security log lines and
WhatsApp message ids deleted, every RETENTION_SECONDS; the reports subscribed to by e-mail written to the outbox
once their week or month has ended, every REPORT_MAIL_SECONDS."""

from __future__ import annotations

from flask import current_app

from services.files.storage import storage_from_config
from services.intake.whatsapp import forget_all_message_ids
from services.records.retention import prune_all_security_logs, prune_all_sessions, remove_expired_all
from services.records.subscriptions import RENDERER_KEY, send_all_due
from workers.jobs import platform_job


@platform_job
def retention() -> dict[str, int]:
    return {
        "anonymized": remove_expired_all(storage_from_config(current_app.config["UPLOAD_STORAGE"])),
        "sessions_deleted": prune_all_sessions(),
        "security_log_lines_deleted": prune_all_security_logs(),
        "whatsapp_ids_deleted": forget_all_message_ids(),
    }


@platform_job
def reports_by_mail() -> dict[str, int]:
    render = current_app.extensions[RENDERER_KEY]
    return {"written": send_all_due(render, storage_from_config(current_app.config["UPLOAD_STORAGE"]))}
