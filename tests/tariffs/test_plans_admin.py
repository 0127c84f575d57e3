"""The back office of price plans: plans with rules edited as JSON (errors name the field),
CPO tariffs in words, subscriptions, VAT rates, the staff price preview, roles."""

import json
from decimal import Decimal

import pytest

from tariffs.models import PlanSubscription, PricePlan, PricePlanRule
from tests.drivers.factories import DriverFactory, StaffFactory
from tests.tariffs.factories import (
    PricePlanFactory,
    component,
    connector_dict,
    connector_of,
    cpo_tariff_store,
    element,
    location_store,
    own_tariff,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/tariffs/priceplan/add/"
PREVIEW_URL = "/admin/tariffs/priceplan/preview/"


@pytest.fixture
def billing_client(client):
    client.force_login(StaffFactory(role="billing"))
    return client


def plan_form(rules=(), **fields) -> dict:
    data = {
        "name": "Night owl",
        "description": "",
        "is_public": "on",
        "monthly_fee": "2.50",
        "fee_currency": "EUR",
        "method": "own_tariff",
        "markup_percent": "0",
        "markup_per_kwh": "0",
        "markup_per_session": "0",
        "markup_currency": "EUR",
        "tariff": json.dumps(own_tariff(0.29, vat=21)),
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, rule in enumerate(rules):
        defaults = {
            "scope": "power_class",
            "power_class": "HPC",
            "method": "own_tariff",
            "markup_percent": "0",
            "markup_per_kwh": "0",
            "markup_per_session": "0",
            "markup_currency": "EUR",
            "tariff": json.dumps(own_tariff(0.59, vat=21)),
        }
        data.update({f"rules-{index}-{k}": v for k, v in {**defaults, **rule}.items()})
    return data


def test_billing_staff_create_a_plan_with_a_rule(billing_client):
    response = billing_client.post(ADD_URL, plan_form(rules=[{}]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = PricePlan.objects.get(name="Night owl")
    assert plan.tariff["elements"][0]["price_components"][0]["price"] == 0.29
    assert plan.rules.get().power_class == "HPC"
    page = billing_client.get(f"/admin/tariffs/priceplan/{plan.pk}/change/").content.decode()
    assert "0.29 EUR/kWh (excl. VAT) · 0.3509 EUR/kWh (incl. VAT)" in page
    assert "0.59 EUR/kWh (excl. VAT)" in page


@pytest.mark.parametrize(
    ("tariff", "message"),
    [
        (
            json.dumps(
                {
                    "currency": "EUR",
                    "elements": [
                        {"price_components": [{"type": "ENERGY", "price": -0.1, "step_size": 1}]}
                    ],
                }
            ),
            "elements[0].price_components[0].price: must be &gt;= 0",
        ),
        (
            json.dumps({"currency": "EURO", "elements": []}),
            "currency: &#x27;EURO&#x27; is not an ISO 4217 currency code",
        ),
        (
            json.dumps(
                {
                    "currency": "EUR",
                    "elements": [
                        {
                            "price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}],
                            "restrictions": {"start_time": "25:00"},
                        }
                    ],
                }
            ),
            "elements[0].restrictions.start_time: &#x27;25:00&#x27; is not in the format HH:MM",
        ),
        ('{"currency": "EUR", "elements": [', "Enter a valid JSON."),
        ("", "Our own tariff needs its OCPI Tariff object."),
        ("[1, 2, 3]", "Invalid tariff: a Tariff must be a JSON object"),
        (json.dumps({"currency": "EUR", "elements": [], "x": "y" * 70000}), "too large"),
    ],
    ids=[
        "negative-price",
        "bad-currency",
        "bad-time",
        "broken-json",
        "missing",
        "not-an-object",
        "oversized",
    ],
)
def test_an_invalid_own_tariff_is_refused_naming_the_field(billing_client, tariff, message):
    response = billing_client.post(ADD_URL, plan_form(tariff=tariff))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["tariff"]
    assert message in response.content.decode()
    assert not PricePlan.objects.filter(name="Night owl").exists()


def test_an_invalid_rule_is_refused_naming_its_field_and_nothing_is_saved(billing_client):
    rules = [
        {"scope": "location", "power_class": ""},
        {
            "tariff": json.dumps(
                {
                    "currency": "EUR",
                    "elements": [
                        {"price_components": [{"type": "POWER", "price": 1, "step_size": 1}]}
                    ],
                }
            )
        },
    ]

    response = billing_client.post(ADD_URL, plan_form(rules=rules))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "location" in formset.errors[0]
    assert "elements[0].price_components[0].type" in str(formset.errors[1]["tariff"])
    assert not PricePlan.objects.filter(name="Night owl").exists()
    assert not PricePlanRule.objects.exists()


def test_hostile_text_in_a_plan_is_stored_as_text_and_escaped(billing_client):
    hostile = "<script>alert(1)</script>'; DROP TABLE tariffs_priceplan; --"

    response = billing_client.post(ADD_URL, plan_form(name=hostile[:100], description=hostile))

    assert response.status_code == 302
    plan = PricePlan.objects.get(description=hostile)
    page = billing_client.get("/admin/tariffs/priceplan/").content.decode()
    assert "<script>alert(1)" not in page
    assert plan.name in PricePlan.objects.values_list("name", flat=True)


def test_the_default_plan_cannot_be_deleted(billing_client):
    plan = PricePlan.objects.get(is_default=True)

    response = billing_client.post(f"/admin/tariffs/priceplan/{plan.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert PricePlan.objects.filter(is_default=True).exists()


def test_support_staff_see_plans_but_cannot_change_them(client):
    client.force_login(StaffFactory(role="support"))
    plan = PricePlan.objects.get(is_default=True)

    assert client.get("/admin/tariffs/priceplan/").status_code == 200
    response = client.post(f"/admin/tariffs/priceplan/{plan.pk}/change/", plan_form())
    assert response.status_code == 403
    assert client.get(ADD_URL).status_code == 403


def test_cpo_tariffs_are_shown_in_words(client, cpo):
    client.force_login(StaffFactory(role="operations"))
    tariff = cpo_tariff_store(
        cpo,
        tariff_dict(
            element(component("ENERGY", 0.25, vat=21)),
            element(component("PARKING_TIME", 5, vat=21), min_duration=10800),
        ),
    )

    listing = client.get("/admin/tariffs/tariff/").content.decode()
    detail = client.get(f"/admin/tariffs/tariff/{tariff.pk}/change/").content.decode()

    words = "0.25 EUR/kWh, parking 5.00 EUR/h after 3 h (excl. VAT)"
    assert words in listing
    assert words in detail


def test_staff_put_a_driver_on_a_plan_and_end_it(billing_client):
    driver = DriverFactory()
    plan = PricePlanFactory(name="Fleet", is_public=False)

    response = billing_client.post(
        "/admin/tariffs/plansubscription/add/", {"user": driver.pk, "plan": plan.pk}
    )

    assert response.status_code == 302
    subscription = PlanSubscription.objects.get(user=driver)
    assert (subscription.plan, subscription.valid_until) == (plan, None)
    billing_client.post(
        "/admin/tariffs/plansubscription/",
        {"action": "end_now", "_selected_action": [subscription.pk]},
    )
    subscription.refresh_from_db()
    assert subscription.valid_until is not None


def test_billing_staff_keep_vat_rates(billing_client):
    response = billing_client.post(
        "/admin/tariffs/vatrate/add/",
        {"country": "EE", "rate": "26", "valid_from": "2030-01-01", "note": "planned"},
    )
    refused = billing_client.post(
        "/admin/tariffs/vatrate/add/",
        {"country": "EE", "rate": "126", "valid_from": "2031-01-01", "note": ""},
    )

    assert response.status_code == 302
    assert "rate" in refused.context["adminform"].form.errors


@pytest.fixture
def hpc_connector(cpo):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.50, vat=21))))
    location = location_store(
        cpo, connectors=[connector_dict(power_type="DC", max_electric_power=300000)]
    )
    return connector_of(location)


def test_staff_preview_a_price_at_a_connector(billing_client, hpc_connector):
    response = billing_client.get(
        PREVIEW_URL, {"connector": hpc_connector.pk, "energy_kwh": "30", "parking_minutes": "0"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    # default plan: 0.55/kWh, 30 kWh at 150 kW (HPC cap) = 16.50, 19.965 -> 19.97 incl. 21 %
    assert "about 19.97 EUR for 30 kWh (~12 min)" in page
    assert "NL/CPO/T1" in page
    assert response.context["preview"].driver_tariff.power_class == "HPC"


def test_staff_preview_by_evse_id_as_a_driver_or_on_a_plan(billing_client, hpc_connector):
    driver = DriverFactory()
    plan = PricePlanFactory(method="own_tariff", tariff=own_tariff(0.40, vat=21))

    as_driver = billing_client.get(
        PREVIEW_URL, {"connector": "nl*cpo*eloc1", "driver": driver.email}
    )
    on_plan = billing_client.get(PREVIEW_URL, {"connector": "NL*CPO*ELOC1#1", "plan": plan.pk})

    assert as_driver.context["preview"].driver_tariff.plan.is_default
    assert on_plan.context["preview"].total == Decimal("14.52")  # 30 * 0.40 * 1.21


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"connector": "999999"}, "connector"),
        ({"connector": "NL*NOPE"}, "connector"),
        ({"connector": "1", "energy_kwh": "-3"}, "energy_kwh"),
        ({"connector": "1", "energy_kwh": "1e9"}, "energy_kwh"),
        ({"connector": "1", "power_kw": "abc"}, "power_kw"),
        ({"connector": "1", "start": "3026-01-01 00:00"}, "start"),
        ({"connector": "1", "driver": "nobody@example.org"}, "driver"),
        ({"connector": "x" * 500}, "connector"),
        ({"connector": "<script>"}, "connector"),
    ],
)
def test_bad_preview_input_is_refused_naming_the_field(billing_client, query, field):
    response = billing_client.get(PREVIEW_URL, query)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["preview"] is None


def test_a_connector_without_tariff_says_so_in_the_preview(billing_client, cpo):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    response = billing_client.get(PREVIEW_URL, {"connector": connector_of(location).pk})

    assert "No usable CPO tariff" in response.content.decode()


def test_drivers_and_roles_without_plans_cannot_preview(client, hpc_connector):
    client.force_login(DriverFactory())
    assert client.get(PREVIEW_URL, {"connector": hpc_connector.pk}).status_code == 302
    client.force_login(StaffFactory())
    assert client.get(PREVIEW_URL, {"connector": hpc_connector.pk}).status_code == 403


def test_the_plan_list_links_the_preview(billing_client):
    assert PREVIEW_URL in billing_client.get("/admin/tariffs/priceplan/").content.decode()
