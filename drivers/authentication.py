"""How the mobile app authenticates to /api/v1/: allauth's headless app session token."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request


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
