"""The CommandResult a CPO posts to the response_url we gave with a command."""

import uuid

import pytest

from roaming.models import Command
from roaming.selectors import ocpi_url
from tests.roaming.conftest import BASE


@pytest.fixture
def command(cpo):
    return Command.objects.create(kind="START_SESSION", partner=cpo, status=Command.Status.ACCEPTED)


def result_path(command: Command) -> str:
    return f"{BASE}/commands/{command.kind}/{command.uid}"


def test_response_url_is_under_our_public_url(command):
    url = ocpi_url("ocpi-command-result", command=command.kind, uid=str(command.uid))
    assert url == f"http://127.0.0.1:8000{result_path(command)}"


@pytest.mark.parametrize(
    ("result", "status"),
    [
        ("ACCEPTED", "succeeded"),
        ("REJECTED", "rejected"),
        ("TIMEOUT", "timeout"),
        ("EVSE_OCCUPIED", "failed"),
        ("FAILED", "failed"),
    ],
)
def test_result_is_recorded(ocpi, command, result, status):
    body = {"result": result, "message": [{"language": "en", "text": "from the charger"}]}
    response = ocpi.post(result_path(command), body)
    assert response.status_code == 200, response.json()
    command.refresh_from_db()
    assert (command.result, command.status) == (result, status)
    assert command.result_message == body["message"]
    assert command.result_at is not None


def test_unknown_command_uid_answers_404(ocpi, command):
    response = ocpi.post(f"{BASE}/commands/START_SESSION/{uuid.uuid4()}", {"result": "ACCEPTED"})
    assert response.status_code == 404
    assert (
        ocpi.post(f"{BASE}/commands/START_SESSION/not-a-uuid", {"result": "ACCEPTED"}).status_code
        == 404
    )


def test_result_for_the_wrong_command_type_answers_404(ocpi, command):
    response = ocpi.post(f"{BASE}/commands/STOP_SESSION/{command.uid}", {"result": "ACCEPTED"})
    assert response.status_code == 404
    command.refresh_from_db()
    assert command.result == ""


def test_another_partner_cannot_post_our_command_result(other_ocpi, command):
    response = other_ocpi.post(result_path(command), {"result": "ACCEPTED"})
    assert response.status_code == 404
    command.refresh_from_db()
    assert command.status == Command.Status.ACCEPTED


def test_invalid_result_is_refused(ocpi, command):
    response = ocpi.post(result_path(command), {"result": "DONE"})
    assert response.status_code == 400
    assert "result" in response.json()["status_message"]
    command.refresh_from_db()
    assert command.result == ""
