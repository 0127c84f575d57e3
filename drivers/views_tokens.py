"""The driver's charging tokens page (/account/tokens/): the app token, RFID cards (link one,
order one, block a lost one) and card orders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from drivers import selectors, services
from drivers.forms import RfidLinkForm
from drivers.models import Token


def _page(request: HttpRequest, form: RfidLinkForm | None = None, status: int = 200):
    context = {
        "app_token": services.token_app_get_or_create(user=request.user),
        "rfid_tokens": selectors.token_rfid_list(user=request.user),
        "card_orders": selectors.card_order_list(user=request.user),
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
