"""The deadline and escalation sweep, run every SWEEP_SECONDS by the scheduler (or the development thread)."""

from __future__ import annotations

from services.escalation.sweep import sweep_all
from workers.jobs import platform_job


@platform_job
def sweep() -> int:
    """Every tenant's escalation rules against its complaints, now."""
    return sweep_all()
