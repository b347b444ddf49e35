"""The portal's Redis cache (portal.cache): Django's backend with one redis-py client per pool,
and a throttle's count with the reads in one round trip. Against the real Redis of REDIS_URL
(CI's PostgreSQL + Redis run); `count_and_get_many` also against the tests' local cache."""

import os

import pytest
from django.core.cache import cache

from portal.cache import RedisCache, count_and_get_many

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")


@pytest.fixture
def redis_cache():
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})
    yield backend
    client = backend._cache.get_client(write=True)
    keys = client.keys(f"test-cache-{os.getpid()}:*")
    if keys:
        client.delete(*keys)


def trips(backend, monkeypatch) -> list:
    """Every command or pipeline written to Redis from now on."""
    from redis.connection import AbstractConnection

    sent = []
    original = AbstractConnection.send_packed_command

    def send(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", send)
    return sent


@needs_redis
def test_one_client_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client("any", write=True) is client
    redis_cache.set("a", {"x": 1}, 30)
    assert redis_cache.get("a") == {"x": 1}


@needs_redis
def test_the_count_and_the_reads_are_one_round_trip(redis_cache, monkeypatch):
    redis_cache.set("page", ("v1", b"body"), 30)  # and the connection opened
    sent = trips(redis_cache, monkeypatch)
    count, found = redis_cache.count_and_get_many("calls", 60, ["page", "absent"])
    assert (count, found) == (1, {"page": ("v1", b"body")})
    assert len(sent) == 1
    assert redis_cache.count_and_get_many("calls", 60, [])[0] == 2
    # The counter is Django's integer, lives its window, and is read back as a number.
    assert redis_cache.get("calls") == 2
    ttl = redis_cache._cache.get_client().ttl(redis_cache.make_key("calls"))
    assert 0 < ttl <= 60


@needs_redis
def test_a_counter_that_expired_starts_again(redis_cache):
    assert redis_cache.count_and_get_many("short", 60, [])[0] == 1
    redis_cache.delete("short")  # as when its window ends
    assert redis_cache.count_and_get_many("short", 60, [])[0] == 1


def test_the_same_counting_through_any_other_cache():
    cache.set("page", "body", 30)
    assert count_and_get_many("calls", 60, ["page", "absent"]) == (1, {"page": "body"})
    assert count_and_get_many("calls", 60, [])[0] == 2
    assert cache.get("calls") == 2


@needs_redis
def test_the_default_cache_counts_in_one_round_trip(settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": f"test-default-{os.getpid()}"}}  # fmt: skip
    from django.core.cache import caches

    backend = caches["default"]
    backend.get("warm")  # the connection's own handshake is not a trip of the call
    try:
        sent = trips(backend, monkeypatch)
        assert count_and_get_many("calls", 60, ["absent"]) == (1, {})
        assert len(sent) == 1
    finally:
        backend.delete("calls")
