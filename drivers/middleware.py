from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from drivers.selectors import driver_language_get


class PreferredLanguageMiddleware:
    """A signed-in driver sees the pages in their profile's language, whatever the browser says.

    Runs after LocaleMiddleware and overrides its choice for signed-in users. The language cookie
    is set to match, so the login page after a logout stays in the driver's language. A request
    that may have changed the language (logging in, saving the profile) reads it again afterwards.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = _language_of(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if "x-session-token" in request.headers:
            return response  # the app: no cookies, and a GET of the API changes no language
        if language is None or request.method not in ("GET", "HEAD"):
            language = _language_of(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def _language_of(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    language = driver_language_get(user=user)
    return language if language and translation.check_for_language(language) else None
