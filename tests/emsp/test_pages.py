"""The site's own pages, static files and API documentation, as a visitor sees them."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_invites_to_sign_up(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/accounts/signup/" in page
    assert 'lang="en"' in page


def test_home_page_in_german_and_dutch_is_offered(client):
    page = client.get("/").content.decode()

    assert 'value="de"' in page
    assert 'value="nl"' in page


def test_unknown_page_shows_our_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_static_files_are_served_by_the_platform_itself(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def test_the_openapi_schema_documents_the_me_endpoint_and_its_auth(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/me"])
    schemes = schema["components"]["securitySchemes"]
    assert schemes["appSessionToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
    }


def test_the_api_docs_load_their_assets_from_our_own_server(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    asset_urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert asset_urls
    assert all(url.startswith("/") for url in asset_urls), asset_urls
    assert "/static/drf_spectacular_sidecar/" in page


def test_a_server_error_shows_our_500_page_without_details(client, settings):
    from django.urls import path

    def broken_view(request):
        raise RuntimeError("secret internal detail")

    settings.ROOT_URLCONF = type(
        "urls", (), {"urlpatterns": [path("boom/", broken_view)], "handler500": None}
    )
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "secret internal detail" not in page
