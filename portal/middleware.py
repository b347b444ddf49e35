from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
