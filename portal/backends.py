import contextlib
import contextvars
import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication

# The signed-in user, with their organisation, is read on every request. Building that query
# costs more than running it (Django compiles the SQL each time: about half of a cached cockpit
# request, bench/README.md), so the row is kept in the cache (Redis: shared by every process)
# for a few minutes and dropped whenever the user or their organisation is saved or deleted.
# The session's auth hash is still checked against the cached password hash, and a password
# change, a deactivation or a role change saves the user, so each takes effect on the next
# request.
USER_CACHE_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"auth-user:{user_id}"


# Users' rows a caller has already read from the cache, with other entries in the same round
# trip (`prefetched`): user id -> row.
_prefetched: contextvars.ContextVar[dict | None] = contextvars.ContextVar("prefetched_users",
                                                                         default=None)  # fmt: skip


@contextlib.contextmanager
def prefetched(user_id: int, user):
    """Within the block, `PortalBackend.get_user(user_id)` takes `user` (a row read from this
    cache's entry for `user_id`) instead of reading it again. Only for that id: the session's
    own user id still decides who is signed in, and Django still checks the session's hash
    against the row."""
    token = _prefetched.set({user_id: user})
    try:
        yield
    finally:
        _prefetched.reset(token)


def token_cache_key(key: str) -> str:
    # A digest, so that the cache's keys do not list the tokens themselves.
    return f"auth-token:{hashlib.sha256(key.encode()).hexdigest()}"


class PortalBackend(ModelBackend):
    """Django's model backend, loading the user's organisation with the user: every page shows
    it and every scoping decision reads its path, so it costs no extra query per request; the
    row then comes from the cache until the user or the organisation changes."""

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = (_prefetched.get() or {}).get(user_id) or cache.get(key)
        if user is None:
            user = (
                get_user_model()
                ._default_manager.select_related("organisation")
                .filter(pk=user_id)
                .first()
            )
            if user is not None:
                cache.set(key, user, USER_CACHE_SECONDS)
        return user if user is not None and self.user_can_authenticate(user) else None


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the token's user (and organisation) from the cache on
    the same terms as PortalBackend: a call with a known token costs no query (a token query
    and the connection's health check before; bench/README.md). A miss goes through DRF's own
    checks and messages; the entry is dropped when the token is deleted or when its user or
    the user's organisation is saved or deleted, so a deactivation is seen on the next call."""

    def authenticate_credentials(self, key):
        user = cache.get(token_cache_key(key))
        if user is None or not user.is_active:
            user, token = super().authenticate_credentials(key)  # raises for a bad token
            user.organisation  # noqa: B018 - loaded now, so that the cached row carries it
            cache.set(token_cache_key(key), user, USER_CACHE_SECONDS)
            return user, token
        return user, self.get_model()(key=key, user=user)


def _forget(user_ids) -> None:
    from rest_framework.authtoken.models import Token

    keys = Token.objects.filter(user_id__in=user_ids).values_list("key", flat=True)
    _drop([user_cache_key(pk) for pk in user_ids] + [token_cache_key(key) for key in keys])


def _drop(cache_keys: list[str]) -> None:
    """Now, and again when the transaction commits: a request that read the old row from the
    database in between (the change was not committed yet) may have cached it again."""
    cache.delete_many(cache_keys)
    transaction.on_commit(lambda: cache.delete_many(cache_keys))


def forget_user(sender, instance, **kwargs) -> None:
    _forget([instance.pk])


def forget_organisation_users(sender, instance, **kwargs) -> None:
    users = get_user_model()._default_manager.filter(organisation=instance)
    _forget(list(users.values_list("pk", flat=True)))


def forget_token(sender, instance, **kwargs) -> None:
    _drop([token_cache_key(instance.key)])


def connect() -> None:
    from rest_framework.authtoken.models import Token

    from portal.models import Organisation

    for signal in (post_save, post_delete):
        signal.connect(forget_token, sender=Token, dispatch_uid=f"forget-token-{id(signal)}")
    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(forget_user, sender=user_model, dispatch_uid=f"forget-user-{id(signal)}")
        signal.connect(forget_organisation_users, sender=Organisation,
                       dispatch_uid=f"forget-org-users-{id(signal)}")  # fmt: skip
