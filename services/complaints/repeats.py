"""The same customer again: each complaint keeps when its complainant's previous complaint arrived — the one just
before it, in order of arrival, with the same phone number, e-mail address or national ID.

Kept on the complaint rather than found from the contacts when counted, so that the recurrence report reads one
column of the period's rows (no window over the organization's every complaint), and so that its figures stay the
same after a complaint's personal data is removed: the moment is not personal data, the phone number is.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from services.complaints.models import Complaint
from tenants.db import db

CONTACTS = ("phone", "email", "national_id")


def contacts_of(complaint: Complaint) -> dict[str, str]:
    """The complaint's contacts that tie it to the same customer's other complaints."""
    return {name: value for name in CONTACTS if (value := getattr(complaint, name))}


def relink(*contact_sets: dict[str, str]) -> int:
    """Bring `previous_received_at` up to date on every complaint that shares one of these contacts (after a
    complaint with them is registered, or its contacts are corrected): a customer's few complaints, each given
    the arrival of the one just before it by any contact it has. Returns how many changed."""
    wanted: dict[str, set[str]] = {name: set() for name in CONTACTS}
    for contacts in contact_sets:
        for name, value in contacts.items():
            wanted[name].add(value)
    matches = [getattr(Complaint, name).in_(sorted(values)) for name, values in wanted.items() if values]
    if not matches:
        return 0
    db.session.flush()
    other = aliased(Complaint)
    same_customer = sa.or_(*(getattr(other, name) == getattr(Complaint, name) for name in CONTACTS))
    earlier = sa.or_(
        other.received_at < Complaint.received_at,
        sa.and_(other.received_at == Complaint.received_at, other.id < Complaint.id),
    )
    previous = sa.select(sa.func.max(other.received_at)).where(same_customer, earlier).scalar_subquery()
    rows = db.session.execute(
        sa.select(Complaint.id, Complaint.previous_received_at, previous.label("found")).where(sa.or_(*matches))
    ).all()
    changed = [(cid, found) for cid, kept, found in rows if kept != found]
    for cid, found in changed:
        db.session.execute(
            sa.update(Complaint)
            .where(Complaint.id == cid)
            .values(previous_received_at=found)
            .execution_options(synchronize_session=False)
        )
    # Objects already loaded keep no stale value.
    for obj in db.session.identity_map.values():
        if isinstance(obj, Complaint) and obj.id in {cid for cid, _ in changed}:
            db.session.expire(obj, ["previous_received_at"])
    return len(changed)


# Every complaint's previous one at once (a data set loaded in bulk): one window per contact, the latest of the three.
BACKFILL = """
UPDATE complaints SET previous_received_at = found.before
FROM (
    SELECT id, max(before) AS before FROM (
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, phone ORDER BY received_at, id) AS before
        FROM complaints WHERE phone IS NOT NULL
        UNION ALL
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, email ORDER BY received_at, id)
        FROM complaints WHERE email IS NOT NULL
        UNION ALL
        SELECT id, lag(received_at) OVER (PARTITION BY tenant_id, national_id ORDER BY received_at, id)
        FROM complaints WHERE national_id IS NOT NULL
    ) AS each_contact
    GROUP BY id
) AS found
WHERE complaints.id = found.id AND found.before IS NOT NULL
"""
