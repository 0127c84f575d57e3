"""Staff register a CPO from the admin (and renew, unregister, pull now), with our server live
and the CPO simulator as the partner."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from roaming.models import Location, Partner, SyncRun
from tests.drivers.factories import DriverFactory

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "admin:roaming_partner_register"


def staff(*codenames):
    user = DriverFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operations():
    return staff("view_partner", "change_partner", "view_syncrun")


def test_the_partner_list_offers_to_register_with_a_cpo(operations, emsp_live):
    page = operations.get(reverse("admin:roaming_partner_changelist"))

    assert page.status_code == 200
    assert reverse(REGISTER) in page.content.decode()


def test_staff_register_with_a_cpo_from_the_form(operations, simulator, emsp_live):
    form = {"versions_url": simulator.versions_url, "token_a": simulator.token_a, "name": "Sim"}

    response = operations.post(reverse(REGISTER), form)

    partner = Partner.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:roaming_partner_change", args=[partner.pk])
    assert partner.status == Partner.Status.CONNECTED
    assert partner.name == "Sim"
    page = operations.get(response["Location"])
    assert "Registered with Sim on OCPI 2.2.1" in page.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"versions_url": "", "token_a": "x"}, "This field is required"),
        ({"versions_url": "ftp://x/versions", "token_a": "x"}, "Enter a valid URL"),
        ({"versions_url": "https://cpo.example.com/v", "token_a": "a b"}, "printable"),
        ({"versions_url": "https://cpo.example.com/v", "token_a": "t" * 65}, "at most 64"),
        (
            {"versions_url": "https://cpo.example.com/v", "token_a": "<script>"},
            "Cannot use the CPO",
        ),
    ],
    ids=["missing-url", "not-http", "space-in-token", "long-token", "unreachable"],
)
def test_bad_input_is_explained_and_nothing_is_stored(operations, emsp_live, form, message):
    response = operations.post(reverse(REGISTER), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode() or "<script>" not in form["token_a"]
    assert not Partner.objects.exists()


def test_a_cpo_refusing_token_a_is_explained(operations, simulator, emsp_live):
    form = {"versions_url": simulator.versions_url, "token_a": "wrong-token"}

    response = operations.post(reverse(REGISTER), form)

    assert response.status_code == 200
    assert "401" in response.content.decode()
    assert not Partner.objects.exists()


def test_staff_without_partner_rights_may_not_register(simulator, emsp_live):
    support = staff("view_partner")

    assert support.get(reverse(REGISTER)).status_code == 403
    response = support.post(
        reverse(REGISTER),
        {"versions_url": simulator.versions_url, "token_a": simulator.token_a},
    )
    assert response.status_code == 403
    assert not Partner.objects.exists()


def test_the_register_action_opens_the_form_for_the_selected_partner(operations, registered):
    response = operations.post(
        reverse("admin:roaming_partner_changelist"),
        {"action": "register_with_cpo", "_selected_action": [registered.pk]},
    )

    assert response.status_code == 302
    form = operations.get(response["Location"])
    assert registered.versions_url in form.content.decode()


def test_renew_and_unregister_actions(operations, registered, simulator):
    changelist = reverse("admin:roaming_partner_changelist")
    old = registered.token_b

    operations.post(
        changelist, {"action": "renew_credentials", "_selected_action": [registered.pk]}
    )
    assert Partner.objects.get(pk=registered.pk).token_b != old

    operations.post(
        changelist, {"action": "unregister_from_cpo", "_selected_action": [registered.pk]}
    )
    assert Partner.objects.get(pk=registered.pk).status == Partner.Status.UNREGISTERED
    assert simulator.state()["peers"] == []


def test_pull_now_runs_the_pull_and_the_runs_are_listed(operations, registered):
    changelist = reverse("admin:roaming_partner_changelist")

    operations.post(changelist, {"action": "pull_now", "_selected_action": [registered.pk]})

    assert Location.objects.count() == 60
    assert SyncRun.objects.filter(status="succeeded").count() == 4
    runs = operations.get(reverse("admin:roaming_syncrun_changelist"))
    assert runs.status_code == 200
    assert "locations" in runs.content.decode()
