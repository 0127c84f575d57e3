"""Back office for payments: read-only records, and refunds through one admin action."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from billing import services
from billing.forms import RefundForm
from billing.models import (
    CardSetup,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    StripeCustomer,
    WebhookEvent,
)
from billing.stripe_gateway import GatewayError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services: staff look, never edit."""

    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "stripe_payment_intent_id",
        "off_session",
        "amount",
        "status",
        "failure_code",
        "decline_code",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = (
        "amount",
        "currency",
        "reason",
        "state",
        "stripe_refund_id",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "purpose",
        "reference",
        "kind",
        "amount",
        "currency",
        "state",
        "amount_captured",
        "amount_refunded",
    )
    list_filter = ("state", "kind", "currency", "purpose")
    search_fields = (
        "=id",
        "reference",
        "idempotency_key",
        "user__email",
        "stripe_payment_intent_id",
        "stripe_customer_id",
        "attempts__stripe_payment_intent_id",
    )
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Payment._meta.fields]
    inlines = (PaymentAttemptInline, RefundInline)
    actions = ("refund_action",)

    @admin.action(description=_("Refund the selected payment (amount and reason)"))
    def refund_action(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if not request.user.has_perm("billing.add_refund"):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one payment to refund."), messages.ERROR)
            return None
        payment = queryset.get()
        form = RefundForm(
            request.POST if "apply" in request.POST else None,
            initial={"amount": payment.amount_refundable, "request_key": uuid.uuid4()},
        )
        if "apply" in request.POST and form.is_valid():
            try:
                refund = services.refund_request(
                    payment_id=payment.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    request_key=str(form.cleaned_data["request_key"]),
                    created_by=request.user,
                )
            except (services.RefundError, GatewayError) as error:
                form.add_error(None, str(error))
            else:
                level = messages.SUCCESS if refund.state != Refund.State.FAILED else messages.ERROR
                self.message_user(
                    request,
                    _("Refund %(amount)s %(currency)s: %(state)s")
                    % {
                        "amount": refund.amount,
                        "currency": refund.currency,
                        "state": refund.get_state_display(),
                    },
                    level,
                )
                return HttpResponseRedirect(request.get_full_path())
        return TemplateResponse(
            request,
            "billing/admin_refund.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Refund"),
                "payment": payment,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.has_perm("billing.add_refund"):
            actions.pop("refund_action", None)
        return actions


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "number", "stripe_payment_intent_id", "status")
    list_filter = ("status", "off_session")
    search_fields = ("stripe_payment_intent_id", "payment__reference", "payment__user__email")
    list_select_related = ("payment",)
    readonly_fields = [field.name for field in PaymentAttempt._meta.fields]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount", "currency", "reason", "state", "created_by")
    list_filter = ("state", "reason", "currency")
    search_fields = (
        "stripe_refund_id",
        "request_key",
        "payment__reference",
        "payment__user__email",
    )
    list_select_related = ("payment", "created_by")
    readonly_fields = [field.name for field in Refund._meta.fields]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "type",
        "stripe_event_id",
        "object_id",
        "processed_at",
        "outcome",
    )
    list_filter = ("type",)
    search_fields = ("stripe_event_id", "object_id", "type")
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("user", "brand", "last4", "exp_month", "exp_year", "is_default", "created_at")
    list_filter = ("brand", "is_default")
    search_fields = ("user__email", "stripe_id", "last4")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in PaymentMethod._meta.fields]


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    list_display = ("user", "stripe_id", "created_at")
    search_fields = ("user__email", "stripe_id")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in StripeCustomer._meta.fields]


@admin.register(CardSetup)
class CardSetupAdmin(ReadOnlyAdmin):
    list_display = ("user", "stripe_id", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("user__email", "stripe_id")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in CardSetup._meta.fields]


from billing import admin_invoicing  # noqa: E402,F401  (registers the invoicing admin)
