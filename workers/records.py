"""Personal data past the organization's retention time removed: every RETENTION_SECONDS."""

from __future__ import annotations

from flask import current_app

from services.files.storage import storage_from_config
from services.records.retention import remove_expired_all
from workers.jobs import platform_job


@platform_job
def retention() -> dict[str, int]:
    return {"anonymized": remove_expired_all(storage_from_config(current_app.config["UPLOAD_STORAGE"]))}
