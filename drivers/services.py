import re
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from drivers.models import CardOrder, DriverProfile, FavouriteLocation, Token, User
from drivers.selectors import driver_profile_get
from drivers.selectors_find import locations_visible

PROFILE_FIELDS = (
    "full_name",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "preferred_language",
    "marketing_consent",
    "notification_emails",
)


def driver_profile_create(*, user: User, **fields: Any) -> DriverProfile:
    profile = DriverProfile(user=user)
    return _profile_apply(profile, fields)


@transaction.atomic
def driver_profile_update(*, user: User, **fields: Any) -> DriverProfile:
    """Change the named profile fields after validating the whole profile (full_clean)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}")
    profile = driver_profile_get(user=user)
    profile = DriverProfile.objects.select_for_update().get(pk=profile.pk)
    return _profile_apply(profile, fields)


def _profile_apply(profile: DriverProfile, fields: dict[str, Any]) -> DriverProfile:
    consent_before = profile.marketing_consent
    for name, value in fields.items():
        setattr(profile, name, value)
    if profile.marketing_consent != consent_before or (
        profile.pk is None and profile.marketing_consent
    ):
        profile.marketing_consent_changed_at = timezone.now()
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def driver_delete(*, user: User) -> None:
    """Erase a driver's account and personal data.

    Records the law makes us keep (invoices) are not deleted: their foreign key to the user is
    SET_NULL and they carry their own copy of the buyer's details, so they survive detached.
    """
    get_user_model().objects.filter(pk=user.pk).delete()


# Charging tokens (OCPI Tokens we issue; the roaming app serves them to CPOs).

TOKEN_ISSUER = "EMSP"


@transaction.atomic
def token_app_get_or_create(*, user: User) -> Token:
    """The driver's APP_USER token, created on first need (whitelist NEVER: the CPO asks us).

    Locks the user row so two concurrent first requests create one token.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    token = Token.objects.filter(user=user, type=Token.Type.APP_USER).order_by("pk").first()
    if token is not None:
        return token
    return Token.objects.create(
        user=user,
        uid=str(uuid.uuid4()),
        type=Token.Type.APP_USER,
        contract_id=_contract_id_for(user),
        issuer=_token_issuer(),
        whitelist=Token.Whitelist.NEVER,
        language=driver_profile_get(user=user).preferred_language[:2],
    )


@transaction.atomic
def token_rfid_add(*, user: User, uid: str, visual_number: str = "", valid: bool = True) -> Token:
    """Link an RFID card to a driver. Real-time authorisation normally, allowed when the CPO
    cannot reach us (ALLOWED_OFFLINE). ValidationError when the uid is taken or malformed."""
    token = Token(
        user=user,
        valid=valid,
        uid=uid.strip(),
        type=Token.Type.RFID,
        contract_id=_contract_id_for(user),
        visual_number=visual_number.strip(),
        issuer=_token_issuer(),
        whitelist=Token.Whitelist.ALLOWED_OFFLINE,
        language=driver_profile_get(user=user).preferred_language[:2],
    )
    token.full_clean()
    token.save()
    return token


@transaction.atomic
def token_valid_set(*, token: Token, valid: bool) -> Token:
    """Block (valid False) or unblock a token; CPOs see the change on their next token pull."""
    token = Token.objects.select_for_update().get(pk=token.pk)
    if token.valid != valid:
        token.valid = valid
        token.save(update_fields=["valid"])
    return token


RFID_UID = re.compile(r"^[0-9A-F]{8,20}$")
VISUAL_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 -]{0,62}[A-Z0-9]$|^[A-Z0-9]$")


def rfid_card_clean(*, uid: str, visual_number: str) -> tuple[str, str]:
    """The card's uid as the reader sends it (hex, 8 to 20 digits, upper-cased) and the number
    printed on it (letters, digits, spaces and dashes). ValidationError naming the field."""
    uid = uid.strip().replace(":", "").replace(" ", "").upper()
    visual_number = " ".join(visual_number.split()).upper()
    errors = {}
    if not RFID_UID.match(uid):
        errors["uid"] = [_("Enter the card's UID: 8 to 20 hexadecimal digits (0-9, A-F).")]
    if not VISUAL_NUMBER.match(visual_number):
        errors["visual_number"] = [
            _("Enter the number printed on the card (letters, digits, spaces and dashes).")
        ]
    if errors:
        raise ValidationError(errors)
    return uid, visual_number


@transaction.atomic
def token_rfid_link(*, user: User, uid: str, visual_number: str, valid: bool = True) -> Token:
    """Link an RFID card the driver holds to their account, and tell the CPOs (after commit).
    ValidationError (field uid) when the card is anyone's already. `valid` False: a card not
    in the driver's hands yet (an order), activated later (`card_order_activate`)."""
    uid, visual_number = rfid_card_clean(uid=uid, visual_number=visual_number)
    taken = Token.objects.annotate(upper_uid=Upper("uid")).filter(
        upper_uid=uid, type=Token.Type.RFID
    )
    if taken.exists():
        raise ValidationError({"uid": [_("This card is already linked to an account.")]})
    try:
        with transaction.atomic():
            token = token_rfid_add(user=user, uid=uid, visual_number=visual_number, valid=valid)
    except IntegrityError:  # linked at the same moment by another request
        raise ValidationError({"uid": [_("This card is already linked to an account.")]}) from None
    _push_later(token)
    return token


@transaction.atomic
def token_block(*, user: User, token_id: int) -> Token:
    """Block the driver's lost RFID card for good (valid False) and push it to every CPO after
    commit. Only staff can unblock (`token_unblock`). Token.DoesNotExist for another driver's
    token; ValidationError for the app token (blocking it would lock the driver out)."""
    token = Token.objects.select_for_update().get(pk=token_id, user=user)
    if token.type != Token.Type.RFID:
        raise ValidationError(_("Only RFID cards can be blocked."))
    from billing.models import TokenBlock

    # Blocked for unpaid invoices too: paying them must not bring the lost card back.
    TokenBlock.objects.filter(token=token).delete()
    if not token.valid:
        return token
    token = token_valid_set(token=token, valid=False)
    _push_later(token)
    return token


@transaction.atomic
def token_unblock(*, token: Token) -> Token:
    """Staff: make a blocked token valid again and push it to every CPO after commit."""
    token = token_valid_set(token=token, valid=True)
    _push_later(token)
    return token


def _push_later(token: Token) -> None:
    from billing.tasks import token_push_task

    token_id = token.pk
    transaction.on_commit(lambda: token_push_task.delay(token_id), robust=True)


@transaction.atomic
def card_order_request(*, user: User) -> CardOrder:
    """Order an RFID card to the address on the driver's profile. ValidationError when the
    profile has no complete address or an order is still open."""
    profile = driver_profile_get(user=user)
    if not profile.has_billing_address:
        raise ValidationError(
            _("Add your name and address to your profile first: we post the card there.")
        )
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if CardOrder.objects.filter(user=user, status=CardOrder.Status.REQUESTED).exists():
        raise ValidationError(_("Your card is already ordered; it will be posted soon."))
    lines = [
        profile.address_line1,
        profile.address_line2,
        f"{profile.postal_code} {profile.city}".strip(),
        profile.country.name,
    ]
    return CardOrder.objects.create(
        user=user,
        shipping_name=profile.full_name,
        shipping_address="\n".join(line for line in lines if line),
    )


@transaction.atomic
def card_order_fulfil(*, order_id: int, uid: str, visual_number: str) -> CardOrder:
    """Staff: the card for this order is picked; its uid creates the driver's RFID token, not
    valid until the driver activates it on arrival. ValidationError when the order is not open
    or the card is taken or malformed."""
    order = CardOrder.objects.select_for_update().select_related("user").get(pk=order_id)
    if order.status != CardOrder.Status.REQUESTED:
        raise ValidationError(_("This order already has its card."))
    order.token = token_rfid_link(
        user=order.user, uid=uid, visual_number=visual_number, valid=False
    )
    order.status = CardOrder.Status.LINKED
    order.linked_at = timezone.now()
    order.save(update_fields=["token", "status", "linked_at"])
    return order


@transaction.atomic
def card_order_ship(*, order_id: int) -> CardOrder:
    """Staff: the linked card is in the post. Idempotent; ValidationError before it is linked."""
    order = CardOrder.objects.select_for_update().get(pk=order_id)
    if order.status in (CardOrder.Status.SHIPPED, CardOrder.Status.ACTIVATED):
        return order
    if order.status != CardOrder.Status.LINKED:
        raise ValidationError(_("Enter the card's UID before shipping it."))
    order.status = CardOrder.Status.SHIPPED
    order.shipped_at = timezone.now()
    order.save(update_fields=["status", "shipped_at"])
    return order


@transaction.atomic
def card_order_activate(*, user: User, order_id: int, visual_number: str) -> CardOrder:
    """The driver has the ordered card: the number printed on it makes it valid, and the CPOs
    are told (after commit). Activating it again changes nothing. CardOrder.DoesNotExist for
    anyone else's order; ValidationError (field visual_number) for another number, or when the
    card is not linked yet. While the driver's tokens are blocked for unpaid invoices, the card
    is blocked with them (valid once they are paid)."""
    order = CardOrder.objects.select_for_update().get(pk=order_id, user=user)
    if order.status == CardOrder.Status.ACTIVATED:
        return order
    if not order.awaiting_activation:
        raise ValidationError({"visual_number": [_("This card is not posted to you yet.")]})
    if _printed(visual_number) != _printed(order.token.visual_number):
        raise ValidationError(
            {"visual_number": [_("This is not the number printed on the card we posted.")]}
        )
    from billing.models import TokenBlock

    if TokenBlock.objects.filter(token__user=user).exists():
        TokenBlock.objects.get_or_create(token=order.token)
    else:
        token_valid_set(token=order.token, valid=True)
        _push_later(order.token)
    order.status = CardOrder.Status.ACTIVATED
    order.activated_at = timezone.now()
    order.save(update_fields=["status", "activated_at"])
    return order


def _printed(visual_number: str) -> str:
    """A card number as compared: case, spaces and dashes as typed do not matter."""
    return re.sub(r"[\s-]", "", visual_number).upper()


def _token_issuer() -> str:
    return (getattr(settings, "OCPI_BUSINESS_NAME", "") or settings.SITE_NAME or TOKEN_ISSUER)[:64]


def _contract_id_for(user: User) -> str:
    """One contract id per driver, shared by their tokens: eMA ID shape CC-PPP-C<8 chars>."""
    existing = Token.objects.filter(user=user).values_list("contract_id", flat=True).first()
    if existing:
        return existing
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    instance = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{settings.OCPI_COUNTRY_CODE}-{settings.OCPI_PARTY_ID}-C{instance}".upper()


def favourite_location_add(*, user: User, location_id: int) -> FavouriteLocation:
    """Mark a Location drivers may see as the driver's favourite (again: no change).
    Location.DoesNotExist for unknown or hidden Locations."""
    location = locations_visible().only("pk").get(pk=location_id)
    favourite, _ = FavouriteLocation.objects.get_or_create(user=user, location=location)
    return favourite


def favourite_location_remove(*, user: User, location_id: int) -> bool:
    """Forget one of the driver's favourites; False when it was not theirs."""
    deleted, _ = FavouriteLocation.objects.filter(user=user, location_id=location_id).delete()
    return bool(deleted)
