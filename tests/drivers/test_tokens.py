"""The driver's charging tokens on the page (/account/tokens/) and through the API: the app
token, linking an RFID card, ordering one (fulfilled by staff in the admin), blocking a lost one
(pushed to the CPOs, over real HTTP); duplicates, bad input, another driver's tokens."""

import pytest
from rest_framework.test import APIClient

from billing.models import TokenBlock
from drivers import services
from drivers.models import CardOrder, Token
from tests.billing.cpo_tokens import TokensReceiver
from tests.drivers.factories import DriverFactory, DriverProfileFactory, StaffFactory
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo_tokens():
    """A connected CPO's tokens receiver (real HTTP on loopback) recording our pushes."""
    with TokensReceiver() as receiver:
        receiver.partner()
        yield receiver


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def pushed(receiver) -> list[tuple[str, bool]]:
    return [
        (entry["path"].split("?")[0].rsplit("/", 1)[-1], entry["body"]["valid"])
        for entry in receiver.received
    ]


# --- the list ------------------------------------------------------------------------------


def test_the_app_token_is_made_on_first_look_and_listed_first(driver, driver_client):
    card = TokenFactory(user=driver)
    TokenFactory()  # someone else's

    answer = api(driver).get("/api/v1/tokens").json()

    app_token = Token.objects.get(user=driver, type="APP_USER")
    assert [t["id"] for t in answer["tokens"]] == [app_token.pk, card.pk]
    assert answer["tokens"][0]["contract_id"] == app_token.contract_id
    assert answer["tokens"][1]["visual_number"] == card.visual_number
    assert answer["card_orders"] == []
    assert api(driver).get("/api/v1/tokens").json()["tokens"][0]["id"] == app_token.pk  # once
    page = driver_client.get("/account/tokens/").content.decode()
    assert app_token.contract_id in page
    assert card.uid in page


# --- linking a card ------------------------------------------------------------------------


def test_a_driver_links_a_card_and_the_cpos_are_told(
    driver, driver_client, cpo_tokens, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(driver).post(
            "/api/v1/tokens/rfid",
            {"uid": " 04:a2:b3:c4:d5:e6:f7 ", "visual_number": "nl-ems-000123"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    token = Token.objects.get(pk=response.json()["id"])
    assert (token.user, token.type, token.uid) == (driver, "RFID", "04A2B3C4D5E6F7")
    assert token.visual_number == "NL-EMS-000123"
    assert token.valid
    assert token.whitelist == "ALLOWED_OFFLINE"
    assert pushed(cpo_tokens) == [("04A2B3C4D5E6F7", True)]

    page = driver_client.post(
        "/account/tokens/rfid/", {"uid": "0011223344556677", "visual_number": "CARD 2"}
    )
    assert page.status_code == 302
    assert Token.objects.filter(user=driver, uid="0011223344556677").exists()
    assert "Card CARD 2 is linked." in driver_client.get(page["Location"]).content.decode()


@pytest.mark.parametrize(
    "uid", ["04a2b3c4d5e6f7", "04A2B3C4D5E6F7"], ids=["same-card-lower-case", "same-card"]
)
def test_a_card_linked_to_any_account_cannot_be_linked_again(driver, driver_client, uid):
    TokenFactory(uid="04A2B3C4D5E6F7")  # another driver's card

    response = api(driver).post(
        "/api/v1/tokens/rfid", {"uid": uid, "visual_number": "X1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "uid": ["This card is already linked to an account."]
    }
    page = driver_client.post("/account/tokens/rfid/", {"uid": uid, "visual_number": "X1"})
    assert page.status_code == 400
    assert "This card is already linked to an account." in page.content.decode()
    assert Token.objects.filter(type="RFID").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"uid": "04A2", "visual_number": "A1"}, "uid"),
        ({"uid": "ZZZZZZZZZZ", "visual_number": "A1"}, "uid"),
        ({"uid": "04A2B3C4D5E6F7A8B9C0D1", "visual_number": "A1"}, "uid"),
        ({"uid": "04A2B3C4<script>", "visual_number": "A1"}, "uid"),
        ({"uid": "04A2B3C4\x00", "visual_number": "A1"}, "uid"),
        ({"uid": "04A2B3C4D5", "visual_number": "<b>bold</b>"}, "visual_number"),
        ({"uid": "04A2B3C4D5", "visual_number": "   "}, "visual_number"),
        ({"uid": "04A2B3C4D5", "visual_number": "A" * 65}, "visual_number"),
        ({"uid": "0" * 5000, "visual_number": "A1"}, "uid"),
        ({"uid": 4711, "visual_number": "A1"}, "uid"),
        ({"visual_number": "A1"}, "uid"),
        ({"uid": "04A2B3C4D5", "visual_number": "A1", "valid": False}, "valid"),
    ],
    ids=[
        "uid-too-short",
        "uid-not-hex",
        "uid-too-long",
        "uid-markup",
        "uid-null-character",
        "number-markup",
        "number-blank",
        "number-too-long",
        "uid-oversized",
        "uid-number",
        "uid-missing",
        "unknown-field",
    ],
)
def test_bad_card_details_are_refused_naming_the_field(driver, driver_client, body, field):
    response = api(driver).post("/api/v1/tokens/rfid", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    if field != "valid":
        form = {key: value for key, value in body.items() if isinstance(value, str)}
        page = driver_client.post("/account/tokens/rfid/", form)
        assert page.status_code == 400
        assert 'aria-invalid="true"' in page.content.decode()
    assert not Token.objects.filter(type="RFID").exists()


def test_a_body_that_is_not_an_object_is_refused(driver):
    for body in ([1, 2], "04A2B3C4D5", None):
        response = api(driver).post("/api/v1/tokens/rfid", body, format="json")
        assert response.status_code == 400
    assert not Token.objects.filter(type="RFID").exists()


# --- ordering a card, fulfilled by staff -----------------------------------------------------


def test_a_driver_orders_a_card_and_staff_fulfil_and_ship_it(
    driver, client, cpo_tokens, django_capture_on_commit_callbacks
):
    profile = DriverProfileFactory(user=driver)

    response = api(driver).post("/api/v1/tokens/rfid/order", format="json")

    assert response.status_code == 201, response.json()
    order = CardOrder.objects.get(pk=response.json()["id"])
    assert order.status == "requested"
    assert order.shipping_name == profile.full_name
    assert profile.address_line1 in order.shipping_address
    assert profile.city in order.shipping_address
    again = api(driver).post("/api/v1/tokens/rfid/order", format="json")
    assert again.status_code == 409
    assert "already ordered" in again.json()["error"]["message"]
    assert CardOrder.objects.count() == 1

    staff = StaffFactory(role="support")
    client.force_login(staff)
    form = client.get(f"/admin/drivers/cardorder/{order.pk}/fulfil/")
    assert form.status_code == 200
    bad = client.post(
        f"/admin/drivers/cardorder/{order.pk}/fulfil/", {"uid": "nothex", "visual_number": "C1"}
    )
    assert bad.status_code == 200
    assert "8 to 20 hexadecimal digits" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/admin/drivers/cardorder/{order.pk}/fulfil/",
            {"uid": "A1B2C3D4E5F6", "visual_number": "NL-EMS-777"},
        )
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "linked"
    assert (order.token.user, order.token.uid, order.token.type) == (driver, "A1B2C3D4E5F6", "RFID")
    assert not order.token.valid  # not in the driver's hands yet
    assert pushed(cpo_tokens) == [("A1B2C3D4E5F6", False)]
    twice = client.post(
        f"/admin/drivers/cardorder/{order.pk}/fulfil/",
        {"uid": "A1B2C3D4E5F7", "visual_number": "NL-EMS-778"},
    )
    assert "already has its card" in twice.content.decode()
    shipped = client.post(
        "/admin/drivers/cardorder/",
        {"action": "mark_shipped", "_selected_action": [order.pk]},
    )
    assert shipped.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"
    answer = api(driver).get("/api/v1/tokens").json()
    assert answer["card_orders"][0]["status"] == "shipped"
    assert answer["card_orders"][0]["token_id"] == order.token_id
    assert Token.objects.filter(type="RFID").count() == 1


def test_a_card_is_not_ordered_without_an_address(db):
    driver = DriverFactory()
    driver.profile.address_line1 = ""
    driver.profile.save()

    response = api(driver).post("/api/v1/tokens/rfid/order", format="json")

    assert response.status_code == 409
    assert "address" in response.json()["error"]["message"]
    assert not CardOrder.objects.exists()


def test_the_order_page_button_orders_once(driver, driver_client):
    first = driver_client.post("/account/tokens/rfid/order/")
    second = driver_client.post("/account/tokens/rfid/order/", follow=True)

    assert first.status_code == 302
    assert "already ordered" in second.content.decode()
    assert CardOrder.objects.filter(user=driver).count() == 1


def test_an_order_takes_no_input(driver):
    response = api(driver).post("/api/v1/tokens/rfid/order", {"uid": "X"}, format="json")

    assert response.status_code == 400
    assert not CardOrder.objects.exists()


# --- activating an ordered card when it arrives ---------------------------------------------


@pytest.fixture
def posted_card(driver):
    """A card ordered by the driver, linked and posted by staff: not valid yet."""
    DriverProfileFactory(user=driver)
    order = services.card_order_request(user=driver)
    services.card_order_fulfil(order_id=order.pk, uid="A1B2C3D4E5F6", visual_number="NL-EMS-777")
    return services.card_order_ship(order_id=order.pk)


def activate(user, order_id, body):
    return api(user).post(f"/api/v1/tokens/rfid/orders/{order_id}/activate", body, format="json")


def test_an_ordered_card_charges_only_once_the_driver_activates_it(
    driver, posted_card, cpo_tokens, django_capture_on_commit_callbacks
):
    card = posted_card.token
    listed = api(driver).get("/api/v1/tokens").json()
    assert listed["card_orders"][0]["status"] == "shipped"
    assert [t["valid"] for t in listed["tokens"] if t["id"] == card.pk] == [False]

    with django_capture_on_commit_callbacks(execute=True):
        wrong = activate(driver, posted_card.pk, {"visual_number": "NL-EMS-778"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"]["visual_number"] == [
        "This is not the number printed on the card we posted."
    ]
    card.refresh_from_db()
    assert not card.valid
    assert cpo_tokens.received == []

    with django_capture_on_commit_callbacks(execute=True):
        done = activate(driver, posted_card.pk, {"visual_number": " nl ems 777 "})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "activated"
    assert done.json()["activated_at"]
    card.refresh_from_db()
    assert card.valid
    assert pushed(cpo_tokens) == [("A1B2C3D4E5F6", True)]

    with django_capture_on_commit_callbacks(execute=True):
        again = activate(driver, posted_card.pk, {"visual_number": "NL-EMS-777"})
    assert again.status_code == 200
    assert len(cpo_tokens.received) == 1  # nothing changed: nothing pushed


def test_the_page_activates_a_card_that_arrived(driver, driver_client, posted_card):
    page = driver_client.get("/account/tokens/").content.decode()
    action = f"/account/tokens/orders/{posted_card.pk}/activate/"
    assert action in page
    assert "not activated yet" in page
    assert page.count('id="id_visual_number"') == 1  # the link form's; the order's has its own
    assert f'id="id_order{posted_card.pk}_visual_number"' in page

    wrong = driver_client.post(action, {"visual_number": "NL-EMS-1"})
    assert wrong.status_code == 400
    assert "This is not the number printed on the card we posted." in wrong.content.decode()

    done = driver_client.post(action, {"visual_number": "nl-ems-777"}, follow=True)
    assert "Card NL-EMS-777 is activated." in done.content.decode()
    assert action not in done.content.decode()
    posted_card.token.refresh_from_db()
    assert posted_card.token.valid


def test_a_card_activated_while_the_drivers_cards_are_blocked_for_debt_waits_for_payment(
    driver, posted_card
):
    from billing.services.dunning import driver_standing_apply

    blocked = TokenFactory(user=driver, valid=False)
    TokenBlock.objects.create(token=blocked)

    assert activate(driver, posted_card.pk, {"visual_number": "NL-EMS-777"}).status_code == 200

    card = posted_card.token
    card.refresh_from_db()
    assert not card.valid
    assert TokenBlock.objects.filter(token=card).exists()
    driver_standing_apply(user_id=driver.pk)  # nothing unpaid any more
    card.refresh_from_db()
    assert card.valid


def test_a_card_not_posted_yet_cannot_be_activated(driver):
    DriverProfileFactory(user=driver)
    order = services.card_order_request(user=driver)

    response = activate(driver, order.pk, {"visual_number": "NL-EMS-777"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["visual_number"] == [
        "This card is not posted to you yet."
    ]
    order.refresh_from_db()
    assert order.status == "requested"


def test_another_drivers_order_is_not_activated(driver, driver_client, posted_card):
    intruder = DriverFactory()
    client = driver_client.__class__()
    client.force_login(intruder)
    body = {"visual_number": "NL-EMS-777"}

    assert activate(intruder, posted_card.pk, body).status_code == 404
    assert client.post(f"/account/tokens/orders/{posted_card.pk}/activate/", body).status_code == (
        404
    )
    assert client.post(f"/account/tokens/orders/{posted_card.pk}/activate/", {}).status_code == 404
    assert client.post(f"/account/tokens/orders/{'9' * 40}/activate/", body).status_code == 404
    for order_id in ("abc", "9" * 40, "-1", "0"):
        assert activate(driver, order_id, body).status_code == 404
    posted_card.refresh_from_db()
    assert posted_card.status == "shipped"
    assert not posted_card.token.valid


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"visual_number": ""},
        {"visual_number": "N" * 65},
        {"visual_number": "<script>alert(1)</script>"},
        {"visual_number": "NL-EMS-777\u0000"},
        {"visual_number": ["NL-EMS-777"]},
        {"visual_number": "NL-EMS-777", "uid": "A1B2C3D4E5F6"},
        ["NL-EMS-777"],
    ],
    ids=["missing", "empty", "oversized", "hostile", "nul", "list", "unknown-field", "not-object"],
)
def test_bad_activation_input_is_refused_and_changes_nothing(driver, posted_card, body):
    response = activate(driver, posted_card.pk, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid", "parse_error")
    posted_card.refresh_from_db()
    assert posted_card.status == "shipped"
    assert not posted_card.token.valid


# --- blocking a lost card -------------------------------------------------------------------


def test_a_driver_blocks_a_lost_card_for_good_and_the_cpos_are_told(
    driver, driver_client, client, cpo_tokens, django_capture_on_commit_callbacks
):
    card = TokenFactory(user=driver)
    TokenBlock.objects.create(token=card)  # blocked for unpaid invoices as well, earlier

    with django_capture_on_commit_callbacks(execute=True):
        response = api(driver).post(f"/api/v1/tokens/{card.pk}/block", format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["valid"] is False
    card.refresh_from_db()
    assert not card.valid
    assert pushed(cpo_tokens) == [(card.uid, False)]
    assert not TokenBlock.objects.exists()  # paying the invoices will not bring it back
    with django_capture_on_commit_callbacks(execute=True):
        again = api(driver).post(f"/api/v1/tokens/{card.pk}/block", format="json")
    assert again.status_code == 200
    assert len(cpo_tokens.received) == 1  # nothing changed: nothing pushed
    page = driver_client.get("/account/tokens/").content.decode()
    assert f"/account/tokens/{card.pk}/block/" not in page  # no unblock for the driver

    staff = StaffFactory(role="support")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/drivers/token/", {"action": "unblock", "_selected_action": [card.pk]})
    card.refresh_from_db()
    assert card.valid
    assert pushed(cpo_tokens) == [(card.uid, False), (card.uid, True)]


def test_the_block_button_on_the_page_blocks_the_card(
    driver, driver_client, cpo_tokens, django_capture_on_commit_callbacks
):
    card = TokenFactory(user=driver)

    with django_capture_on_commit_callbacks(execute=True):
        response = driver_client.post(f"/account/tokens/{card.pk}/block/", follow=True)

    assert "is blocked" in response.content.decode()
    card.refresh_from_db()
    assert not card.valid
    assert pushed(cpo_tokens) == [(card.uid, False)]


def test_the_app_token_cannot_be_blocked_by_the_driver(driver):
    app = api(driver)
    app_token_id = app.get("/api/v1/tokens").json()["tokens"][0]["id"]

    response = app.post(f"/api/v1/tokens/{app_token_id}/block", format="json")

    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only RFID cards can be blocked."
    assert Token.objects.get(pk=app_token_id).valid


def test_another_drivers_token_is_not_found(driver, driver_client, cpo_tokens):
    theirs = TokenFactory()

    assert api(driver).post(f"/api/v1/tokens/{theirs.pk}/block", format="json").status_code == 404
    assert driver_client.post(f"/account/tokens/{theirs.pk}/block/").status_code == 404
    for token_id in ("abc", "9" * 40, "-1", "0"):
        assert (
            api(driver).post(f"/api/v1/tokens/{token_id}/block", format="json").status_code == 404
        )
    theirs.refresh_from_db()
    assert theirs.valid
    assert cpo_tokens.received == []


def test_a_block_takes_no_input(driver):
    card = TokenFactory(user=driver)

    response = api(driver).post(f"/api/v1/tokens/{card.pk}/block", {"valid": True}, format="json")

    assert response.status_code == 400
    card.refresh_from_db()
    assert card.valid


def test_without_sign_in_nothing_is_answered(client, api_client):
    card = TokenFactory()

    assert api_client.get("/api/v1/tokens").status_code == 401
    assert (
        api_client.post(
            "/api/v1/tokens/rfid", {"uid": "04A2B3C4D5", "visual_number": "A1"}, format="json"
        ).status_code
        == 401
    )
    assert api_client.post("/api/v1/tokens/rfid/order", format="json").status_code == 401
    assert api_client.post(f"/api/v1/tokens/{card.pk}/block", format="json").status_code == 401
    assert (
        api_client.post(
            "/api/v1/tokens/rfid/orders/1/activate", {"visual_number": "A1"}, format="json"
        ).status_code
        == 401
    )
    assert client.get("/account/tokens/").status_code == 302
    assert client.post(f"/account/tokens/{card.pk}/block/").status_code in (302, 403)
    card.refresh_from_db()
    assert card.valid
    assert Token.objects.count() == 1
