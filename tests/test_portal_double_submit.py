"""The same complaint form sent many times at once (a double click, an impatient visitor, a resending proxy)
files one complaint, and every sending lands on its receipt; the sum's token does not carry its answer."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from services.complaints.models import Complaint
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.portal import filing, form_page, hidden, sum_answer


def test_the_sums_token_does_not_carry_its_answer(app, make_tenant):
    made = make_tenant()
    html = form_page(app.test_client(), made.tenant.slug)
    answer = sum_answer(html)
    # Anyone can read a signed token: its payload is plain base64 (here read without the key).
    _signed, payload = URLSafeTimedSerializer("not-the-key").loads_unsafe(hidden(html, "question_token"))
    assert isinstance(payload, dict)
    assert answer not in payload.values()
    assert int(answer) not in payload.values()


def test_a_sums_token_proves_nothing_on_another_form(app, make_tenant):
    made = make_tenant(locale="fa")
    client = app.test_client()
    first = form_page(client, made.tenant.slug)
    other = form_page(client, made.tenant.slug)
    data = filing(other, question_token=hidden(first, "question_token"), question_answer=sum_answer(first))
    refused = client.post(f"/{made.tenant.slug}/complaints/new", data=data)
    assert refused.status_code == 422
    assert 'id="question_answer"' in refused.get_data(as_text=True)
    assert client.post(f"/{made.tenant.slug}/complaints/new", data=filing(other)).status_code == 303  # its own


def test_150_sendings_of_one_form_at_once_file_one_complaint_and_all_land_on_its_receipt(committing):
    app, tenant_id, slug = committing()
    browser = app.test_client()
    data = filing(form_page(browser, slug))
    name = app.config["SESSION_COOKIE_NAME"]
    session = browser.get_cookie(name)
    start = threading.Barrier(150)
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            client = app.test_client()
            client.set_cookie(name, session.value)
            start.wait(30)
            response = client.post(f"/{slug}/complaints/new", data=data)
            answers.append((response.status_code, response.headers.get("Location", "")))
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=send) for _ in range(150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    with app.app_context(), tenant_scope(tenant_id):
        codes = list(db.session.scalars(sa.select(Complaint.code)))
        db.session.remove()
    assert len(codes) == 1
    assert len(answers) == 150
    assert {status for status, _ in answers} == {303}
    assert {location for _, location in answers} == {f"/{slug}/complaints/{codes[0]}/receipt"}
