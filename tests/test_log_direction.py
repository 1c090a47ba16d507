"""The follow-up log reads in the page's direction: "from → to" points left on Persian pages, names isolated."""

from __future__ import annotations

import re

import pytest


def _timeline(client, made, complaint) -> str:
    base = f"/{made.tenant.slug}/console/complaints/{complaint.id}"
    assert client.post(f"{base}/steps/acknowledge", data={"version": str(complaint.version)}).status_code in (200, 303)
    page = client.get(base).get_data(as_text=True)
    return re.search(r'<section class="card mb-3" id="timeline".*?</section>', page, re.S).group(0)


ARROWS = {"fa": ("←", "→"), "en": ("→", "←"), "ru": ("→", "←")}


@pytest.mark.parametrize("locale", sorted(ARROWS))
def test_a_change_of_state_is_drawn_in_the_reading_direction(client, make_tenant, make_complaint, login_as, locale):
    arrow, not_arrow = ARROWS[locale]
    made = make_tenant(locale=locale)
    complaint = make_complaint(made)
    login_as(client, made.tenant, made.owner)
    timeline = _timeline(client, made, complaint)
    assert f"</bdi> {arrow} <bdi>" in timeline
    assert not_arrow not in timeline


def test_staff_names_in_the_log_are_isolated(client, make_tenant, make_complaint, login_as):
    made = make_tenant(locale="fa")
    complaint = make_complaint(made)
    login_as(client, made.tenant, made.owner)
    assert f"<bdi>{made.owner.name}</bdi>" in _timeline(client, made, complaint)
