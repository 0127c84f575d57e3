"""Tariffs receiver: every example tariff stored, versions kept, older ones never win."""

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tariffs.models import Tariff, TariffVersion
from tariffs.selectors import connector_tariffs, tariff_version_at
from tests.roaming.conftest import BASE, EXAMPLES, example

TARIFF_EXAMPLES = sorted(
    path.stem for path in Path(EXAMPLES).glob("tariff*.json") if path.stem != "tariff_put_example"
)


def tariff_url(data: dict) -> str:
    return f"{BASE}/tariffs/{data['country_code']}/{data['party_id']}/{data['id']}"


def test_all_tariff_examples_are_listed():
    assert len(TARIFF_EXAMPLES) == 19


@pytest.mark.parametrize("name", TARIFF_EXAMPLES)
def test_every_tariff_example_is_stored_and_served_back(ocpi, name):
    data = example(name)
    response = ocpi.put(tariff_url(data), data)
    assert response.status_code == 201, response.json()
    assert ocpi.get(tariff_url(data)).json()["data"] == data
    tariff = Tariff.objects.get()
    assert tariff.currency == data["currency"]
    assert tariff.versions.count() == 1


def test_free_of_charge_example_step_size_zero_is_read_as_one(ocpi):
    """tariff_5_free_of_charge.json has step_size 0 (a known defect): accepted, read as 1."""
    from roaming.ocpi.tariffs import Tariff as OcpiTariff

    data = example("tariff_5_free_of_charge")
    assert ocpi.put(tariff_url(data), data).status_code == 201
    stored = OcpiTariff.model_validate(Tariff.objects.get().raw)
    assert stored.elements[0].price_components[0].step_size == 1


def test_put_example_without_last_updated_is_refused(ocpi):
    """tariff_put_example.json has no last_updated (required; a known defect): refused with
    2001 naming the field, because without it we cannot order versions."""
    response = ocpi.put(f"{BASE}/tariffs/DE/ALL/12", example("tariff_put_example"))
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert "last_updated" in response.json()["status_message"]
    assert not Tariff.objects.exists()


def test_new_version_replaces_and_history_is_kept(ocpi):
    data = example("tariff_1_simple_2hour")
    ocpi.put(tariff_url(data), data)
    newer = copy.deepcopy(data) | {"last_updated": "2030-01-01T00:00:00Z"}
    newer["elements"][0]["price_components"][0]["price"] = 3.0
    assert ocpi.put(tariff_url(data), newer).status_code == 200
    tariff = Tariff.objects.get()
    assert tariff.raw["elements"][0]["price_components"][0]["price"] == 3.0
    assert tariff.versions.count() == 2
    original = datetime.fromisoformat(data["last_updated"].replace("Z", "+00:00"))
    old = tariff_version_at(
        country_code="DE", party_id="ALL", tariff_id=data["id"], moment=original
    )
    assert old.raw == data


def test_an_older_version_never_overwrites_a_newer_one(ocpi):
    data = example("tariff_1_simple_2hour")
    newer = copy.deepcopy(data) | {"last_updated": "2030-01-01T00:00:00Z", "currency": "USD"}
    ocpi.put(tariff_url(data), newer)
    response = ocpi.put(tariff_url(data), data)
    assert response.status_code == 200
    assert Tariff.objects.get().currency == "USD"
    assert TariffVersion.objects.count() == 1


def test_delete_hides_the_tariff_but_keeps_history(ocpi):
    data = example("tariff_8_simple_025kwh")
    ocpi.put(tariff_url(data), data)
    assert ocpi.delete(tariff_url(data)).status_code == 200
    assert ocpi.get(tariff_url(data)).status_code == 404
    assert ocpi.delete(tariff_url(data)).status_code == 404
    assert Tariff.objects.get().deleted_at is not None
    assert TariffVersion.objects.count() == 1
    revived = copy.deepcopy(data) | {"last_updated": "2030-01-01T00:00:00Z"}
    assert ocpi.put(tariff_url(data), revived).status_code == 201
    assert ocpi.get(tariff_url(data)).status_code == 200


def test_connector_tariffs_follow_tariff_ids(ocpi):
    location = example("location_example")
    ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", location)
    for tariff_id in ("11", "13", "99"):
        data = copy.deepcopy(example("tariff_8_simple_025kwh")) | {
            "country_code": "BE",
            "party_id": "BEC",
            "id": tariff_id,
        }
        ocpi.put(tariff_url(data), data)
    from roaming.models import Connector

    connector = Connector.objects.get(evse__uid="3256", ocpi_id="1")
    assert [tariff.ocpi_id for tariff in connector_tariffs(connector=connector)] == ["11"]
    ocpi.patch(
        f"{BASE}/locations/BE/BEC/LOC1/3256/1",
        {"tariff_ids": ["13", "99"], "last_updated": "2030-01-01T00:00:00Z"},
    )
    connector.refresh_from_db()
    assert sorted(t.ocpi_id for t in connector_tariffs(connector=connector)) == ["13", "99"]


def test_tariff_of_another_party_is_refused(ocpi):
    data = copy.deepcopy(example("tariff_1_simple_2hour")) | {
        "country_code": "FR",
        "party_id": "XXX",
    }
    response = ocpi.put(f"{BASE}/tariffs/FR/XXX/{data['id']}", data)
    assert response.status_code == 404
    assert not Tariff.objects.exists()


def test_tariff_version_at_a_time_before_any_is_none(ocpi):
    data = example("tariff_1_simple_2hour")
    ocpi.put(tariff_url(data), data)
    assert (
        tariff_version_at(
            country_code="DE",
            party_id="ALL",
            tariff_id=data["id"],
            moment=datetime(2000, 1, 1, tzinfo=UTC),
        )
        is None
    )


def test_a_tariff_the_pricing_engine_cannot_price_is_refused_on_arrival(ocpi):
    data = copy.deepcopy(example("tariff_1_simple_2hour"))
    data["elements"][0]["price_components"][0]["price"] = -2.0
    response = ocpi.put(tariff_url(data), data)
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert "elements[0].price_components[0].price" in response.json()["status_message"]
    assert not Tariff.objects.exists()
