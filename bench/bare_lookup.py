"""The yardstick for the portal benchmark: a bare Flask + SQLAlchemy page that looks one complaint up by its
tracking code and shows its state. No tenant, no templates, no session, no limits: the least a page can do.

Served by gunicorn as `bench.bare_lookup:app`, with BENCH_BARE_DATABASE_URL (a role that bypasses row-level
security, since this page knows nothing of tenants).
"""

from __future__ import annotations

import os
from html import escape

import sqlalchemy as sa
from flask import Flask, abort

app = Flask(__name__)
engine = sa.create_engine(os.environ["BENCH_BARE_DATABASE_URL"], pool_size=5, pool_pre_ping=False)
LOOKUP = sa.text(
    "SELECT c.state, c.received_at FROM tracking_codes t "
    "JOIN complaints c ON c.tenant_id = t.tenant_id AND c.code = t.code WHERE t.code = :code"
)


@app.get("/track/<code>")
def track(code: str):
    with engine.connect() as conn:
        row = conn.execute(LOOKUP, {"code": code}).first()
    if row is None:
        abort(404)
    return f"<!doctype html><title>{escape(code)}</title><p>{escape(row.state)} since {row.received_at:%Y-%m-%d}</p>"
