"""python manage.py price_cdr: the spec's CDR, partial CDRs, CPO figures, bad input."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tariffs.pricing import to_json_value

from .factories import EXAMPLES, cdr_dict, example

ROOT = Path(__file__).resolve().parents[2]


def run(*arguments: str) -> dict:
    out = StringIO()
    call_command("price_cdr", *arguments, stdout=out)
    return json.loads(out.getvalue())


def process(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "price_cdr", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )


def write(tmp_path: Path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(to_json_value(data)))
    return str(path)


def test_the_spec_cdr_with_its_own_tariff_agrees_with_the_cpo():
    completed = process(
        "--cdr", str(EXAMPLES / "cdr_example.json"), "--time-zone", "Europe/Brussels", "--check"
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["total_cost"] == {"excl_vat": "4.00", "incl_vat": "4.40"}
    assert output["cpo_comparison"]["total_cost"]["difference"] == {
        "excl_vat": "0.00",
        "incl_vat": "0.00",
    }
    assert output["lines"][0]["billed_quantity"] == "2"
    assert output["exact"]["total_cost"] == {"excl_vat": "4.0000", "incl_vat": "4.40000"}


def test_a_partial_cdr_with_a_tariff_file(tmp_path):
    cdr = cdr_dict(
        "2024-01-15T09:30",
        [(165, {"TIME": "t", "MAX_CURRENT": 16}), (42, {"PARKING_TIME": "t"})],
        currency="EUR",
    )
    output = run(
        "--cdr",
        write(tmp_path, "cdr.json", cdr),
        "--tariff",
        str(EXAMPLES / "tariff_4_complex.json"),
        "--time-zone",
        "Europe/Amsterdam",
    )
    assert output["total_cost"] == {"excl_vat": "9.00", "incl_vat": "10.30"}
    assert [line["dimension"] for line in output["lines"]] == ["FLAT", "TIME", "PARKING_TIME"]
    assert output["lines"][2]["billed_quantity"] == "0.75"
    assert output["cpo_comparison"] == {}


def test_a_cpo_that_overcharges_is_shown_the_difference_and_fails_the_check(tmp_path):
    cdr = example("cdr_example.json")
    cdr["total_cost"] = {"excl_vat": 4.25, "incl_vat": 4.68}
    path = write(tmp_path, "cdr.json", cdr)
    output = run("--cdr", path, "--time-zone", "Europe/Brussels")
    assert output["cpo_comparison"]["total_cost"] == {
        "ours": {"excl_vat": "4.00", "incl_vat": "4.40"},
        "cpo": {"excl_vat": "4.25", "incl_vat": "4.68"},
        "difference": {"excl_vat": "-0.25", "incl_vat": "-0.28"},
    }
    completed = process("--cdr", path, "--time-zone", "Europe/Brussels", "--check")
    assert completed.returncode == 2
    assert json.loads(completed.stdout)["total_cost"]["excl_vat"] == "4.00"


def test_the_tariff_is_chosen_by_the_periods_tariff_id(tmp_path):
    cdr = example("cdr_example.json")
    other = dict(cdr["tariffs"][0], id="13")
    other["elements"] = [{"price_components": [{"type": "TIME", "price": 9, "step_size": 1}]}]
    cdr["tariffs"] = [other, cdr["tariffs"][0]]
    output = run("--cdr", write(tmp_path, "cdr.json", cdr), "--time-zone", "Europe/Brussels")
    assert output["total_cost"]["excl_vat"] == "4.00"
    cdr["charging_periods"][0].pop("tariff_id")
    with pytest.raises(CommandError, match="lists 2 tariffs"):
        run("--cdr", write(tmp_path, "cdr.json", cdr))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"cdr": None}, "--cdr {dir}/missing.json: cannot be read"),
        ({"cdr": "{not json"}, "--cdr {dir}/cdr.json: not valid JSON"),
        ({"cdr": "[1, 2]"}, "a CDR must be a JSON object"),
        (
            {"cdr": "CDR", "tariff": '{"currency": "EUR", "elements": []}'},
            "the tariff cannot be priced: elements: must be a non-empty list of TariffElements",
        ),
        (
            {"cdr": "CDR", "tariff": "NEGATIVE"},
            "the tariff cannot be priced: elements[0].price_components[0].price: must be >= 0",
        ),
        ({"cdr": "NO-TARIFFS"}, "the CDR has no tariffs: pass --tariff"),
        (
            {"cdr": "BAD-PERIOD"},
            "the CDR cannot be priced: charging_periods[0].dimensions[0].volume: must be a number",
        ),
    ],
    ids=[
        "missing file",
        "invalid JSON",
        "not an object",
        "empty elements",
        "negative price",
        "no tariff",
        "bad volume",
    ],
)
def test_bad_input_gives_a_clear_error(tmp_path, files, message):
    with pytest.raises(CommandError) as caught:
        run(*bad_arguments(tmp_path, files))
    assert message.format(dir=tmp_path) in str(caught.value)


@pytest.mark.parametrize(
    "files", [{"cdr": None}, {"cdr": "CDR", "tariff": "NEGATIVE"}], ids=["missing", "bad tariff"]
)
def test_bad_input_exits_non_zero_with_nothing_on_stdout(tmp_path, files):
    completed = process(*bad_arguments(tmp_path, files))
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.startswith("CommandError: ")


def bad_arguments(tmp_path: Path, files: dict) -> list[str]:
    cdr = example("cdr_example.json")
    arguments = []
    for option, content in files.items():
        if content is None:
            path = str(tmp_path / "missing.json")
        elif content == "CDR":
            path = write(tmp_path, "cdr.json", cdr)
        elif content == "NEGATIVE":
            tariff = example("tariff_1_simple_2hour.json")
            tariff["elements"][0]["price_components"][0]["price"] = -2
            path = write(tmp_path, "tariff.json", tariff)
        elif content == "NO-TARIFFS":
            path = write(tmp_path, "cdr.json", {k: v for k, v in cdr.items() if k != "tariffs"})
        elif content == "BAD-PERIOD":
            cdr["charging_periods"][0]["dimensions"][0]["volume"] = "1.973 h"
            path = write(tmp_path, "cdr.json", cdr)
        else:
            path = write(tmp_path, f"{option}.json", content)
        arguments += [f"--{option}", path]
    return arguments
