from django.conf import settings
from django.http import Http404, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.views.defaults import page_not_found


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese first: the portal speaks LANGUAGE_CODE (zh-hans) unless the user picked another
    language with the switch (the language cookie). The browser's Accept-Language is not
    consulted, so a workstation set up in English does not flip a Chinese office's portal."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(language) if language else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class PortalNotFoundMiddleware:
    """The portal's own 404 page, in Chinese, also when DEBUG is on (`make run`).

    With DEBUG, Django answers a 404 with its English technical page (the URL patterns tried),
    which a new user of the demo takes for a crash. This answers a 404 raised by a view (a record
    out of scope) and a path that matches no URL with `templates/404.html` instead. Without
    DEBUG Django already does so (`handler404`); a 403 always uses `templates/403.html`. A 500
    keeps Django's technical page under DEBUG, for developers; without DEBUG it is
    `templates/500.html`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # No resolver_match: no URL pattern matched (a view that answers 404 itself has one).
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


class HealthCheckMiddleware:
    """Answers the load balancer's liveness probe (`GET /healthz`) before anything else runs.

    First in MIDDLEWARE, so the probe is answered whatever Host header it sends (a balancer
    probes by IP address, which ALLOWED_HOSTS rightly refuses elsewhere) and over plain HTTP
    (no redirect to HTTPS; SECURE_REDIRECT_EXEMPT says so too). No session, database or
    template: "ok" means the process serves requests.
    """

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == self.PATH and request.method in ("GET", "HEAD"):
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
