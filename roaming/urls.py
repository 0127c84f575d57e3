"""/ocpi/: our OCPI endpoints (mounted by emsp/urls.py). A trailing slash is optional."""

from django.urls import re_path

from roaming import views

app_name = "roaming"

SEGMENT = r"[^/]+"
BASE = r"^emsp/2\.2\.1/"


def _route(pattern: str) -> str:
    return pattern.replace("{", "(?P<").replace("}", f">{SEGMENT})") + "/?$"


urlpatterns = [
    re_path(r"^versions/?$", views.VersionsView.as_view(), name="ocpi-versions"),
    re_path(r"^2\.2\.1/?$", views.VersionDetailsView.as_view(), name="ocpi-version-details"),
    re_path(BASE + "credentials/?$", views.CredentialsView.as_view(), name="ocpi-credentials"),
    re_path(BASE + "locations/?$", views.LocationsModuleView.as_view(), name="ocpi-locations"),
    re_path(
        _route(BASE + "locations/{country_code}/{party_id}/{location_id}"),
        views.LocationView.as_view(),
        name="ocpi-location",
    ),
    re_path(
        _route(BASE + "locations/{country_code}/{party_id}/{location_id}/{evse_uid}"),
        views.EvseView.as_view(),
        name="ocpi-evse",
    ),
    re_path(
        _route(
            BASE + "locations/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}"
        ),
        views.ConnectorView.as_view(),
        name="ocpi-connector",
    ),
    re_path(BASE + "sessions/?$", views.SessionsModuleView.as_view(), name="ocpi-sessions"),
    re_path(
        _route(BASE + "sessions/{country_code}/{party_id}/{session_id}"),
        views.SessionView.as_view(),
        name="ocpi-session",
    ),
    re_path(BASE + "cdrs/?$", views.CdrsView.as_view(), name="ocpi-cdrs"),
    re_path(
        _route(BASE + "cdrs/{country_code}/{party_id}/{cdr_id}"),
        views.CdrView.as_view(),
        name="ocpi-cdr",
    ),
    re_path(BASE + "tariffs/?$", views.TariffsModuleView.as_view(), name="ocpi-tariffs"),
    re_path(
        _route(BASE + "tariffs/{country_code}/{party_id}/{tariff_id}"),
        views.TariffView.as_view(),
        name="ocpi-tariff",
    ),
    re_path(BASE + "tokens/?$", views.TokensView.as_view(), name="ocpi-tokens"),
    re_path(
        _route(BASE + "tokens/{token_uid}/authorize"),
        views.TokenAuthorizeView.as_view(),
        name="ocpi-token-authorize",
    ),
    re_path(BASE + "commands/?$", views.CommandsModuleView.as_view(), name="ocpi-commands"),
    re_path(
        _route(BASE + "commands/{command}/{uid}"),
        views.CommandResultView.as_view(),
        name="ocpi-command-result",
    ),
]
