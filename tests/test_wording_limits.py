"""A tenant's notice wording is filled within limits, in the preview and for every notice: what would stall a
worker or build a huge text is refused or cut, what cannot fill is refused at save, and a wording that fails
when a notice is written falls back to the default, so the filing goes through."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from services.complaints.models import Complaint
from services.notifications.models import Notice, NoticeTemplate
from services.notifications.templates import WordingError, check_template, render
from services.tracking import format_code
from tenants.context import tenant_scope
from tenants.db import db
from tests.fixtures.portal import file_complaint

NESTED_RANGES = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
NESTED_LOOPS = (
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}"
)
DOUBLING = "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a }}"
# Each is refused: it runs too long, builds too much, or reaches past the sandbox.
HOSTILE = [
    NESTED_RANGES,
    NESTED_LOOPS,
    "{{ 'x' * 100000000 }}",
    "{{ [1, 2] * 100000000 }}",
    DOUBLING,
    "{{ 9 ** 9 ** 9 }}",
    "{{ '%100000000s' % code }}",
    "{{ code|center(100000000) }}",
    "{{ code.ljust(100000000) }}",
    "{{ '{:>100000000}'.format(code) }}",
    "{{ code|replace('', 'yyyyyyyy')|replace('', 'yyyyyyyy')|replace('', 'yyyyyyyy')|replace('', 'yyyyyyyy') }}",
    "{{ lipsum(100000) }}",
    "{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}",
    "{% for c in code recursive %}{{ loop(code) }}{% endfor %}",
]
OTHER_TEMPLATES = [
    "{% include 'base.html' %}",
    "{% import 'macros.html' as m %}",
    "{% extends 'base.html' %}",
    "{% from 'macros.html' import field %}",
]


@pytest.mark.parametrize("template", HOSTILE + OTHER_TEMPLATES)
def test_a_hostile_wording_is_refused_when_checked(app, template):
    with app.test_request_context(), pytest.raises(WordingError):
        check_template(template)


@pytest.mark.parametrize("template", HOSTILE + OTHER_TEMPLATES)
def test_a_hostile_wording_stored_anyway_does_not_fill(app, template):
    with app.test_request_context(), pytest.raises(WordingError):
        render("", template, {"code": "1234-5678-90128"})


def test_filling_stops_at_the_output_limit(app):
    with app.test_request_context(), pytest.raises(WordingError, match="longer than"):
        render("", "{% for a in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", {})


def test_honest_wordings_still_fill(app):
    wording = (
        "{% if name %}Dear {{ name|title }},{% endif %} {{ code }}"
        "{% for word in ['a', 'b'] %} {{ loop.index }}{{ word|upper }}{% endfor %} {{ message|truncate(20) }}"
        " {{ subject ~ '!' }} {{ (2 + 3) * 4 }} {{ ['x', 'y']|join(', ') }} {{ 250000|string }}"
    )
    values = {"name": "sara ahmadi", "code": "1234", "message": "m" * 40, "subject": "Late"}
    with app.test_request_context():
        check_template(wording)
        _subject, body = render("", wording, values)
    assert body == f"Dear Sara Ahmadi, 1234 1A 2B {'m' * 17}... Late! 20 x, y 250000"


def test_another_template_is_refused_at_save_in_the_editors_language(app, make_tenant, login_as):
    made = make_tenant(locale="fa")
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/notices/registered?channel=sms&lang=fa"
    answer = client.post(url, data={"body": "{% include 'base.html' %}", "do": "save"})
    assert answer.status_code == 422
    with app.test_request_context(), force_locale("fa"):
        from flask_babel import gettext

        words = gettext("A notice cannot include, import or extend another template: write all of its text here.")
    assert words != "A notice cannot include, import or extend another template: write all of its text here."
    assert words in answer.get_data(as_text=True)
    assert "{% include &#39;base.html&#39; %}" in answer.get_data(as_text=True)  # what was typed stays
    with app.app_context(), tenant_scope(made.tenant.id):
        assert db.session.scalars(sa.select(NoticeTemplate)).all() == []


@pytest.mark.parametrize("template", [NESTED_RANGES, "{{ 'x' * 100000000 }}", "{% extends 'base.html' %}"])
def test_the_preview_of_a_hostile_wording_answers_422_with_the_reason(app, make_tenant, login_as, template):
    made = make_tenant()
    client = app.test_client()
    login_as(client, made.tenant, made.owner)
    url = f"/{made.tenant.slug}/console/settings/notices/registered?channel=email&lang=en"
    answer = client.post(url, data={"subject": "Received", "body": template, "do": "preview"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "too much work to fill" in html or "cannot include, import or extend" in html


@pytest.mark.parametrize("template", ["{% include 'base.html' %}", NESTED_RANGES, "{{ 1 / 0 }}"])
def test_a_filing_with_a_broken_wording_in_the_database_files_and_sends_the_default(app, make_tenant, template, caplog):
    made = make_tenant(locale="fa")
    with app.app_context(), tenant_scope(made.tenant.id):
        # Stored as an older version of the service stored it, before the checks.
        db.session.add(NoticeTemplate(event="registered", channel="sms", locale="fa", body=template))
        db.session.commit()
    answer = file_complaint(app.test_client(), made.tenant.slug)
    assert answer.status_code == 303
    with app.app_context(), tenant_scope(made.tenant.id):
        notice = db.session.scalars(sa.select(Notice).where(Notice.event == "registered")).one()
        code = db.session.get(Complaint, notice.complaint_id).code
    sent = app.extensions["dadras.sent_sms"][-1]
    assert sent.body == notice.body
    assert made.tenant.name in sent.body  # the default wording names the organization and the code
    assert format_code(code) in sent.body
    assert "does not fill" in caplog.text
