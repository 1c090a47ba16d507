"""Login throttling kept in real Redis is shared by every web process."""

from __future__ import annotations

import uuid

from tests.fixtures.factories import PASSWORD


def test_failed_logins_counted_by_one_process_block_the_other(make_app, make_tenant, redis_url):
    prefix = f"dadras-test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = make_app(**settings), make_app(**settings)
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    for _ in range(5):
        first.test_client().post(url, data={"email": made.owner.email, "password": "wrong-password-1"})
    response = second.test_client().post(url, data={"email": made.owner.email, "password": PASSWORD})
    assert response.status_code == 429
