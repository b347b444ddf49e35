"""The API's throttles (rates in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).

A module of its own: DRF imports DEFAULT_THROTTLE_CLASSES while `rest_framework.views` loads,
so it must not import views.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    """DRF binds THROTTLE_RATES when the class is defined; read them on each request instead,
    so that a settings override (tests, a reloaded configuration) takes effect."""

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Anonymous callers, per address (scope `anon`)."""


class UserThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Authenticated callers, per user (scope `user`)."""


class TokenThrottle(_RatesFromSettings, throttling.SimpleRateThrottle):
    """The token endpoint, per address whoever the caller claims to be (scope `token`)."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
