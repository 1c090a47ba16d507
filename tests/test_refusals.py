"""One family of refusals: every error a user is shown is a Refused (message, field, status), and the app answers
one that no view caught with the error page of its status, in the reader's language."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import services
import tenants
from services.contacts import ContactError, check_email
from services.files.checking import FileRejected, check_upload
from tenants.errors import Conflict, Duplicate, Forbidden, Gone, NotAllowed, NotFound, Refused, StaleEdit, TooMany

# Errors that are not refusals of what a user asked: failures of the outside world, a parse outcome its caller
# words itself, the programming errors of a missing scope, and the sandbox's own signals.
NOT_REFUSALS = {
    "services.gateways.base.DeliveryError",
    "services.gateways.base.Unavailable",
    "services.gateways.base.Undeliverable",
    "services.gateways.mailbox.MailboxError",
    "services.gateways.addresses.RefusedAddress",
    "services.tracking.CodeError",
    "services.notifications.templates._TooCostly",
    "services.notifications.templates._NotAllowed",
    "tenants.tokens.TokenInvalid",
    "tenants.tokens.TokenExpired",
    "tenants.context.NoTenantInScope",
}


def _exceptions_defined_in(package) -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_error_of_the_services_and_tenants_is_a_refusal_or_named_as_none():
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for package in (services, tenants)
        for cls in _exceptions_defined_in(package)
        if not issubclass(cls, Refused) and f"{cls.__module__}.{cls.__qualname__}" not in NOT_REFUSALS
    ]
    assert strays == []


def test_each_refusal_has_one_shape_and_the_status_its_kind_means():
    assert [cls("why").status for cls in (Refused, NotAllowed, NotFound, Conflict, Gone, TooMany)] == [
        422,
        409,
        404,
        409,
        410,
        429,
    ]
    assert (Forbidden().status, str(Forbidden().message)) == (403, "Your role does not allow this.")
    stale = StaleEdit("changed", "Sara", None)
    duplicate = Duplicate("again", 7)
    assert (stale.status, stale.changed_by, duplicate.status, duplicate.existing_id) == (409, "Sara", 409, 7)
    with pytest.raises(ContactError) as refused:
        check_email("not an address")
    assert isinstance(refused.value, Refused)
    assert (refused.value.field, refused.value.status) == ("email", 422)
    with pytest.raises(FileRejected) as too_big:
        check_upload(b"%PDF-1.4 " + b"x" * 2048, "big.pdf", max_bytes=1024)
    assert isinstance(too_big.value, Refused)
    assert (too_big.value.reason, too_big.value.status, too_big.value.field) == ("too_large", 413, None)


def test_a_refusal_no_view_caught_is_answered_with_its_page_in_the_readers_language(make_app):
    app = make_app()

    def refuse_role():
        raise Forbidden()

    def refuse_missing():
        raise NotFound("There is no such thing here.")

    app.add_url_rule("/_refused/role", view_func=refuse_role)
    app.add_url_rule("/_refused/missing", view_func=refuse_missing)
    client = app.test_client()

    page = client.get("/_refused/role", headers={"Accept-Language": "fa"})
    assert page.status_code == 403
    assert "نقش شما اجازهٔ این کار را نمی‌دهد." in page.get_data(as_text=True)
    assert 'dir="rtl"' in page.get_data(as_text=True)

    panel = client.get("/_refused/missing", headers={"HX-Request": "true", "Accept-Language": "en"})
    assert panel.status_code == 404
    assert panel.headers["HX-Retarget"] == "#page-alert"
    assert "There is no such thing here." in panel.get_data(as_text=True)

    answer = client.get("/_refused/missing", headers={"Accept": "application/json"})
    assert (answer.status_code, answer.json["message"]) == (404, "There is no such thing here.")
