"""Unpaid invoices: past the unpaid limit (driver_unpaid_limit_check) the driver's tokens are
blocked and the CPOs told (a Token PUT to each); once paid, the same tokens are unblocked and
pushed again."""

import logging

from django.db import transaction

from billing.models import TokenBlock
from billing.services.payments import driver_unpaid_limit_check
from drivers.models import Token, User
from drivers.services import token_valid_set

logger = logging.getLogger(__name__)


def driver_standing_apply(*, user_id: int) -> list[int]:
    """Block or unblock the driver's tokens by the unpaid rule; the ids of the tokens changed
    (their push to the CPOs is enqueued after commit)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return []
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one decision at a time
        over_limit = driver_unpaid_limit_check(user=user)
        changed = _block(user) if over_limit else _unblock(user)
        for token_id in changed:
            transaction.on_commit(lambda token_id=token_id: _push_later(token_id), robust=True)
    if changed:
        logger.info("driver %s: tokens %s changed by the unpaid rule", user.pk, changed)
    return changed


def _block(user: User) -> list[int]:
    changed = []
    for token in Token.objects.filter(user=user, valid=True):
        token_valid_set(token=token, valid=False)
        TokenBlock.objects.get_or_create(token=token)
        changed.append(token.pk)
    return changed


def _unblock(user: User) -> list[int]:
    changed = []
    for block in TokenBlock.objects.select_related("token").filter(token__user=user):
        token_valid_set(token=block.token, valid=True)
        TokenBlock.objects.filter(pk=block.pk).delete()
        changed.append(block.token_id)
    return changed


def driver_standing_apply_later(*, user_id: int) -> None:
    from billing.tasks import driver_standing_apply_task

    transaction.on_commit(lambda: driver_standing_apply_task.delay(user_id), robust=True)


def _push_later(token_id: int) -> None:
    from billing.tasks import token_push_task

    token_push_task.delay(token_id)
