"""Log-in attempts made at the same moment are counted as they arrive: no more get through than the limit allows."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.fixtures.factories import PASSWORD


def test_parallel_attempts_from_one_address_pass_its_limit_no_more_than_it_allows(
    make_app, make_tenant, redis_url, db_backend
):
    if db_backend != "sqlite":
        pytest.skip("threads cannot share the one pinned PostgreSQL transaction of a test")
    limits = {"login_ip": "5/15 minutes"}
    app = make_app(
        RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=f"dadras-test-{uuid.uuid4().hex}", RATELIMITS=limits
    )
    made = make_tenant()
    url = f"/{made.tenant.slug}/console/login"
    start = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        client = app.test_client()
        start.wait()
        status = client.post(url, data={"email": made.owner.email, "password": f"wrong-password-{n}"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 5
    assert app.test_client().post(url, data={"email": made.owner.email, "password": PASSWORD}).status_code == 429
