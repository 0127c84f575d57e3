"""Back office: roaming data is listed, searchable and read-only; staff roles see their part."""

import pytest
from django.urls import reverse

from drivers.models import Token
from roaming.models import CDR, EVSE, Location, Partner
from tests.drivers.factories import StaffFactory
from tests.roaming.conftest import BASE, example
from tests.roaming.factories import TokenFactory


@pytest.fixture
def stored(ocpi):
    """One of everything a CPO sends."""
    assert ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", example("location_example")).status_code == 201
    assert (
        ocpi.put(
            f"{BASE}/sessions/BE/BEC/101", example("session_example_2_short_finished")
        ).status_code
        == 201
    )
    assert ocpi.post(f"{BASE}/cdrs", example("cdr_example")).status_code == 201
    assert (
        ocpi.put(
            f"{BASE}/tariffs/DE/ALL/12", example("tariff_1_simple_2hour") | {"id": "12"}
        ).status_code
        == 201
    )
    TokenFactory(uid="04AABBCCDD")


MODELS = [
    ("roaming", "partner"),
    ("roaming", "location"),
    ("roaming", "evse"),
    ("roaming", "connector"),
    ("roaming", "session"),
    ("roaming", "cdr"),
    ("roaming", "command"),
    ("roaming", "syncrun"),
    ("roaming", "tokenauthorization"),
    ("tariffs", "tariff"),
    ("drivers", "token"),
]


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_superuser_lists_and_opens_every_roaming_model(client, stored, app, model):
    client.force_login(StaffFactory(is_superuser=True))
    listing = client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "1"})
    assert listing.status_code == 200
    for obj in listing.context["cl"].result_list[:1]:
        assert client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"), [("LOC1", 1), ("Gent", 1), ("BE*BEC*E041503002", 1), ("Amsterdam", 0)]
)
def test_locations_are_searchable_by_id_name_city_and_evse_id(client, stored, query, expected):
    client.force_login(StaffFactory(role="operations"))
    response = client.get(reverse("admin:roaming_location_changelist"), {"q": query})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == expected


def test_partner_data_is_read_only_even_for_superusers(client, stored):
    client.force_login(StaffFactory(is_superuser=True))
    cdr = CDR.objects.get()
    response = client.post(reverse("admin:roaming_cdr_change", args=[cdr.pk]), {"currency": "USD"})
    assert response.status_code == 403
    assert CDR.objects.get().currency == "EUR"
    evse = EVSE.objects.first()
    assert client.post(reverse("admin:roaming_evse_delete", args=[evse.pk])).status_code == 403
    assert client.get(reverse("admin:roaming_location_add")).status_code == 403


def test_operations_can_hide_a_location_from_drivers(client, stored):
    client.force_login(StaffFactory(role="operations"))
    location = Location.objects.get()
    url = reverse("admin:roaming_location_change", args=[location.pk])
    response = client.post(
        url, {"shown_to_drivers": "", "evses-TOTAL_FORMS": "2", "evses-INITIAL_FORMS": "2"}
    )
    assert response.status_code == 302, response.content[:2000]
    location.refresh_from_db()
    assert location.shown_to_drivers is False
    assert location.name == "Gent Zuid"


def test_support_can_view_but_not_change_cdrs(client, stored):
    client.force_login(StaffFactory(role="support"))
    cdr = CDR.objects.get()
    assert client.get(reverse("admin:roaming_cdr_changelist")).status_code == 200
    assert client.get(reverse("admin:roaming_cdr_change", args=[cdr.pk])).status_code == 200
    assert client.get(reverse("admin:roaming_partner_changelist")).status_code == 403


def test_support_can_block_a_token(client, stored):
    client.force_login(StaffFactory(role="support"))
    token = Token.objects.get()
    url = reverse("admin:drivers_token_change", args=[token.pk])
    form = {
        "visual_number": token.visual_number,
        "group_id": "",
        "whitelist": token.whitelist,
        "language": "",
        "default_profile_type": "",
        "energy_contract": "null",
        "valid_until": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:3000]
    token.refresh_from_db()
    assert token.valid is False


def test_operations_can_suspend_a_partner(client, cpo, ocpi):
    client.force_login(StaffFactory(role="operations"))
    response = client.post(
        reverse("admin:roaming_partner_changelist"),
        {"action": "suspend", "_selected_action": [cpo.pk]},
    )
    assert response.status_code == 302
    assert Partner.objects.get(pk=cpo.pk).status == "suspended"
    assert ocpi.get(f"{BASE}/tokens").status_code == 401
