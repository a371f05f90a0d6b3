"""Login throttling storage: in process by default, Redis when configured (shared by workers),
and per process again while Redis is down, without a single error."""

import logging
import uuid

import pytest

from tenantry.auth.throttle import LoginThrottle
from tenantry.testing import build_app, client_for, do_login, settings_for_test
from tenantry.testing.daemons import REDIS as REDIS_SERVER
from tenantry.testing.daemons import RedisServer, require_binary

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


@pytest.fixture
def own_redis():
    """A Redis of this test's own, so it can be stopped (never the shared one)."""
    require_binary(REDIS_SERVER)
    with RedisServer() as server:
        yield server


def test_logins_survive_a_redis_outage_counted_per_process(tmp_path, own_redis, caplog):
    logging.getLogger("tenantry").addHandler(caplog.handler)  # tenantry's logs do not propagate
    app = build_app(settings_for_test(tmp_path, "sqlite", redis_url=own_redis.url))
    with app.app_context():
        from tenantry import db
        from tenantry.auth import accounts
        from tenantry.tenancy import lifecycle

        acme = lifecycle.create(db.session, "acme")
        accounts.create_user(db.session, acme, "a@acme.test", "correct-horse-battery", "member")
        db.session.commit()
    root = client_for(app, "localhost")
    assert root.get("/readyz").json["redis"] == "ok"

    own_redis.stop()
    browser = client_for(app, "acme.localhost")
    assert do_login(browser, ("a@acme.test", "correct-horse-battery")).status_code == 302
    attempts = [do_login(client_for(app, "acme.localhost"), ("b@acme.test", "wrong")).status_code
                for _ in range(10)]  # fmt: skip
    readiness = root.get("/readyz")
    # Never a 500: logins go on, still throttled (per process), and the probe says why.
    assert attempts[-1] == 429 and 500 not in attempts
    assert readiness.status_code == 200
    assert readiness.json["status"] == "degraded"
    assert readiness.json["redis"].startswith("unreachable")
    logging.getLogger("tenantry").removeHandler(caplog.handler)
    assert "login attempts are counted per process" in caplog.text
