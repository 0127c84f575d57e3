"""Price a CDR with its tariff and print the breakdown as JSON, beside the CPO's own figures."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tariffs.pricing import (
    COST_FIELDS,
    PricingError,
    TariffError,
    cdr_price,
    cost_comparison,
    price_json,
    tariff_parse,
)


class Command(BaseCommand):
    help = (
        "Price an OCPI 2.2.1 CDR (a partial one will do: start_date_time, end_date_time, "
        "currency, charging_periods) with a tariff, and print the breakdown as JSON. When the "
        "CDR has the CPO's total_cost, print our figures beside theirs and the difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cdr", required=True, type=Path, help="the CDR as a JSON file")
        parser.add_argument(
            "--tariff",
            type=Path,
            help="the Tariff as a JSON file (default: the one in the CDR's tariffs list)",
        )
        parser.add_argument(
            "--time-zone",
            default="UTC",
            help="IANA time zone of the location, for time restrictions (default: UTC)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit with status 2 when our total_cost differs from the CPO's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cdr = _read_json(options["cdr"], "--cdr")
        if not isinstance(cdr, dict):
            raise CommandError(f"{options['cdr']}: a CDR must be a JSON object")
        if options["tariff"] is not None:
            tariff_data = _read_json(options["tariff"], "--tariff")
        else:
            tariff_data = _tariff_in_cdr(cdr)
        try:
            tariff = tariff_parse(tariff_data)
            exact = cdr_price(tariff, cdr, time_zone=options["time_zone"])
            comparison = cost_comparison(exact, cdr)
        except PricingError as exc:
            source = "tariff" if isinstance(exc, TariffError) else "CDR"
            raise CommandError(f"the {source} cannot be priced: {exc}") from exc
        output = exact.rounded().as_json()
        output["time_zone"] = options["time_zone"]
        output["exact"] = {name: price_json(getattr(exact, name)) for name in COST_FIELDS}
        output["cpo_comparison"] = {
            name: {
                "ours": price_json(figures["ours"]),
                "cpo": _price_or_excl(figures["cpo"]),
                "difference": _price_or_excl(figures["difference"]),
            }
            for name, figures in comparison.items()
        }
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
        total = comparison.get("total_cost")
        if options["check"] and total is not None:
            difference = total["difference"]
            if difference.excl_vat or difference.incl_vat:
                raise SystemExit(2)


def _read_json(path: Path, option: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{option} {path}: cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{option} {path}: not valid JSON ({exc})") from exc


def _tariff_in_cdr(cdr: dict[str, Any]) -> Any:
    tariffs = cdr.get("tariffs")
    if not isinstance(tariffs, list) or not tariffs:
        raise CommandError("the CDR has no tariffs: pass --tariff")
    if len(tariffs) == 1:
        return tariffs[0]
    periods = cdr.get("charging_periods")
    used = {
        p.get("tariff_id")
        for p in periods or []
        if isinstance(p, dict) and p.get("tariff_id") is not None
    }
    chosen = [t for t in tariffs if isinstance(t, dict) and t.get("id") in used]
    if len(used) == 1 and len(chosen) == 1:
        return chosen[0]
    raise CommandError(
        f"the CDR lists {len(tariffs)} tariffs and its periods do not point to exactly one: "
        "pass --tariff"
    )


def _price_or_excl(price: Any) -> dict[str, str]:
    data = {"excl_vat": str(price.excl_vat)}
    if price.incl_vat is not None:
        data["incl_vat"] = str(price.incl_vat)
    return data
