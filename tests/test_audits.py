"""Audit samples (ISO 10002 8.5): random, of the size asked, only of complaints closed in the period and never of
another tenant's; scored against the checklist into a conformity rate; a finding opens a corrective action; an
auditor reads complaints and reports but handles none."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from services.complaints.models import Complaint, CorrectiveAction
from services.records.models import AuditItem, AuditSample
from tenants.db import db
from tests.fixtures.reports import seed, within
from tests.fixtures.scopes import in_tenant


def _sample_ids(client, slug: str, sample_id: int) -> list[int]:
    page = client.get(f"/{slug}/console/audits/{sample_id}").get_data(as_text=True)
    return [int(x) for x in re.findall(r'data-complaint="(\d+)"', page)]


def _draw(client, slug: str, **form) -> int:
    form |= {"period": "range", "from": form.pop("first"), "to": form.pop("last")}
    response = client.post(f"/{slug}/console/audits", data=form)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:400]
    return int(re.search(r"/audits/(\d+)", response.headers["Location"]).group(1))


def test_a_sample_is_random_of_the_size_asked_and_only_of_the_period(app, client, login_as, make_tenant, make_user):
    made, other = make_tenant(), make_tenant()
    start = datetime.now(UTC) - timedelta(days=120)
    facts = seed(app, made.tenant.id, start=start, days=110, count=160)
    theirs = seed(app, other.tenant.id, start=start, days=110, count=60, seed_value=8)
    first, last = (datetime.now(UTC) - timedelta(days=90)).date(), (datetime.now(UTC) - timedelta(days=20)).date()
    eligible = {f.id for f in facts if f.state == "closed" and within(f.closed_at, first, last, "Asia/Almaty")}
    assert len(eligible) > 12
    auditor = make_user(made.tenant, "auditor")
    login_as(client, made.tenant, auditor)
    slug = made.tenant.slug
    drawn = []
    for _ in range(4):
        sample_id = _draw(client, slug, first=first.isoformat(), last=last.isoformat(), size="6")
        ids = _sample_ids(client, slug, sample_id)
        assert len(ids) == len(set(ids)) == 6
        assert set(ids) <= eligible
        assert not set(ids) & {f.id for f in theirs}
        drawn.append(frozenset(ids))
    assert len(set(drawn)) > 1  # four draws of 6 from more than 12: not the same every time
    # Asking for more than there are takes them all; asking for none or too many is refused in words.
    everything = _draw(client, slug, first=first.isoformat(), last=last.isoformat(), size="200")
    assert set(_sample_ids(client, slug, everything)) == eligible
    for size in ("0", "201", "many"):
        refused = client.post(
            f"/{slug}/console/audits", data={"size": size, "period": "range", "from": first, "to": last}
        )
        assert refused.status_code == 422
        assert 'id="audit-error"' in refused.get_data(as_text=True)
    empty = client.post(
        f"/{slug}/console/audits", data={"size": "5", "period": "range", "from": "2001-01-01", "to": "2001-01-31"}
    )
    assert empty.status_code == 422
    # A preset chosen in the form is the period drawn from.
    preset = client.post(f"/{slug}/console/audits", data={"size": "3", "period": "last_year"})
    if preset.status_code in (302, 303):  # complaints closed last year were seeded only when the year just turned
        drawn_id = int(re.search(r"/audits/(\d+)", preset.headers["Location"]).group(1))
        with in_tenant(app, made):
            drawn = db.session.get(AuditSample, drawn_id)
            assert (drawn.period_first, drawn.period_last) == (date(first.year - 1, 1, 1), date(first.year - 1, 12, 31))
    else:
        assert preset.status_code == 422  # nothing closed last year: said in words, not drawn from this year
    this_year = client.post(f"/{slug}/console/audits", data={"size": "3", "period": "this_year"})
    drawn_id = int(re.search(r"/audits/(\d+)", this_year.headers["Location"]).group(1))
    with in_tenant(app, made):
        drawn = db.session.get(AuditSample, drawn_id)
        assert drawn.period_first == date(datetime.now(UTC).year, 1, 1)
    # The form shows the preset's days in the reader's format.
    page = client.get(f"/{slug}/console/audits?period=this_year").get_data(as_text=True)
    assert f'value="{date(datetime.now(UTC).year, 1, 1).isoformat()}"' in page


def test_scores_give_the_conformity_rate_and_a_finding_opens_an_action(app, client, login_as, make_tenant, make_user):
    made = make_tenant()
    start = datetime.now(UTC) - timedelta(days=60)
    seed(app, made.tenant.id, start=start, days=50, count=40)
    slug = made.tenant.slug
    login_as(client, made.tenant, make_user(made.tenant, "auditor"))
    sample_id = _draw(client, slug, first=start.date().isoformat(), last=datetime.now(UTC).date().isoformat(), size="2")
    with in_tenant(app, made):
        sample = db.session.get(AuditSample, sample_id)
        keys = [q["key"] for q in sample.checklist]
        items = db.session.scalars(
            sa.select(AuditItem).where(AuditItem.sample_id == sample_id).order_by(AuditItem.id)
        ).all()
        first_item, second_item = items[0].id, items[1].id
        complaint_id = items[0].complaint_id
    assert len(keys) == 6  # the standard's default checklist
    answers = dict(zip(keys, ["yes", "yes", "no", "na", "yes", "yes"], strict=True))
    assert client.post(
        f"/{slug}/console/audits/{sample_id}/items/{first_item}", data=answers | {"note": "ok"}
    ).status_code in (302, 303)
    answers = dict(zip(keys, ["no", "yes", "yes", "yes", "na", "na"], strict=True))
    assert client.post(f"/{slug}/console/audits/{sample_id}/items/{second_item}", data=answers).status_code in (
        302,
        303,
    )
    bad = client.post(f"/{slug}/console/audits/{sample_id}/items/{second_item}", data={keys[0]: "maybe"})
    assert bad.status_code == 422
    page = client.get(f"/{slug}/console/audits/{sample_id}").get_data(as_text=True)
    rate = float(re.search(r'data-rate="([0-9.]+)"', page).group(1))
    assert round(rate, 4) == round(7 / 9, 4)  # 7 yes of the 9 answers that apply
    assert (
        client.post(f"/{slug}/console/audits/{sample_id}/items/{first_item}/finding", data={"finding": " "}).status_code
        == 422
    )
    assert client.post(
        f"/{slug}/console/audits/{sample_id}/items/{first_item}/finding", data={"finding": "Decision not reasoned"}
    ).status_code in (302, 303)
    with in_tenant(app, made):
        action = db.session.scalar(
            sa.select(CorrectiveAction).where(CorrectiveAction.description == "Decision not reasoned")
        )
        assert action.complaint_id == complaint_id
        assert db.session.get(AuditItem, first_item).action_id == action.id
    printed = client.get(f"/{slug}/console/audits/{sample_id}/print")
    assert printed.status_code == 200
    assert "Decision not reasoned" in printed.get_data(as_text=True)
    assert client.get(f"/{slug}/console/audits/{sample_id}/print?format=pdf").data.startswith(b"%PDF-")


def test_an_auditor_reads_but_handles_nothing_and_another_tenant_sees_no_sample(  # noqa: PLR0917
    app, client, login_as, make_tenant, make_user, make_complaint
):
    made, other = make_tenant(), make_tenant()
    c = make_complaint(made)
    slug = made.tenant.slug
    login_as(client, made.tenant, make_user(made.tenant, "auditor"))
    assert client.get(f"/{slug}/console/complaints").status_code == 200
    assert client.get(f"/{slug}/console/complaints/{c.id}").status_code == 200
    assert client.get(f"/{slug}/console/reports/volume?period=this_month").status_code == 200
    assert client.post(f"/{slug}/console/complaints/{c.id}/steps/acknowledge", data={"version": "1"}).status_code == 403
    assert client.post(f"/{slug}/console/complaints/{c.id}/notes", data={"body": "x"}).status_code == 403
    assert client.get(f"/{slug}/console/complaints/new").status_code == 403
    with in_tenant(app, made):
        assert db.session.get(Complaint, c.id).state == "received"
    seed(app, made.tenant.id, start=datetime.now(UTC) - timedelta(days=30), days=28, count=20)
    since = (datetime.now(UTC) - timedelta(days=60)).date().isoformat()
    sample_id = _draw(client, slug, first=since, last=datetime.now(UTC).date().isoformat(), size="3")
    client.post(f"/{slug}/console/logout")
    login_as(client, other.tenant, other.owner)
    assert client.get(f"/{other.tenant.slug}/console/audits/{sample_id}").status_code == 404
    assert client.get(f"/{other.tenant.slug}/console/audits/{sample_id}/print").status_code == 404
    client.post(f"/{other.tenant.slug}/console/logout")
    login_as(client, made.tenant, make_user(made.tenant, "agent"))
    assert client.get(f"/{slug}/console/audits").status_code == 403  # a complaints officer does not audit
