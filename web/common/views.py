"""Pages every part shares: the language switch, error pages, htmx helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user

from services.files.storage import storage_from_config
from services.i18n import localized
from tenants.accounts import set_locale
from tenants.models import LOCALES
from tenants.roles import Permission, can
from web.i18n import locale_code
from web.tenancy import PUBLIC, current_staff, tenant_blueprint

bp = tenant_blueprint("common", __name__, None, access=PUBLIC)

ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Page not found"),
    405: lambda: _("Not allowed"),
    409: lambda: _("A conflict"),
    410: lambda: _("This link can no longer be used"),
    413: lambda: _("Too large"),
    422: lambda: _("Please correct the form"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Something went wrong on our side"),
}
ERROR_MESSAGES = {
    400: lambda: _("Check what you sent and try again."),
    403: lambda: _("Your role does not allow this."),
    404: lambda: _("There is nothing at this address. Check the link you followed."),
    405: lambda: _("This address does not accept that kind of request."),
    410: lambda: _("Ask for a new link."),
    413: lambda: _("What you sent is larger than allowed."),
    429: lambda: _("Wait a few minutes and try again."),
    500: lambda: _("The error has been recorded. Try again in a moment."),
}


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    """The error page in the visitor's language; JSON for JSON clients."""
    title = ERROR_TITLES.get(code, ERROR_TITLES[400])()
    text = message or ERROR_MESSAGES.get(code, ERROR_MESSAGES[400])()
    if request.accept_mimetypes.best == "application/json":
        return current_app.json.response({"error": title, "message": text}), code  # type: ignore[return-value]
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        # A panel's request: the message goes to the page's alert area, and the panel stays as it was.
        response = make_response(render_template("errors/_alert.html", title=title, message=text), code)
        response.headers["HX-Retarget"] = "#page-alert"
        response.headers["HX-Reswap"] = "innerHTML show:top"
        return response  # type: ignore[return-value]
    return render_template("errors/error.html", code=code, title=title, message=text), code


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for e-mails, on BASE_URL: never on the Host header a request happened to send."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def send_attachment(attachment) -> Response | tuple[str, int]:
    """A stored file as a download: never shown inline, never cached, its type not sniffed."""
    try:
        handle = storage_from_config(current_app.config["UPLOAD_STORAGE"]).open(attachment.storage_key)
    except (FileNotFoundError, ValueError):
        return error_page(404, _("This file is missing from the store."))
    response = send_file(
        handle, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    # Browsers read "\" as "/": "/\evil.example" would leave the site.
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def redirect_after_change(location: str) -> Response:
    """After a successful change: HX-Location for htmx, 303 See Other for plain forms."""
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        response = make_response("", 204)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, code=303)


def wants_fragment() -> bool:
    """An htmx request for a part of the page (not a boosted navigation)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render_block(template_name: str, block_name: str, **context: object) -> str:
    """Render one named block of a template, with the usual template context."""
    current_app.update_template_context(context)
    template = current_app.jinja_env.get_template(template_name)
    return "".join(template.blocks[block_name](template.new_context(context)))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers and feed readers ask for at the root, whatever the page links."""
    return current_app.send_static_file("favicon.ico")


@bp.post("/lang")
@bp.post("/<tenant_slug>/lang")
def set_language():
    """Remember the chosen language: for this browser, and for the staff member when logged in."""
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), "/")
    if lang not in LOCALES:
        return error_page(400, _("Choose a language from the list."))
    session["lang"] = lang
    member = current_staff() if g.get("tenant") is not None else None
    if member is not None:
        set_locale(member, lang)
    refresh()
    return redirect(target, code=303)


ROLE_NAMES = {
    "owner": _l("Owner"),
    "admin": _l("Administrator"),
    "manager": _l("Manager"),
    "agent": _l("Complaints officer"),
    "unit_member": _l("Unit member"),
    "auditor": _l("Auditor"),
}


def role_name(role: str) -> str:
    """A role's name in the reader's language."""
    return str(ROLE_NAMES.get(role, role))


def role_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ROLE_NAMES.items()]


def _can_current(permission: Permission) -> bool:
    return bool(current_user.is_authenticated and can(current_user.role, permission))


@bp.app_context_processor
def staff_helpers() -> dict[str, object]:
    return {"role_name": role_name, "Permission": Permission, "can_current": _can_current}


@bp.app_template_filter("localized")
def localized_filter(names: dict[str, str] | None) -> str:
    """A name the tenant keeps in several languages, in the reader's."""
    return localized(names, locale_code())
