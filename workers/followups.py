"""Closing answered complaints nobody reacted to, and reminders to rate: every FOLLOW_UP_SECONDS."""

from __future__ import annotations

from services.portal.followups import follow_up_all
from workers.jobs import platform_job


@platform_job
def follow_ups() -> dict[str, int]:
    done = follow_up_all()
    return {"warned": done.warned, "closed": done.closed, "reminded": done.reminded}
