"""The yardstick for the portal benchmark: a bare Flask + SQLAlchemy page that looks one complaint up by its
tracking code and shows its state, written the way the frameworks' tutorials write one: a Flask-SQLAlchemy
model, one ORM query, a small Jinja template. No tenant, no session, no limits, no translations.

Served by gunicorn as `bench.bare_lookup:app`, with BENCH_BARE_DATABASE_URL (a role that bypasses row-level
security, since this page knows nothing of tenants).
"""

from __future__ import annotations

import os
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, abort, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_BARE_DATABASE_URL"]
db.init_app(app)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Complaint {{ c.code }}</title></head>
<body><main><h1>Complaint {{ c.code }}</h1><p>{{ c.state }} since {{ c.received_at.strftime("%Y-%m-%d") }}</p></main>
</body></html>"""


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(sa.String(13))
    state: Mapped[str] = mapped_column(sa.String(20))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TrackingCode(db.Model):
    """The registry of codes: its primary key is what makes a lookup by code alone use an index."""

    __tablename__ = "tracking_codes"

    code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    tenant_id: Mapped[int] = mapped_column()


@app.get("/track/<code>")
def track(code: str):
    query = (
        sa.select(Complaint)
        .join(TrackingCode, (TrackingCode.tenant_id == Complaint.tenant_id) & (TrackingCode.code == Complaint.code))
        .where(TrackingCode.code == code)
    )
    complaint = db.session.execute(query).scalar_one_or_none()
    if complaint is None:
        abort(404)
    return render_template_string(PAGE, c=complaint)
