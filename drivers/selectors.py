from drivers.models import DriverProfile, User


def driver_profile_get(*, user: User) -> DriverProfile:
    """The driver's profile; created empty for accounts made outside sign-up (e.g. staff)."""
    profile, _ = DriverProfile.objects.select_related("user").get_or_create(user=user)
    return profile
