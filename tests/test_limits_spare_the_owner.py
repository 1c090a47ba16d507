"""Limits slow down the stranger, never lock out the person they protect: a complainant whose code strangers
look up, whose one-time code strangers guess, and a staff member whose password strangers guess."""

from __future__ import annotations

import pytest

from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.app import sent_one_time_code
from tests.fixtures.factories import PASSWORD

PHONE = "+98 912 123 4567"


@pytest.fixture
def made(make_tenant):
    return make_tenant()


def _url(made, complaint) -> str:
    return f"/{made.tenant.slug}/track/{complaint.code}"


def _strangers_look_up(app, url: str, times: int) -> None:
    """`times` lookups of one code, each from a visitor of its own (a new address every time)."""
    for n in range(times):
        app.test_client().get(url, environ_base={"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250 + 1}"})


def test_strangers_lookups_of_a_code_leave_its_complainant_a_way_to_prove_it(app, made, make_complaint):
    complaint = make_complaint(made, phone=PHONE, description="A private description")
    url = _url(made, complaint)
    _strangers_look_up(app, url, 31)
    owner = app.test_client()
    busy = owner.get(url)
    assert busy.status_code == 429
    page = busy.get_data(as_text=True)
    assert 'id="code-busy"' in page
    assert 'id="history-heading"' not in page  # strangers see no more of it for now
    assert f'action="{url}/proof"' in page
    assert owner.post(f"{url}/proof", data={"channel": "sms"}).status_code == 303
    assert owner.post(f"{url}/verify", data={"code": sent_one_time_code(app)}).status_code == 303
    mine = owner.get(url)
    assert mine.status_code == 200
    assert "A private description" in mine.get_data(as_text=True)


def test_strangers_lookups_of_a_code_leave_its_signed_link_working(app, made, make_complaint):
    from services.complaints.models import Complaint
    from services.notifications.links import link_token

    complaint = make_complaint(made, phone=PHONE, description="A private description")
    with app.app_context(), tenant_scope(made.tenant.id):
        token = link_token(db.session.get(Complaint, complaint.id))
    url = _url(made, complaint)
    _strangers_look_up(app, url, 31)
    owner = app.test_client()
    assert owner.get(url, query_string={"t": token}).status_code == 303
    assert "A private description" in owner.get(url).get_data(as_text=True)


def test_wrong_codes_from_strangers_leave_the_right_code_working(app, made, make_complaint):
    complaint = make_complaint(made, phone=PHONE)
    url = _url(made, complaint)
    owner = app.test_client()
    owner.post(f"{url}/proof", data={"channel": "sms"})
    code = sent_one_time_code(app)
    wrong = "000000" if code != "000000" else "111111"
    for n in range(4):
        guesser = app.test_client()
        answer = guesser.post(f"{url}/verify", data={"code": wrong}, environ_base={"REMOTE_ADDR": f"10.1.0.{n + 1}"})
        assert answer.status_code == 422
    assert owner.post(f"{url}/verify", data={"code": code}).status_code == 303


def test_too_many_wrong_codes_void_the_code_and_a_new_one_works(app, made, make_complaint):
    complaint = make_complaint(made, phone=PHONE)
    url = _url(made, complaint)
    owner = app.test_client()
    owner.post(f"{url}/proof", data={"channel": "sms"})
    code = sent_one_time_code(app)
    wrong = "000000" if code != "000000" else "111111"
    for n in range(5):
        app.test_client().post(f"{url}/verify", data={"code": wrong}, environ_base={"REMOTE_ADDR": f"10.2.0.{n + 1}"})
    void = owner.post(f"{url}/verify", data={"code": code})
    assert void.status_code == 422
    assert "no longer works" in void.get_data(as_text=True)
    assert owner.post(f"{url}/proof", data={"channel": "sms"}).status_code == 303
    assert owner.post(f"{url}/verify", data={"code": sent_one_time_code(app)}).status_code == 303


def test_wrong_codes_cost_the_visitor_who_types_them(make_app, made, make_complaint):
    app = make_app(RATELIMITS={"portal_verify_ip": "3/hour"})
    complaint = make_complaint(made, phone=PHONE)
    url = _url(made, complaint)
    guesser = app.test_client()
    statuses = [guesser.post(f"{url}/verify", data={"code": "123456"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert (
        app.test_client()
        .post(f"{url}/verify", data={"code": "123456"}, environ_base={"REMOTE_ADDR": "10.3.0.1"})
        .status_code
        == 422
    )


def test_codes_sent_to_one_complainant_are_limited_per_day(make_app, made, make_complaint):
    app = make_app(RATELIMITS={"portal_proof_send": "100/15 minutes", "portal_proof_send_day": "4/day"})
    complaint = make_complaint(made, phone=PHONE)
    url = _url(made, complaint)
    statuses = [
        app.test_client()
        .post(f"{url}/proof", data={"channel": "sms"}, environ_base={"REMOTE_ADDR": f"10.4.0.{n + 1}"})
        .status_code
        for n in range(5)
    ]
    assert statuses == [303, 303, 303, 303, 429]


# Staff log-in


def _log_in(client, made, password: str, email: str | None = None, address: str = "127.0.0.1") -> int:
    url = f"/{made.tenant.slug}/console/login"
    data = {"email": email or made.owner.email, "password": password}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address}).status_code


def _forget_waits(app) -> None:
    """As if the waits had passed: the marks of the last attempts are dropped, the failures counted stay."""
    limiter = app.extensions["dadras.limiter"]
    storage = limiter.local.storage if limiter.shared is None else limiter.shared.storage
    for key in [k for k in getattr(storage, "events", {}) if "login_wait" in k]:
        storage.events.pop(key)


def test_failed_logins_space_the_next_attempts_out_and_the_right_password_still_gets_in(app, made):
    client = app.test_client()
    for _ in range(3):  # the first failures cost nothing
        assert _log_in(client, made, "wrong-password-1") == 401
    refused = client.post(f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": PASSWORD})
    assert refused.status_code == 429  # at once: nothing waits on the server
    assert "wait 1 seconds" in refused.get_data(as_text=True)
    _forget_waits(app)
    assert _log_in(client, made, "wrong-password-1") == 401
    assert "2 seconds" in client.post(
        f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": PASSWORD}
    ).get_data(as_text=True)
    _forget_waits(app)
    assert _log_in(client, made, PASSWORD) == 303  # the owner gets in after the wait: never locked


def test_the_wait_has_a_ceiling(make_app, made):
    app = make_app(LOGIN_SLOWDOWN_MAX_SECONDS=5.0)
    client = app.test_client()
    for _ in range(9):
        _log_in(client, made, "wrong-password-1")
        _forget_waits(app)
    _log_in(client, made, "wrong-password-1")
    body = (
        app.test_client()
        .post(f"/{made.tenant.slug}/console/login", data={"email": made.owner.email, "password": "wrong-password-1"})
        .get_data(as_text=True)
    )
    assert "wait 5 seconds" in body


def test_failures_from_one_address_space_out_its_attempts_on_any_account(app, made):
    client = app.test_client()
    for n in range(3):
        assert _log_in(client, made, "wrong-password-1", email=f"someone{n}@example.com") == 401
    assert _log_in(client, made, PASSWORD) == 429
    assert _log_in(app.test_client(), made, PASSWORD, address="10.5.0.1") == 303  # another address is not held


def test_a_wrong_email_is_spaced_out_as_a_wrong_password_is(app, made):
    client = app.test_client()
    for _ in range(3):
        assert _log_in(client, made, "wrong-password-1", email="nobody@example.com") == 401
    assert _log_in(client, made, "wrong-password-1", email="nobody@example.com") == 429


def test_a_refused_early_attempt_does_not_lengthen_the_wait(app, made):
    client = app.test_client()
    for _ in range(3):
        _log_in(client, made, "wrong-password-1")
    for _ in range(5):  # hammering while held costs the account nothing more
        assert _log_in(client, made, "wrong-password-1") == 429
    _forget_waits(app)
    assert _log_in(client, made, PASSWORD) == 303


def test_a_signed_link_works_from_an_address_whose_lookups_are_used_up(make_app, made, make_complaint):
    from services.complaints.models import Complaint
    from services.notifications.links import link_token

    app = make_app(RATELIMITS={"portal_track_ip": "2/10 minutes"})
    complaint = make_complaint(made, phone=PHONE, description="A private description")
    with app.app_context(), tenant_scope(made.tenant.id):
        token = link_token(db.session.get(Complaint, complaint.id))
    url = _url(made, complaint)
    shared = app.test_client()  # one carrier address for many customers
    for _ in range(3):
        shared.get(f"/{made.tenant.slug}/track/1000000000009")
    assert shared.get(url).status_code == 429
    owner = app.test_client()
    assert owner.get(url, query_string={"t": token}).status_code == 303
    assert "A private description" in owner.get(url).get_data(as_text=True)
    assert app.test_client().get(url, query_string={"t": token + "x"}).status_code == 429  # a made-up one counts
