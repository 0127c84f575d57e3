"""Demo data for `make run`: one subscription plan beside the default one (the demo driver
stays on the default plan, as every driver without a subscription)."""

from decimal import Decimal

from tariffs.models import PricePlan, PricePlanRule, PricingMethod

DEMO_PLAN_NAME = "Plus"
# Our own rates per power class, excl. VAT (the VAT of the country where one charges is added).
DEMO_RATES = {"AC": "0.35", "DC": "0.45", "HPC": "0.55"}


def demo_plans_ensure() -> PricePlan:
    """The demo subscription plan "Plus" with its rules. Idempotent; staff edits are kept."""
    plan, created = PricePlan.objects.get_or_create(
        name=DEMO_PLAN_NAME,
        defaults={
            "description": "4.99 EUR a month: fixed prices per kWh wherever you charge.",
            "is_public": True,
            "monthly_fee": Decimal("4.99"),
            "fee_currency": "EUR",
            "method": PricingMethod.PASS_THROUGH,
        },
    )
    if created:
        for power_class, price in DEMO_RATES.items():
            PricePlanRule.objects.create(
                plan=plan,
                scope=PricePlanRule.Scope.POWER_CLASS,
                power_class=power_class,
                method=PricingMethod.OWN_TARIFF,
                tariff={
                    "currency": "EUR",
                    "elements": [
                        {
                            "price_components": [
                                {"type": "ENERGY", "price": float(price), "step_size": 1}
                            ]
                        }
                    ],
                },
            )
    return plan
