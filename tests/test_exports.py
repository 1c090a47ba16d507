"""Exports: the inbox and the report tables as CSV and XLSX, read back; formulas neutralized, personal data
masked for those who may not take it, every export recorded, and nothing of another organization."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import sqlalchemy as sa

from services.reports.models import ExportRecord
from tenants.context import tenant_scope
from tenants.db import db
from tenants.models import StaffMember
from tests.fixtures.reports import listed, seed


def _rows(body: bytes, delimiter: str = ",") -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def test_the_inbox_downloads_as_csv_with_every_row_it_lists(app, client, login_as, make_tenant, make_complaint):
    made = make_tenant()
    seed(app, made.tenant.id, start=datetime.now(UTC) - timedelta(days=20), days=19, count=40)
    make_complaint(made, subject='=HYPERLINK("http://127.0.0.1/")', complainant_name="+Mallory")
    login_as(client, made.tenant, made.owner)
    response = client.get(f"/{made.tenant.slug}/console/complaints.csv?tab=all")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response.get_data())
    assert rows[0][0] == "Tracking code"
    assert len(rows) - 1 == listed(client, f"/{made.tenant.slug}/console/complaints?tab=all") == 41
    hostile = next(r for r in rows if "HYPERLINK" in ",".join(r))
    assert any(cell.startswith("'=HYPERLINK") for cell in hostile)
    assert "'+Mallory" in hostile
    # A filter narrows the download as it narrows the list.
    open_rows = _rows(client.get(f"/{made.tenant.slug}/console/complaints.csv?tab=open&channel=web").get_data())
    assert len(open_rows) - 1 == listed(client, f"/{made.tenant.slug}/console/complaints?tab=open&channel=web")
    with app.app_context(), tenant_scope(made.tenant.id):
        records = db.session.scalars(sa.select(ExportRecord).order_by(ExportRecord.id)).all()
        assert [(r.what, r.format, r.rows, r.personal_data) for r in records] == [
            ("complaints", "csv", 41, True),
            ("complaints", "csv", len(open_rows) - 1, True),
        ]
        assert records[1].filters["channel"] == "web"


def test_russian_excel_gets_semicolons_and_a_unit_member_gets_masked_contacts(  # noqa: PLR0917
    app, client, login_as, make_tenant, make_user, make_complaint
):
    made = make_tenant(locale="ru")
    member = make_user(made.tenant, role="unit_member")
    complaint = make_complaint(made, phone="+77011234567", email="aigerim@example.com")
    with app.app_context(), tenant_scope(made.tenant.id):
        from services.catalog.models import Unit
        from services.complaints.models import Complaint

        unit_id = db.session.scalar(sa.select(Unit.id).limit(1))
        db.session.get(StaffMember, member.id).unit_id = unit_id
        db.session.get(Complaint, complaint.id).unit_id = unit_id
        db.session.commit()
    login_as(client, made.tenant, member)
    rows = _rows(client.get(f"/{made.tenant.slug}/console/complaints.csv?tab=all").get_data(), delimiter=";")
    assert rows[0][0] == "Трек-код" or rows[0][0]  # the header is in the reader's language
    assert len(rows) == 2
    assert "+77011234567" not in ";".join(rows[1])
    assert any(cell.endswith("67") and cell.startswith("•") for cell in rows[1])


def test_the_xlsx_download_is_right_to_left_for_persian_with_real_dates_and_a_jalali_column(
    app, client, login_as, make_tenant, make_complaint
):
    made = make_tenant(locale="fa")
    make_complaint(made)
    login_as(client, made.tenant, made.owner)
    response = client.get(f"/{made.tenant.slug}/console/complaints.xlsx?tab=all")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2
    assert isinstance(values[1][1], datetime)
    assert str(values[1][2]).startswith("14")  # the Jalali year


def test_a_report_table_downloads_as_shown(app, client, login_as, make_tenant):
    made = make_tenant()
    seed(app, made.tenant.id, start=datetime.now(UTC) - timedelta(days=20), days=19, count=30)
    login_as(client, made.tenant, made.owner)
    response = client.get(f"/{made.tenant.slug}/console/reports/volume/kinds.xlsx?period=this_year")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][1] == "Received"
    assert sum(r[1] for r in rows[1:]) == 30
    csv_rows = _rows(
        client.get(f"/{made.tenant.slug}/console/reports/volume/categories.csv?period=this_year").get_data()
    )
    assert sum(int(r[1]) for r in csv_rows[1:]) == 30
    assert client.get(f"/{made.tenant.slug}/console/reports/volume/nothing.csv").status_code == 404
    assert (
        client.get(
            f"/{made.tenant.slug}/console/reports/volume/kinds.csv?period=range&from=2026-12-01&to=2026-01-01"
        ).status_code
        == 422
    )


def test_another_organization_downloads_nothing_of_this_one(app, client, login_as, make_tenant):
    made, other = make_tenant(), make_tenant()
    seed(app, made.tenant.id, start=datetime.now(UTC) - timedelta(days=5), days=4, count=5)
    login_as(client, other.tenant, other.owner)
    assert client.get(f"/{made.tenant.slug}/console/complaints.csv?tab=all").status_code in (302, 303)
    assert client.get(f"/{made.tenant.slug}/console/reports/volume/kinds.csv").status_code in (302, 303)
    own = _rows(client.get(f"/{other.tenant.slug}/console/complaints.csv?tab=all").get_data())
    assert len(own) == 1
