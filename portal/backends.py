from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

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


class PortalBackend(ModelBackend):
    """Django's model backend, loading the user's organisation with the user: every page shows
    it and every scoping decision reads its path, so it costs no extra query per request; the
    row then comes from the cache until the user or the organisation changes."""

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
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


def forget_user(sender, instance, **kwargs) -> None:
    cache.delete(user_cache_key(instance.pk))


def forget_organisation_users(sender, instance, **kwargs) -> None:
    users = get_user_model()._default_manager.filter(organisation=instance)
    cache.delete_many([user_cache_key(pk) for pk in users.values_list("pk", flat=True)])


def connect() -> None:
    from portal.models import Organisation

    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(forget_user, sender=user_model, dispatch_uid=f"forget-user-{id(signal)}")
        signal.connect(forget_organisation_users, sender=Organisation,
                       dispatch_uid=f"forget-org-users-{id(signal)}")  # fmt: skip
