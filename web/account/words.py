"""How the security log and the session lists name things: events in the reader's language, browsers briefly."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

EVENT_NAMES = {
    "login": _l("Logged in"),
    "login_failed": _l("Failed log-in"),
    "logout": _l("Logged out"),
    "second_factor_failed": _l("Wrong second-factor code or passkey"),
    "session_ended": _l("A session was ended"),
    "sessions_ended": _l("Other sessions were ended"),
    "factor_added": _l("Second factor added"),
    "factor_removed": _l("Second factor removed"),
    "factors_reset": _l("Sign-in methods reset by an administrator"),
    "recovery_codes_made": _l("New recovery codes made"),
    "recovery_code_used": _l("Recovery code used"),
    "password_reset": _l("Password reset"),
    "role_changed": _l("Role changed"),
    "deactivated": _l("Deactivated"),
    "reactivated": _l("Reactivated"),
    "policy_changed": _l("Security settings changed"),
    "email_change_asked": _l("A new e-mail address asked for"),
    "email_changed": _l("E-mail address changed"),
    "sso_login": _l("Logged in with single sign-on"),
    "sso_failed": _l("Single sign-on refused"),
    "sso_linked": _l("Linked to the identity provider"),
    "sso_unlinked": _l("Unlinked from the identity provider"),
    "sso_changed": _l("Single sign-on settings changed"),
}

_BROWSERS = (
    ("YaBrowser/", "Yandex Browser"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def event_name(kind: str) -> str:
    return str(EVENT_NAMES.get(kind, kind))


def browser_name(user_agent: str | None) -> str:
    """ "Chrome on Windows" from a User-Agent header; what it says, shortened, when it names no browser we know."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in agent), "")
    if browser and system:
        return str(_l("%(browser)s on %(system)s", browser=browser, system=system))
    return browser or system or re.sub(r"\s+", " ", agent)[:60] or str(_l("Unknown browser"))
