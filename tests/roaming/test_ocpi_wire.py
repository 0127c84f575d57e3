"""The pure wire layer (roaming/ocpi): types, header encoding, pagination, PATCH merging,
version negotiation and the outbound seam (against a real HTTP server on loopback). No database."""

import contextlib
import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from roaming.ocpi.auth import authorization_header, credentials_token_candidates
from roaming.ocpi.envelope import envelope, parse_json_body
from roaming.ocpi.errors import OcpiError, validation_message
from roaming.ocpi.http import OcpiRequestError, RoutingHeaders, ocpi_request
from roaming.ocpi.locations import Connector
from roaming.ocpi.merging import merge_object, merge_session_patch, patch_last_updated
from roaming.ocpi.pagination import PageRequest, next_page_url, page_headers, page_request
from roaming.ocpi.tariffs import PriceComponent
from roaming.ocpi.types import format_datetime, parse_datetime
from roaming.ocpi.versions import Version, highest_common_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),  # no designator: UTC
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123", datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T03:08:01+02:00", datetime(2018, 1, 1, 1, 8, 1, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123456789Z", datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC)),
    ],
)
def test_datetimes_partners_send_are_read_as_utc(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text", ["2018-01-01", "2018-01-01 01:08:01", "yesterday", "2018-13-01T00:00:00Z", 1514768881]
)
def test_malformed_datetimes_are_refused(text):
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime(text)


def test_we_send_datetimes_with_z():
    assert format_datetime(datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)) == "2015-06-29T20:39:09Z"
    assert (
        format_datetime(datetime(2015, 6, 29, 20, 39, 9, 250000, tzinfo=UTC))
        == "2015-06-29T20:39:09.250Z"
    )


CONNECTOR = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 230,
    "max_amperage": 16,
    "last_updated": "2020-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_voltage", "230"),
        ("max_voltage", 230.5),
        ("max_voltage", True),
        ("max_voltage", -1),
        ("max_voltage", 2**40),
        ("id", 1),
        ("standard", "iec_62196_t2"),
        ("tariff_ids", "11"),
    ],
)
def test_wrong_types_are_refused(field, value):
    with pytest.raises(ValidationError) as error:
        Connector.model_validate(CONNECTOR | {field: value})
    assert field in validation_message(error.value)


def test_numbers_are_exact_decimals_and_strings_are_not_numbers():
    component = PriceComponent.model_validate(
        {"type": "ENERGY", "price": 0.25, "vat": 10, "step_size": 1}
    )
    assert component.price == Decimal("0.25")
    assert component.to_json()["price"] == 0.25
    for bad in ("0.25", None, True, float("nan")):
        with pytest.raises(ValidationError):
            PriceComponent.model_validate({"type": "ENERGY", "price": bad, "step_size": 1})


def test_unknown_fields_are_kept():
    connector = Connector.model_validate(CONNECTOR | {"future_field": {"a": 1}})
    assert connector.to_json()["future_field"] == {"a": 1}


def test_validation_message_names_nested_fields():
    with pytest.raises(ValidationError) as error:
        Connector.model_validate({k: v for k, v in CONNECTOR.items() if k != "power_type"})
    assert (
        validation_message(error.value)
        == "Invalid or missing fields: power_type: missing required field"
    )


# Authorization header


def test_header_is_base64_of_the_token():
    assert authorization_header("example-token") == "Token ZXhhbXBsZS10b2tlbg=="
    assert authorization_header("example-token", raw=True) == "Token example-token"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Token ZXhhbXBsZS10b2tlbg==", [("example-token", False), ("ZXhhbXBsZS10b2tlbg==", True)]),
        ("Token ZXhhbXBsZS10b2tlbgo=", [("example-token", False), ("ZXhhbXBsZS10b2tlbgo=", True)]),
        ("token example-token", [("example-token", True)]),
        ("Token  abcd ", [("abcd", True)]),  # "abcd" is Base64 of bytes that are not text
        ("Bearer abc", []),
        ("Token", []),
        (None, []),
        ("Token " + "a" * 65, []),
    ],
)
def test_header_candidates(header, expected):
    assert [(c.token, c.raw) for c in credentials_token_candidates(header)] == expected


# Pagination


def test_page_headers_link_next_with_the_filters():
    page = PageRequest(offset=0, limit=2, date_from=datetime(2020, 1, 1, tzinfo=UTC))
    headers = page_headers(
        base_url="https://emsp.example.com/ocpi/emsp/2.2.1/tokens", page=page, total=5
    )
    assert headers["X-Total-Count"] == "5"
    assert headers["X-Limit"] == "2"
    assert headers["Link"] == (
        "<https://emsp.example.com/ocpi/emsp/2.2.1/tokens?date_from=2020-01-01T00%3A00%3A00Z"
        '&offset=2&limit=2>; rel="next"'
    )
    last = page_headers(base_url="https://x/t", page=PageRequest(offset=4, limit=2), total=5)
    assert "Link" not in last


@pytest.mark.parametrize(
    ("header", "url"),
    [
        (
            '<https://cpo/locations?offset=50&limit=50>; rel="next"',
            "https://cpo/locations?offset=50&limit=50",
        ),
        ("<https://cpo/a>; rel=next", "https://cpo/a"),
        ('<https://cpo/p>; rel="prev", <https://cpo/n>; rel="next"', "https://cpo/n"),
        ('<https://cpo/p>; rel="prev"', None),
        (None, None),
    ],
)
def test_next_page_url(header, url):
    assert next_page_url(header) == url


def test_page_request_reads_and_bounds():
    page = page_request({"offset": "10", "limit": "5000", "date_to": "2020-01-01T00:00:00"})
    assert (page.offset, page.limit, page.date_to) == (10, 1000, datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(OcpiError):
        page_request({"limit": "-5"})


# PATCH merging


def test_patch_merges_children_by_id():
    stored = {
        "name": "A",
        "evses": [{"uid": "1", "status": "AVAILABLE"}, {"uid": "2", "status": "AVAILABLE"}],
    }
    merged = merge_object(stored, {"evses": [{"uid": "2", "status": "CHARGING"}], "name": "B"})
    assert merged == {
        "name": "B",
        "evses": [{"uid": "1", "status": "AVAILABLE"}, {"uid": "2", "status": "CHARGING"}],
    }
    assert stored["evses"][1]["status"] == "AVAILABLE"  # the stored object is not changed


def test_session_patch_appends_periods_once():
    stored = {
        "kwh": 1,
        "charging_periods": [{"start_date_time": "2020-01-01T00:00:00Z", "dimensions": []}],
    }
    patch = {
        "kwh": 2,
        "charging_periods": [{"start_date_time": "2020-01-01T00:10:00Z", "dimensions": []}],
    }
    once = merge_session_patch(stored, patch)
    assert len(once["charging_periods"]) == 2
    assert len(merge_session_patch(once, patch)["charging_periods"]) == 2
    assert (
        merge_session_patch(stored, {"charging_periods": []})["charging_periods"]
        == stored["charging_periods"]
    )


def test_patch_needs_last_updated():
    with pytest.raises(OcpiError, match="last_updated"):
        patch_last_updated({"status": "AVAILABLE"})


# Versions


def test_highest_common_version():
    theirs = [
        Version(version="2.1.1", url="https://cpo/2.1.1"),
        Version(version="2.2.1", url="https://cpo/2.2.1"),
    ]
    assert highest_common_version(theirs).url == "https://cpo/2.2.1"
    assert highest_common_version(theirs[:1]) is None


# Envelope and JSON bodies


def test_envelope_leaves_data_out_on_errors():
    body = envelope(status_code=2001, status_message="Missing required field: type")
    assert set(body) == {"status_code", "status_message", "timestamp"}
    assert envelope([])["data"] == []


def test_json_body_limits():
    with pytest.raises(OcpiError) as error:
        parse_json_body(b"{}" + b" " * 100, max_bytes=50)
    assert error.value.http_status == 413
    assert parse_json_body(b"", required=False) is None


# The outbound seam against a real server


class Peer:
    def __init__(self, status: int, body: object, delay: float = 0.0) -> None:
        self.status, self.body, self.delay, self.headers = status, body, delay, {}

    def __enter__(self) -> "Peer":
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                peer.headers = dict(self.headers)
                time.sleep(peer.delay)
                payload = (
                    peer.body if isinstance(peer.body, bytes) else json.dumps(peer.body).encode()
                )
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                    self.send_response(peer.status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ocpi/cpo/2.2.1/locations"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


OK = {"data": [], "status_code": 1000, "timestamp": "2020-01-01T00:00:00Z"}


def test_request_sends_token_ids_and_routing_headers():
    routing = RoutingHeaders("NL", "EMS", "BE", "BEC")
    with Peer(200, OK) as peer:
        response = ocpi_request(
            "GET", peer.url, token="tok", timeout=5, routing=routing, correlation_id="c-1"
        )
    assert response.status_code == 1000
    assert peer.headers["Authorization"] == authorization_header("tok")
    assert peer.headers["X-Correlation-ID"] == "c-1"
    assert peer.headers["X-Request-ID"] == response.request_id
    assert (peer.headers["OCPI-from-party-id"], peer.headers["OCPI-to-party-id"]) == ("EMS", "BEC")


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (503, b"unavailable", True),
        (500, {"status_code": 3000, "timestamp": "2020-01-01T00:00:00Z"}, True),
        (401, {"status_code": 2000, "timestamp": "2020-01-01T00:00:00Z"}, False),
        (
            200,
            {"status_code": 2001, "status_message": "bad", "timestamp": "2020-01-01T00:00:00Z"},
            False,
        ),
        (200, {"status_code": 3000, "timestamp": "2020-01-01T00:00:00Z"}, True),
        (200, b"<html>not json</html>", False),
    ],
    ids=["503", "500", "401", "ocpi-2001", "ocpi-3000", "not-an-envelope"],
)
def test_failures_say_whether_to_retry(status, body, retryable):
    with Peer(status, body) as peer, pytest.raises(OcpiRequestError) as error:
        ocpi_request("GET", peer.url, token="tok", timeout=5)
    assert error.value.retryable is retryable


def test_timeout_is_retryable():
    with Peer(200, OK, delay=1.0) as peer, pytest.raises(OcpiRequestError) as error:
        ocpi_request("GET", peer.url, token="tok", timeout=0.2)
    assert error.value.retryable
    assert "timed out" in error.value.message
