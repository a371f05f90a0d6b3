"""Login throttling storage: in process by default, Redis when configured (shared by workers)."""

import uuid

import pytest

from tenantry.auth.throttle import LoginThrottle

REDIS = "redis://127.0.0.1:6379/15"


def redis_or_skip() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception as error:
        pytest.skip(f"no Redis at {REDIS}: {type(error).__name__}")


@pytest.mark.parametrize("storage", ["memory://", REDIS])
def test_the_eleventh_attempt_in_a_minute_is_refused(storage):
    if storage.startswith("redis"):
        redis_or_skip()
    throttle = LoginThrottle(storage, "10 per minute")
    account = f"{uuid.uuid4()}@x.test"
    results = [throttle.allow("t1", account, f"10.0.0.{i}") for i in range(11)]
    assert results == [True] * 10 + [False]
    assert throttle.allow("t2", account, "10.0.1.1")  # same email, another tenant


def test_two_workers_sharing_redis_share_the_count():
    redis_or_skip()
    first, second = (LoginThrottle(REDIS, "10 per minute") for _ in range(2))
    address = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    for i in range(10):
        assert (first if i % 2 else second).allow("t", f"{i}@x.test", address)
    assert not first.allow("t", "another@x.test", address)
