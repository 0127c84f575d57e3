"""GET /api/v1/connectors/{id}/price-preview: the signed-in driver's price of a planned charge;
hidden or unknown connectors are 404, bad parameters 400 naming them, no price 409."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from roaming.models import Location
from tests.tariffs.factories import (
    component,
    connector_dict,
    connector_of,
    cpo_tariff_store,
    element,
    location_store,
    tariff_dict,
)

pytestmark = pytest.mark.django_db


def url(connector_id) -> str:
    return f"/api/v1/connectors/{connector_id}/price-preview"


@pytest.fixture
def dc_connector(cpo):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.50, vat=21))))
    location = location_store(
        cpo, connectors=[connector_dict(power_type="DC", max_electric_power=50000)]
    )
    return connector_of(location)


@pytest.fixture
def app(api_client, driver):
    api_client.force_authenticate(driver)
    return api_client


def test_a_driver_previews_a_charge(app, dc_connector):
    response = app.get(url(dc_connector.pk), {"energy_kwh": "20", "power_kw": "40"})

    assert response.status_code == 200
    body = response.json()
    # default plan: 0.55/kWh; 20 kWh = 11.00, 13.31 incl. 21 % VAT; 30 min at 40 kW
    assert body["total"] == {"excl_vat": "11.00", "incl_vat": "13.31"}
    assert body["summary"] == "about 13.31 EUR for 20 kWh (~30 min)"
    assert body["unit_prices"] == "0.6655 EUR/kWh"
    assert body["currency"] == "EUR"
    assert (body["energy_kwh"], body["power_kw"], body["charging_minutes"]) == ("20", "40", 30)
    assert body["power_class"] == "DC"
    assert body["plan"]["name"] == "Pay as you go"
    assert body["breakdown"]["total_energy_cost"] == {"excl_vat": "11.00", "incl_vat": "13.31"}
    assert Decimal(body["breakdown"]["lines"][0]["unit_price"]) == Decimal("0.55")


def test_without_figures_the_preview_plans_a_typical_charge(app, dc_connector):
    body = app.get(url(dc_connector.pk)).json()

    assert (body["energy_kwh"], body["power_kw"], body["charging_minutes"]) == ("30", "50", 36)
    assert body["summary"] == "about 19.97 EUR for 30 kWh (~36 min)"


@pytest.mark.parametrize(
    "hide",
    [
        {"shown_to_drivers": False},
        {"publish": False},
    ],
    ids=["hidden-by-staff", "not-published"],
)
def test_connectors_drivers_do_not_see_are_not_found(app, dc_connector, hide):
    Location.objects.filter(pk=dc_connector.evse.location_id).update(**hide)

    response = app.get(url(dc_connector.pk))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("connector_id", ["999999999", "abc", "-1", "1" * 40, "%00", "1;drop"])
def test_unknown_connectors_are_not_found(app, dc_connector, connector_id):
    assert app.get(url(connector_id)).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"energy_kwh": "0"}, "energy_kwh"),
        ({"energy_kwh": "-5"}, "energy_kwh"),
        ({"energy_kwh": "1000.5"}, "energy_kwh"),
        ({"energy_kwh": "abc"}, "energy_kwh"),
        ({"energy_kwh": "NaN"}, "energy_kwh"),
        ({"energy_kwh": "Infinity"}, "energy_kwh"),
        ({"energy_kwh": "9" * 5000}, "energy_kwh"),
        ({"power_kw": "0"}, "power_kw"),
        ({"power_kw": "<script>"}, "power_kw"),
        ({"parking_minutes": "-1"}, "parking_minutes"),
        ({"parking_minutes": "99999999"}, "parking_minutes"),
        ({"parking_minutes": "1.5"}, "parking_minutes"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-13-45T99:00:00Z"}, "start"),
        ({"kwh": "20"}, "kwh"),
    ],
)
def test_bad_parameters_are_refused_naming_them(app, dc_connector, query, field):
    response = app.get(url(dc_connector.pk), query)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_a_start_more_than_a_year_away_has_no_price(app, dc_connector):
    start = (timezone.now() + timedelta(days=400)).isoformat()

    response = app.get(url(dc_connector.pk), {"start": start})

    assert response.status_code == 409
    assert "within a year" in response.json()["error"]["message"]


def test_a_planned_start_is_priced_then(app, dc_connector):
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    body = app.get(url(dc_connector.pk), {"start": start.isoformat()}).json()

    assert body["start"].startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_connector_without_tariff_has_no_price(app, cpo):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    response = app.get(url(connector_of(location).pk))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "price_unavailable"
    assert "No usable CPO tariff" in response.json()["error"]["message"]


def test_signing_in_is_required(api_client, dc_connector):
    assert api_client.get(url(dc_connector.pk)).status_code in (401, 403)


def test_the_operation_is_in_the_api_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/connectors/{connector_id}/price-preview"]["get"]
    assert {"200", "400", "404", "409"} <= set(operation["responses"])


def test_an_incomplete_configuration_is_no_price_and_a_log_line(app, cpo, caplog):
    from tariffs.models import VatRate

    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.50))), id="NOVAT")
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("NOVAT",))])
    VatRate.objects.filter(country="NL").delete()

    response = app.get(url(connector_of(location).pk))

    assert response.status_code == 409
    assert "admin" not in response.json()["error"]["message"]
    assert "No VAT rate for country NLD" in caplog.text
