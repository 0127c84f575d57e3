"""How the mobile app authenticates to /api/v1/: allauth's headless app session token."""

from importlib import import_module

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request


class OneLookupSessionTokenStrategy(SessionTokenStrategy):
    """allauth's app session token (HEADLESS_TOKEN_STRATEGY), found with one read of the
    session store where allauth asks whether it exists and then reads it: a cache round trip
    less on every API call."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        engine = import_module(settings.SESSION_ENGINE)
        session = engine.SessionStore(session_key=session_token)
        session.get(SESSION_KEY)  # loads it: a missing or expired session drops its key
        return session if session.session_key else None


class AppSessionTokenAuthentication(XSessionTokenAuthentication):
    """The X-Session-Token header; a token sent but unknown or expired is a 401, not anonymous."""

    def authenticate(self, request: Request):
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None:
            raise AuthenticationFailed("The session token is not valid or has expired.")
        return result

    def authenticate_header(self, request: Request) -> str:
        return 'X-Session-Token realm="api"'


class AppSessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = AppSessionTokenAuthentication
    name = "appSessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
