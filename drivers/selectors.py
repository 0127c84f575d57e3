from drivers.models import DriverProfile, User


def driver_profile_get(*, user: User) -> DriverProfile:
    """The driver's profile; created empty for accounts made outside sign-up (e.g. staff)."""
    profile, _ = DriverProfile.objects.select_related("user").get_or_create(user=user)
    return profile


def driver_language_get(*, user: User) -> str | None:
    """The language the driver chose for pages and emails; None for accounts without a profile."""
    return (
        DriverProfile.objects.filter(user=user).values_list("preferred_language", flat=True).first()
    )
