"""Back office for invoicing: invoices and credit notes (read-only; credit notes issued by an
action), CDR ratings with the reconciliation flag, the review queue with its decisions."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from billing.admin import ReadOnlyAdmin
from billing.forms_invoicing import CreditNoteForm, ReviewDecisionForm
from billing.models import (
    CdrRating,
    CdrReview,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    PlanHoldPolicy,
    SessionCost,
    SessionHold,
    TokenBlock,
)
from billing.services.credit_notes import CreditNoteError, credit_note_issue
from billing.services.rating import cdr_review_approve, cdr_review_not_billable
from billing.stripe_gateway import GatewayError
from roaming.models import CDR


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = readonly_fields = (
        "position",
        "component",
        "quantity",
        "unit",
        "unit_price",
        "vat_rate",
        "amount_excl_vat",
        "vat_amount",
        "amount_incl_vat",
    )


class CreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = readonly_fields = ("number", "issued_at", "reason", "total_incl_vat", "created_by")
    show_change_link = True


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "issued_at",
        "buyer_name",
        "buyer_email",
        "total_incl_vat",
        "currency",
        "payment_status",
    )
    list_filter = ("payment_status", "currency", "issued_at")
    search_fields = ("=number", "number", "buyer_email", "buyer_name", "cdr__ocpi_id")
    date_hierarchy = "issued_at"
    readonly_fields = [field.name for field in Invoice._meta.fields]
    inlines = (InvoiceLineInline, CreditNoteInline)
    actions = ("credit_note_action",)

    @admin.action(description=_("Issue a credit note and refund it"))
    def credit_note_action(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if not request.user.has_perm("billing.add_creditnote"):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one invoice."), messages.ERROR)
            return None
        invoice = queryset.get()
        applying = "apply" in request.POST
        form = CreditNoteForm(
            request.POST if applying else None, initial={"request_key": uuid.uuid4()}
        )
        if applying and form.is_valid():
            try:
                note = credit_note_issue(
                    invoice_id=invoice.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    request_key=str(form.cleaned_data["request_key"]),
                    created_by=request.user,
                )
            except (CreditNoteError, GatewayError) as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _("Credit note %(number)s issued for %(amount)s %(currency)s.")
                    % {
                        "number": note.number,
                        "amount": note.total_incl_vat,
                        "currency": note.currency,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(request.get_full_path())
        return TemplateResponse(
            request,
            "billing/admin_credit_note.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Credit note"),
                "invoice": invoice,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.has_perm("billing.add_creditnote"):
            actions.pop("credit_note_action", None)
        return actions


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = readonly_fields = (
        "position",
        "description",
        "vat_rate",
        "amount_excl_vat",
        "vat_amount",
        "amount_incl_vat",
    )


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "issued_at", "invoice", "buyer_email", "total_incl_vat", "reason")
    list_filter = ("reason", "currency", "issued_at")
    search_fields = ("=number", "number", "invoice__number", "buyer_email", "buyer_name")
    list_select_related = ("invoice",)
    date_hierarchy = "issued_at"
    readonly_fields = [field.name for field in CreditNote._meta.fields]
    inlines = (CreditNoteLineInline,)


@admin.register(CdrRating)
class CdrRatingAdmin(ReadOnlyAdmin):
    list_display = (
        "cdr",
        "created_at",
        "cpo_total_excl_vat",
        "our_cpo_total_excl_vat",
        "difference_excl_vat",
        "currency",
        "reconciliation_flagged",
        "review_reason",
        "decision",
    )
    list_filter = ("reconciliation_flagged", "review_reason", "decision", "currency")
    search_fields = ("cdr__ocpi_id", "cdr__token_uid", "cdr__invoice__number")
    list_select_related = ("cdr",)
    readonly_fields = [field.name for field in CdrRating._meta.fields]


@admin.register(CdrReview)
class CdrReviewAdmin(admin.ModelAdmin):
    """The review queue: CDRs not charged. Approve (rate anyway) or mark not billable, with a
    note saying why."""

    list_display = ("cdr", "created_at", "review_reason", "review_message", "cdr_total")
    list_filter = ("review_reason",)
    search_fields = ("cdr__ocpi_id", "cdr__token_uid", "review_message")
    list_select_related = ("cdr",)
    list_per_page = 50
    readonly_fields = [field.name for field in CdrRating._meta.fields]
    actions = ("approve_action", "not_billable_action")

    def get_queryset(self, request: HttpRequest):
        return (
            super().get_queryset(request).filter(cdr__rating_status=CDR.RatingStatus.NEEDS_REVIEW)
        )

    @admin.display(description=_("CPO total"))
    def cdr_total(self, rating: CdrRating) -> str:
        return f"{rating.cdr.total_cost_excl_vat} {rating.cdr.currency}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Approve: rate and charge anyway"), permissions=["change"])
    def approve_action(self, request: HttpRequest, queryset):
        return self._decide(request, queryset, "approve_action", cdr_review_approve)

    @admin.action(description=_("Mark as not billable"), permissions=["change"])
    def not_billable_action(self, request: HttpRequest, queryset):
        return self._decide(request, queryset, "not_billable_action", cdr_review_not_billable)

    def _decide(self, request: HttpRequest, queryset, action: str, service):
        applying = "apply" in request.POST
        form = ReviewDecisionForm(request.POST if applying else None)
        if applying and form.is_valid():
            for rating in queryset:
                result = service(
                    rating_id=rating.pk, user=request.user, note=form.cleaned_data["note"]
                )
                result.cdr.refresh_from_db()
                self.message_user(
                    request,
                    f"{result.cdr}: {result.cdr.get_rating_status_display()}",
                    messages.SUCCESS
                    if result.cdr.rating_status != CDR.RatingStatus.NEEDS_REVIEW
                    else messages.WARNING,
                )
            return HttpResponseRedirect(request.get_full_path())
        return TemplateResponse(
            request,
            "billing/admin_review_decision.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Review decision"),
                "ratings": queryset,
                "form": form,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(SessionCost)
class SessionCostAdmin(ReadOnlyAdmin):
    list_display = ("session", "total_incl_vat", "currency", "power_kw", "computed_at", "error")
    search_fields = ("session__ocpi_id",)
    list_select_related = ("session",)
    readonly_fields = [field.name for field in SessionCost._meta.fields]


@admin.register(SessionHold)
class SessionHoldAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "user",
        "session",
        "amount",
        "currency",
        "payment",
        "released",
        "created_at",
    )
    list_filter = ("released", "currency")
    search_fields = ("key", "user__email", "session__ocpi_id")
    list_select_related = ("user", "session", "payment")
    readonly_fields = [field.name for field in SessionHold._meta.fields]


@admin.register(TokenBlock)
class TokenBlockAdmin(ReadOnlyAdmin):
    list_display = ("token", "blocked_at")
    search_fields = ("token__uid", "token__user__email")
    list_select_related = ("token",)
    readonly_fields = [field.name for field in TokenBlock._meta.fields]


@admin.register(PlanHoldPolicy)
class PlanHoldPolicyAdmin(admin.ModelAdmin):
    """Per price plan: hold or no hold at the start of a charge (billing staff edit it)."""

    list_display = ("plan", "hold_enabled")
    list_filter = ("hold_enabled",)
    search_fields = ("plan__name",)
    list_select_related = ("plan",)
