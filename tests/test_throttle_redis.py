"""Login throttling kept in real Redis is shared by every web process."""

from __future__ import annotations

import uuid

from tests.fixtures.factories import PASSWORD


def test_failed_logins_counted_by_one_process_space_out_the_other(make_app, make_tenant, redis_url):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"dadras-test-{uuid.uuid4().hex}"}
    first, second = make_app(**settings), make_app(**settings)
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    for _ in range(3):
        first.test_client().post(url, data={"email": made.owner.email, "password": "wrong-password-1"})
    response = second.test_client().post(url, data={"email": made.owner.email, "password": PASSWORD})
    assert response.status_code == 429  # the wait after three failures, seen by the other process
    assert "wait 1 seconds" in response.get_data(as_text=True)


def test_the_addresss_log_in_ceiling_is_counted_by_both_processes(make_app, make_tenant, redis_url):
    settings = {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"dadras-test-{uuid.uuid4().hex}",
        "RATELIMITS": {"login_ip": "3/hour"},
        "LOGIN_SLOWDOWN_AFTER": 100,
    }
    first, second = make_app(**settings), make_app(**settings)
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    for _ in range(3):
        first.test_client().post(url, data={"email": made.owner.email, "password": "wrong-password-1"})
    response = second.test_client().post(url, data={"email": made.owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_the_portals_tracking_limits_kept_in_redis_are_shared_by_two_processes(
    make_app, make_tenant, redis_url, tmp_path
):
    """A visitor who used up the lookups on one web process is refused by the other, in their language."""
    from web.config import load

    prefix = f"dadras-test-{uuid.uuid4().hex}"
    limits = load(tmp_path)["RATELIMITS"] | {"portal_track_ip": "3/10 minutes"}
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix, "RATELIMITS": limits}
    first, second = make_app(**settings), make_app(**settings)
    made = make_tenant(locale="fa")
    url = f"/{made.tenant.slug}/track/1000000000009"
    answers = [first.test_client().get(url).status_code for _ in range(3)]
    refused = second.test_client().get(url)
    assert all(code in (404, 422) for code in answers)
    assert refused.status_code == 429
    assert 'lang="fa"' in refused.get_data(as_text=True)
