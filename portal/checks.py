"""System checks the portal adds to Django's own."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the public development key.",
                hint="Set SECRET_KEY in the environment to a long random value.",
                id="portal.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_debug_is_off(app_configs, **kwargs):
    # Django's own W018 is a warning; a production deployment with DEBUG on is an error here.
    if settings.DEBUG:
        return [Error("DEBUG is on.", hint="Set DEBUG=false.", id="portal.E002")]
    return []
