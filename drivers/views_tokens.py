"""The driver's charging tokens page (/account/tokens/): the app token, RFID cards (link one,
order one and activate it when it arrives, block a lost one) and card orders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from drivers import selectors, services
from drivers.forms import CardActivateForm, RfidLinkForm
from drivers.models import CardOrder, Token


def _page(
    request: HttpRequest,
    form: RfidLinkForm | None = None,
    status: int = 200,
    failed_activation: CardActivateForm | None = None,
):
    orders = list(selectors.card_order_list(user=request.user))
    for order in orders:  # the order whose activation failed keeps its form and errors
        if order.awaiting_activation:
            if failed_activation is not None and failed_activation.order_id == order.pk:
                order.activate_form = failed_activation
            else:
                order.activate_form = CardActivateForm(order_id=order.pk)
    context = {
        "app_token": services.token_app_get_or_create(user=request.user),
        "rfid_tokens": selectors.token_rfid_list(user=request.user),
        "card_orders": orders,
        "form": form or RfidLinkForm(),
    }
    return render(request, "drivers/tokens.html", context, status=status)


@login_required
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def token_rfid_link(request: HttpRequest) -> HttpResponse:
    form = RfidLinkForm(request.POST)
    if form.is_valid():
        try:
            token = services.token_rfid_link(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request, _("Card %(number)s is linked.") % {"number": token.visual_number}
            )
            return redirect("drivers:tokens")
    return _page(request, form, status=400)


@login_required
@require_POST
def card_order(request: HttpRequest) -> HttpResponse:
    try:
        services.card_order_request(user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your card is ordered. We post it to your address."))
    return redirect("drivers:tokens")


@login_required
@require_POST
def card_order_activate(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = selectors.card_order_get(user=request.user, order_id=order_id)
    except CardOrder.DoesNotExist:
        raise Http404 from None
    form = CardActivateForm(request.POST, order_id=order.pk)
    if form.is_valid():
        try:
            order = services.card_order_activate(
                user=request.user, order_id=order.pk, **form.cleaned_data
            )
        except ValidationError as error:
            for message in error.message_dict.get("visual_number", error.messages):
                form.add_error("visual_number", message)
        else:
            messages.success(
                request,
                _("Card %(number)s is activated. You can charge with it now.")
                % {"number": order.token.visual_number},
            )
            return redirect("drivers:tokens")
    return _page(request, status=400, failed_activation=form)


@login_required
@require_POST
def token_block(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.token_block(user=request.user, token_id=token_id)
    except Token.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Card %(number)s is blocked. It can no longer be used to charge.")
            % {"number": token.visual_number or token.uid},
        )
    return redirect("drivers:tokens")
