"""The portal's URLs and the benchmark's bare view.

The bare view is what `cockpit_share_of_bare` divides by: a real Django view behind the whole
middleware stack (security, WhiteNoise, sessions, locale, common, CSRF, authentication,
messages, clickjacking, htmx, history, axes) that reads no session, no database and no template,
and answers two bytes. `/healthz` no longer serves: the first middleware answers it before any
other runs (portal.middleware.HealthCheckMiddleware)."""

from django.http import HttpResponse
from django.urls import path

from portal import urls as portal_urls


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *portal_urls.urlpatterns]
# The portal's error pages, if it names them.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(portal_urls, _name):
        globals()[_name] = getattr(portal_urls, _name)
