"""Complaints: registration, the lifecycle, corrective actions and the follow-up log."""
