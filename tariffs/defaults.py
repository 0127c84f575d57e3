"""What the platform needs from the first migration on: the default price plan (the CPO's tariff
passed through with a modest markup; every driver without a subscription is on it) and the
standard VAT rates of the countries we expect to roam in, with the changes of recent years.
Staff keep both up to date in the admin.

`price_defaults_ensure` runs from the data migration and after every `migrate` and `flush`
(post_migrate), and creates only what is missing: no default plan, or no VAT rates at all.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps

DEFAULT_PLAN = {
    "name": "Pay as you go",
    "description": (
        "No monthly fee: you pay the charging operator's price plus 10 %, with the VAT of the "
        "country where you charge."
    ),
    "method": "pass_through",
    "markup_percent": Decimal("10"),
}

SINCE_EVER = datetime.date(2000, 1, 1)
# (country, standard rate in percent, valid from): the rates in force, and earlier ones where
# they changed recently (sessions are priced with the rate on their local date).
VAT_RATES = [
    ("AT", "20", SINCE_EVER),
    ("BE", "21", SINCE_EVER),
    ("BG", "20", SINCE_EVER),
    ("CH", "7.7", SINCE_EVER),
    ("CH", "8.1", datetime.date(2024, 1, 1)),
    ("CY", "19", SINCE_EVER),
    ("CZ", "21", SINCE_EVER),
    ("DE", "19", SINCE_EVER),
    ("DE", "16", datetime.date(2020, 7, 1)),
    ("DE", "19", datetime.date(2021, 1, 1)),
    ("DK", "25", SINCE_EVER),
    ("EE", "20", SINCE_EVER),
    ("EE", "22", datetime.date(2024, 1, 1)),
    ("EE", "24", datetime.date(2025, 7, 1)),
    ("ES", "21", SINCE_EVER),
    ("FI", "24", SINCE_EVER),
    ("FI", "25.5", datetime.date(2024, 9, 1)),
    ("FR", "20", SINCE_EVER),
    ("GB", "20", SINCE_EVER),
    ("GR", "24", SINCE_EVER),
    ("HR", "25", SINCE_EVER),
    ("HU", "27", SINCE_EVER),
    ("IE", "23", SINCE_EVER),
    ("IS", "24", SINCE_EVER),
    ("IT", "22", SINCE_EVER),
    ("LI", "7.7", SINCE_EVER),
    ("LI", "8.1", datetime.date(2024, 1, 1)),
    ("LT", "21", SINCE_EVER),
    ("LU", "17", SINCE_EVER),
    ("LU", "16", datetime.date(2023, 1, 1)),
    ("LU", "17", datetime.date(2024, 1, 1)),
    ("LV", "21", SINCE_EVER),
    ("MT", "18", SINCE_EVER),
    ("NL", "21", SINCE_EVER),
    ("NO", "25", SINCE_EVER),
    ("PL", "23", SINCE_EVER),
    ("PT", "23", SINCE_EVER),
    ("RO", "19", SINCE_EVER),
    ("RO", "21", datetime.date(2025, 8, 1)),
    ("SE", "25", SINCE_EVER),
    ("SI", "22", SINCE_EVER),
    ("SK", "20", SINCE_EVER),
    ("SK", "23", datetime.date(2025, 1, 1)),
]


def price_defaults_ensure(apps: Any = global_apps) -> None:
    try:
        plan_model = apps.get_model("tariffs", "PricePlan")
        rate_model = apps.get_model("tariffs", "VatRate")
    except LookupError:  # migrated back to before the price plans
        return
    plans = plan_model.objects
    if not plans.filter(is_default=True).exists() and not plans.filter(name=DEFAULT_PLAN["name"]):
        plans.create(is_default=True, **DEFAULT_PLAN)
    if rate_model.objects.exists():
        return
    for country, rate, valid_from in VAT_RATES:
        rate_model.objects.create(
            country=country, valid_from=valid_from, rate=Decimal(rate), note="standard rate"
        )


def price_defaults_after_migrate(sender: Any, **kwargs: Any) -> None:
    if sender.name == "tariffs":
        price_defaults_ensure(kwargs.get("apps") or global_apps)
