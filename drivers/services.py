import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from drivers.models import DriverProfile, FavouriteLocation, Token, User
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
def token_rfid_add(*, user: User, uid: str, visual_number: str = "") -> Token:
    """Link an RFID card to a driver. Real-time authorisation normally, allowed when the CPO
    cannot reach us (ALLOWED_OFFLINE). ValidationError when the uid is taken or malformed."""
    token = Token(
        user=user,
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
