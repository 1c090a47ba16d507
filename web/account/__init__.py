"""A staff member's own account: their sessions, second factors and sign-ins (/<slug>/console/account/…)."""
