from typing import TypeVar

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
    """The driver's RFID cards, valid ones first, newest first, with the order of each ordered
    card (`card_order`)."""
    return (
        Token.objects.filter(user=user, type=Token.Type.RFID)
        .select_related("card_order")
        .order_by("-valid", "-created_at")
    )


def token_list(*, user: User) -> QuerySet[Token]:
    """All the driver's tokens: the app token first, then RFID cards (valid first)."""
    return Token.objects.filter(user=user).order_by("type", "-valid", "-created_at", "-pk")


Owned = TypeVar("Owned", Token, CardOrder)


def token_get(*, user: User, token_id: int | str) -> Token:
    """The driver's own token; Token.DoesNotExist for anyone else's (callers answer 404)."""
    return _own(Token, user=user, object_id=token_id)


def card_order_get(*, user: User, order_id: int | str) -> CardOrder:
    """The driver's own card order; CardOrder.DoesNotExist for anyone else's (404)."""
    return _own(CardOrder, user=user, object_id=order_id)


def _own(model: type[Owned], *, user: User, object_id: int | str) -> Owned:
    """The driver's object by an id from a path: DoesNotExist for anyone else's, and for what
    cannot be a database id."""
    try:
        key = int(object_id)
    except (TypeError, ValueError):
        raise model.DoesNotExist from None
    if not 0 < key < 2**63:
        raise model.DoesNotExist
    return model.objects.get(user=user, pk=key)


def card_order_list(*, user: User) -> QuerySet[CardOrder]:
    return CardOrder.objects.filter(user=user).select_related("token").order_by("-created_at")
