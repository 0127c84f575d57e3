from django.db.models import QuerySet

from drivers.models import CardOrder, DriverProfile, Token, User


def driver_profile_get(*, user: User) -> DriverProfile:
    """The driver's profile; created empty for accounts made outside sign-up (e.g. staff)."""
    profile, _ = DriverProfile.objects.select_related("user").get_or_create(user=user)
    return profile


def driver_language_get(*, user: User) -> str | None:
    """The language the driver chose for pages and emails; None for accounts without a profile."""
    return (
        DriverProfile.objects.filter(user=user).values_list("preferred_language", flat=True).first()
    )


def token_rfid_list(*, user: User) -> QuerySet[Token]:
    """The driver's RFID cards, valid ones first, newest first."""
    return Token.objects.filter(user=user, type=Token.Type.RFID).order_by("-valid", "-created_at")


def token_list(*, user: User) -> QuerySet[Token]:
    """All the driver's tokens: the app token first, then RFID cards (valid first)."""
    return Token.objects.filter(user=user).order_by("type", "-valid", "-created_at", "-pk")


def token_get(*, user: User, token_id: int | str) -> Token:
    """The driver's own token; Token.DoesNotExist for anyone else's (callers answer 404)."""
    try:
        key = int(token_id)
    except (TypeError, ValueError):
        raise Token.DoesNotExist from None
    if not 0 < key < 2**63:
        raise Token.DoesNotExist
    return Token.objects.get(user=user, pk=key)


def card_order_list(*, user: User) -> QuerySet[CardOrder]:
    return CardOrder.objects.filter(user=user).select_related("token").order_by("-created_at")
