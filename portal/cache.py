"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache call. The
connection pool is shared, so no connection is opened, but redis-py's constructor fills its
table of about 170 response callbacks each time: a profile of cached cockpit requests put a
third of each request there (bench/README.md, "The Redis client"). A client that shares its
pool is safe to share between threads (redis-py's documentation), so one per pool is kept and
reused. Everything else is Django's backend, unchanged.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            # A race between two threads builds two clients over the same pool: harmless.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key):
        """Django's check warns of keys memcached would refuse (over 250 characters, spaces,
        control characters), scanning every character of every key on every call; Redis takes
        any key, so there is nothing to warn of."""

    def count_and_get_many(self, counter: str, timeout: int, keys: list[str]) -> tuple[int, dict]:
        """`count_and_get_many` below, in one round trip: a pipeline of SET NX (the counter at 0,
        with its time to live, when it does not exist), INCR and MGET, run as one transaction
        (MULTI/EXEC) so that the counter cannot expire between its SET and its INCR and come
        back without a time to live."""
        counter_key = self.make_and_validate_key(counter)
        wanted = {self.make_and_validate_key(key): key for key in keys}
        pipe = self._cache.get_client(counter_key, write=True).pipeline(transaction=True)
        pipe.set(counter_key, 0, ex=timeout, nx=True)
        pipe.incr(counter_key)
        pipe.mget(list(wanted))
        _created, count, values = pipe.execute()
        loads = self._cache._serializer.loads
        pairs = zip(wanted, values, strict=True)
        found = {wanted[key]: loads(value) for key, value in pairs if value is not None}
        return count, found


def count_and_get_many(counter: str, timeout: int, keys: list[str]) -> tuple[int, dict]:
    """Add one to `counter` (a new counter lives `timeout` seconds) and read `keys` from the
    default cache: (the count after adding, the entries found). With Redis, one round trip
    instead of three (a throttle's add and increment, then the reads); with another cache, the
    same through Django's cache API."""
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches

    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        return cache.count_and_get_many(counter, timeout, keys)
    count = 1
    if not cache.add(counter, 1, timeout):
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between the two calls: a new window
            cache.add(counter, 1, timeout)
    return count, cache.get_many(keys)
