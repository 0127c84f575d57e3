"""Favourite Locations: through the API (GET favourites, PUT/DELETE favourites/{location_id})
and the pages (the toggle on a Location's page, /account/favourites/); each driver sees only
their own."""

import pytest

from drivers.models import FavouriteLocation
from tests.roaming.factories import charger

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(api_client, driver):
    api_client.force_authenticate(driver)
    return api_client


def test_a_driver_marks_lists_and_forgets_a_favourite(app, cpo):
    first, second = charger(cpo, name="first"), charger(cpo, name="second")

    assert app.put(f"/api/v1/favourites/{first.pk}").status_code == 200
    again = app.put(f"/api/v1/favourites/{first.pk}")
    app.put(f"/api/v1/favourites/{second.pk}")
    listed = app.get("/api/v1/favourites").json()
    detail = app.get(f"/api/v1/locations/{first.pk}").json()

    assert again.json()["location_id"] == first.pk
    assert listed["count"] == 2
    assert [item["name"] for item in listed["results"]] == ["second", "first"]
    assert listed["results"][0]["distance_m"] is None
    assert detail["favourite"] is True

    assert app.delete(f"/api/v1/favourites/{first.pk}").status_code == 204
    assert [item["name"] for item in app.get("/api/v1/favourites").json()["results"]] == ["second"]
    assert app.delete(f"/api/v1/favourites/{first.pk}").status_code == 404


def test_another_driver_s_favourites_are_invisible_and_not_theirs_to_delete(
    app, api_client, cpo, other_driver
):
    location = charger(cpo)
    FavouriteLocation.objects.create(user=other_driver, location=location)

    assert app.get("/api/v1/favourites").json()["count"] == 0
    assert app.get(f"/api/v1/locations/{location.pk}").json()["favourite"] is False
    assert app.delete(f"/api/v1/favourites/{location.pk}").status_code == 404
    assert FavouriteLocation.objects.filter(user=other_driver).count() == 1


@pytest.mark.parametrize("hide", ["publish", "shown_to_drivers"])
def test_hidden_locations_cannot_be_favourites_and_drop_out_of_the_list(app, cpo, driver, hide):
    hidden = charger(cpo, **{hide: False})
    shown = charger(cpo)
    FavouriteLocation.objects.create(user=driver, location=shown)

    assert app.put(f"/api/v1/favourites/{hidden.pk}").status_code == 404
    shown.__class__.objects.filter(pk=shown.pk).update(**{hide: False})
    assert app.get("/api/v1/favourites").json()["count"] == 0


@pytest.mark.parametrize("location_id", ["999999", "abc", "9" * 40])
def test_unknown_locations_are_not_found(app, location_id):
    assert app.put(f"/api/v1/favourites/{location_id}").status_code == 404
    assert app.delete(f"/api/v1/favourites/{location_id}").status_code == 404


def test_favourites_need_signing_in(api_client, cpo):
    location = charger(cpo)

    assert api_client.get("/api/v1/favourites").status_code == 401
    assert api_client.put(f"/api/v1/favourites/{location.pk}").status_code == 401
    assert api_client.delete(f"/api/v1/favourites/{location.pk}").status_code == 401


def test_unknown_list_parameters_are_refused(app):
    response = app.get("/api/v1/favourites", {"sort": "name"})

    assert response.status_code == 400
    assert "sort" in response.json()["error"]["fields"]


# Pages.


def test_the_toggle_on_a_location_s_page_works_without_javascript(driver_client, cpo, driver):
    location = charger(cpo, name="Hub")
    page = f"/locations/{location.pk}/"

    assert "Add to favourites" in driver_client.get(page).content.decode()
    added = driver_client.post(f"{page}favourite/", {"action": "add"}, follow=True)
    assert "Remove from favourites" in added.content.decode()
    assert FavouriteLocation.objects.filter(user=driver, location=location).exists()

    favourites = driver_client.get("/account/favourites/").content.decode()
    assert "Hub" in favourites

    driver_client.post(f"{page}favourite/", {"action": "remove"})
    assert not FavouriteLocation.objects.filter(user=driver).exists()
    assert "No favourites yet" in driver_client.get("/account/favourites/").content.decode()


def test_the_toggle_does_not_redirect_elsewhere(driver_client, cpo):
    location = charger(cpo)

    response = driver_client.post(
        f"/locations/{location.pk}/favourite/", {"next": "https://evil.example.com/"}
    )

    assert response.url == f"/locations/{location.pk}/"


def test_a_hidden_or_unknown_location_cannot_be_toggled(driver_client, cpo):
    location = charger(cpo, shown_to_drivers=False)

    assert driver_client.post(f"/locations/{location.pk}/favourite/").status_code == 404
    assert driver_client.post(f"/locations/{'9' * 40}/favourite/").status_code == 404


def test_visitors_are_asked_to_log_in(client, cpo):
    location = charger(cpo)

    assert client.get("/account/favourites/").status_code == 302
    response = client.post(f"/locations/{location.pk}/favourite/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
    assert not FavouriteLocation.objects.exists()


def test_the_favourites_page_shows_only_the_driver_s_own(driver_client, cpo, other_driver):
    FavouriteLocation.objects.create(user=other_driver, location=charger(cpo, name="Theirs"))

    assert "Theirs" not in driver_client.get("/account/favourites/").content.decode()
