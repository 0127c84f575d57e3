"""CDRs receiver: a CDR is stored once, served where the Location header says, never changed."""

import copy
import threading
from decimal import Decimal

import pytest
from django.db import connection

from roaming.models import CDR, Session
from roaming.signals import cdr_stored
from tests.roaming.conftest import BASE, OcpiClient, example


def test_cdr_example_is_stored_and_served_at_the_location_header(ocpi):
    data = example("cdr_example")
    response = ocpi.post(f"{BASE}/cdrs", data)
    assert response.status_code == 201, response.json()
    assert response.json()["status_code"] == 1000
    location = response["Location"]
    assert location == "http://127.0.0.1:8000/ocpi/emsp/2.2.1/cdrs/BE/BEC/12345"
    served = ocpi.get(location.removeprefix("http://127.0.0.1:8000"))
    assert served.status_code == 200
    assert served.json()["data"] == data


def test_cdr_example_columns(ocpi):
    """cdr_example.json has latitude and longitude swapped (a known defect): both values are
    within range, so it is accepted as received; the CDR keeps the CPO's sealed data and is
    linked to our stored Location by its id, whose coordinates stay right."""
    ocpi.post(f"{BASE}/cdrs", example("cdr_example"))
    cdr = CDR.objects.get()
    assert cdr.raw["cdr_location"]["coordinates"]["latitude"] == "3.729944"
    assert (cdr.total_cost_excl_vat, cdr.total_cost_incl_vat, cdr.currency) == (
        Decimal("4.00"),
        Decimal("4.40"),
        "EUR",
    )
    assert (cdr.total_energy, cdr.total_time) == (Decimal("15.342"), Decimal("1.973"))
    assert (cdr.token_uid, cdr.contract_id, cdr.evse_id) == (
        "012345678",
        "DE8ACC12E46L89",
        "BE*BEC*E041503003",
    )
    assert cdr.rating_status == CDR.RatingStatus.PENDING


def test_cdr_posted_twice_is_stored_once_and_both_answers_succeed(ocpi):
    data = example("cdr_example")
    first = ocpi.post(f"{BASE}/cdrs", data)
    second = ocpi.post(f"{BASE}/cdrs", data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["status_code"] == 1000
    assert first["Location"] == second["Location"]
    assert CDR.objects.count() == 1


def test_cdr_repeated_with_other_content_keeps_the_first(ocpi):
    data = example("cdr_example")
    ocpi.post(f"{BASE}/cdrs", data)
    changed = copy.deepcopy(data)
    changed["total_cost"] = {"excl_vat": 99.0, "incl_vat": 108.9}
    assert ocpi.post(f"{BASE}/cdrs", changed).status_code == 200
    assert CDR.objects.get().total_cost_excl_vat == Decimal("4.00")


def test_cdr_id_is_case_insensitive_for_the_key(ocpi):
    data = example("cdr_example")
    ocpi.post(f"{BASE}/cdrs", data)
    ocpi.post(f"{BASE}/cdrs", copy.deepcopy(data) | {"id": "12345".upper(), "party_id": "bec"})
    assert CDR.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_store_one_cdr(cpo):
    data = example("cdr_example")
    statuses = []

    def post() -> None:
        try:
            statuses.append(OcpiClient(cpo.plain_token).post(f"{BASE}/cdrs", data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 200, 200, 201]
    assert CDR.objects.count() == 1


def test_credit_cdr_is_a_new_cdr(ocpi):
    data = example("cdr_example")
    ocpi.post(f"{BASE}/cdrs", data)
    credit = copy.deepcopy(data) | {
        "id": "12345-C",
        "credit": True,
        "credit_reference_id": "12345",
        "total_cost": {"excl_vat": -4.0, "incl_vat": -4.4},
    }
    assert ocpi.post(f"{BASE}/cdrs", credit).status_code == 201
    stored = CDR.objects.get(ocpi_id="12345-C")
    assert stored.credit
    assert stored.credit_reference_id == "12345"
    assert stored.total_cost_excl_vat == Decimal("-4.0")


def test_credit_cdr_without_reference_is_refused(ocpi):
    credit = copy.deepcopy(example("cdr_example")) | {"id": "12345-C", "credit": True}
    response = ocpi.post(f"{BASE}/cdrs", credit)
    assert response.status_code == 400
    assert "credit_reference_id" in response.json()["status_message"]
    assert not CDR.objects.exists()


def test_cdr_links_the_session(ocpi):
    session = example("session_example_2_short_finished")
    ocpi.put(f"{BASE}/sessions/BE/BEC/101", session)
    cdr = copy.deepcopy(example("cdr_example")) | {"session_id": "101"}
    ocpi.post(f"{BASE}/cdrs", cdr)
    assert CDR.objects.get().session == Session.objects.get()


def test_stored_cdr_cannot_be_changed():
    cdr = CDR(pk=1)
    cdr._state.adding = False
    with pytest.raises(ValueError, match="immutable"):
        cdr.save()
    with pytest.raises(ValueError, match="immutable"):
        cdr.save(update_fields=["total_cost_excl_vat"])


def test_rating_status_can_change(ocpi):
    ocpi.post(f"{BASE}/cdrs", example("cdr_example"))
    cdr = CDR.objects.get()
    cdr.rating_status = CDR.RatingStatus.RATED
    cdr.save(update_fields=["rating_status"])
    assert CDR.objects.get().rating_status == "rated"


def test_cdr_stored_signal_only_for_new_cdrs(ocpi, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, cdr_id, **kwargs):
        received.append(cdr_id)

    cdr_stored.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ocpi.post(f"{BASE}/cdrs", example("cdr_example"))
            ocpi.post(f"{BASE}/cdrs", example("cdr_example"))
    finally:
        cdr_stored.disconnect(receiver)
    assert received == [CDR.objects.get().pk]


def test_another_partner_cannot_read_the_cdr(ocpi, other_ocpi):
    ocpi.post(f"{BASE}/cdrs", example("cdr_example"))
    response = other_ocpi.get(f"{BASE}/cdrs/BE/BEC/12345")
    assert response.status_code == 404
    assert "data" not in response.json()
