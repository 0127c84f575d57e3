"""Back-office staff: role groups with their own permissions, searchable driver lists."""

import pytest
from django.contrib.auth.models import Group

from tests.drivers.factories import DriverFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_the_three_staff_roles_exist_with_their_permissions():
    permissions = {
        group.name: {p.codename for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions")
    }

    assert set(permissions) >= {"support", "billing", "operations"}
    assert {"view_user", "change_user", "view_driverprofile"} <= permissions["support"]
    assert "delete_user" not in permissions["support"]
    assert "view_user" in permissions["billing"]
    assert "change_user" not in permissions["billing"]
    assert "view_user" not in permissions["operations"]
    assert "change_periodictask" in permissions["operations"]


def test_support_staff_find_a_driver_by_email_or_name(client):
    DriverFactory(email="someone@example.org")
    target = DriverFactory(email="findme@example.org")
    target.profile.full_name = "Katherine Johnson"
    target.profile.save()
    client.force_login(StaffFactory(role="support"))

    by_email = client.get("/admin/drivers/user/", {"q": "findme"})
    by_name = client.get("/admin/drivers/user/", {"q": "Katherine"})

    assert by_email.status_code == 200
    assert list(by_email.context["cl"].result_list) == [target]
    assert list(by_name.context["cl"].result_list) == [target]


def test_support_staff_cannot_delete_drivers(client):
    driver = DriverFactory()
    client.force_login(StaffFactory(role="support"))

    response = client.post(f"/admin/drivers/user/{driver.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert type(driver).objects.filter(pk=driver.pk).exists()


def test_operations_staff_cannot_see_drivers(client):
    client.force_login(StaffFactory(role="operations"))

    assert client.get("/admin/drivers/user/").status_code == 403


def test_a_driver_cannot_enter_the_admin(client):
    client.force_login(DriverFactory())

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_the_driver_list_is_paginated(client):
    DriverFactory.create_batch(3)
    client.force_login(StaffFactory(role="support"))

    response = client.get("/admin/drivers/user/")

    assert response.context["cl"].list_per_page == 50
