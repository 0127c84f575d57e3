from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from drivers.models import DriverProfile, User
from drivers.selectors import driver_profile_get

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
