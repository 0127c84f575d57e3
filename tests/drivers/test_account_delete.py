"""A driver deletes their account: personal data goes, a wrong password changes nothing."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from drivers.models import DriverProfile, User
from tests.drivers.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_deleting_the_account_erases_the_driver_and_logs_them_out(driver_client, driver):
    response = driver_client.post(
        reverse("drivers:delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=driver.pk).exists()
    assert not DriverProfile.objects.filter(user_id=driver.pk).exists()
    assert not EmailAddress.objects.filter(email=driver.email).exists()
    assert driver_client.get(reverse("drivers:dashboard")).status_code == 302
    login = driver_client.post(
        reverse("account_login"), {"login": driver.email, "password": DEFAULT_PASSWORD}
    )
    assert "_auth_user_id" not in driver_client.session
    assert login.status_code == 200


@pytest.mark.parametrize(
    "form",
    [
        {"password": "not-my-password", "confirm": "on"},
        {"password": DEFAULT_PASSWORD},
        {},
    ],
    ids=["wrong-password", "not-confirmed", "empty"],
)
def test_deleting_needs_the_password_and_the_confirmation(driver_client, driver, form):
    response = driver_client.post(reverse("drivers:delete"), form)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.filter(pk=driver.pk).exists()


def test_deleting_one_driver_leaves_the_others(driver_client, driver, other_driver):
    driver_client.post(reverse("drivers:delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})

    assert User.objects.filter(pk=other_driver.pk).exists()
    assert DriverProfile.objects.filter(user=other_driver).exists()
