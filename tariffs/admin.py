"""Back office for tariffs: CPO tariffs as received (read-only, in words), our price plans with
their rules, drivers' subscriptions, VAT rates, and the staff price preview."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, JSONField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from tariffs import pricing
from tariffs.forms import PricePreviewForm
from tariffs.models import (
    PlanSubscription,
    PricePlan,
    PricePlanRule,
    Tariff,
    TariffVersion,
    VatRate,
)
from tariffs.preview import price_preview_get
from tariffs.pricing_service import DriverPriceError
from tariffs.services import plan_subscribe, plan_subscription_cancel


def _in_words(data: object) -> str:
    """A tariff (OCPI dict) in words, excl. and incl. VAT; the reason when it cannot be read."""
    if not data:
        return "-"
    try:
        excl = pricing.tariff_describe(data, "en")
        incl = pricing.tariff_describe(data, "en", incl_vat=True)
    except pricing.PricingError as error:
        return str(_("Cannot be read: %s") % error)
    return f"{excl} (excl. VAT) · {incl} (incl. VAT)" if excl != incl else excl


class TariffVersionInline(admin.TabularInline):
    model = TariffVersion
    fields = ("last_updated", "received_at", "in_words", "raw")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("in words"))
    def in_words(self, version: TariffVersion) -> str:
        return _in_words(version.raw)


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    """CPO tariffs as received: read-only (the CPO owns them), with their version history."""

    list_display = (
        "ocpi_id",
        "country_code",
        "party_id",
        "partner",
        "currency",
        "tariff_type",
        "in_words",
        "last_updated",
        "deleted_at",
    )
    readonly_fields = ("in_words",)
    list_filter = ("partner", "currency", "tariff_type", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("ocpi_id", "party_id", "partner__name")
    list_select_related = ("partner",)
    list_per_page = 50
    date_hierarchy = "last_updated"
    inlines = (TariffVersionInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("in words"))
    def in_words(self, tariff: Tariff) -> str:
        return _in_words(tariff.raw)


# Our price plans.

_JSON_EDITOR = {JSONField: {"widget": forms.Textarea(attrs={"rows": 14, "cols": 90})}}


class PricePlanRuleInline(admin.StackedInline):
    model = PricePlanRule
    extra = 0
    autocomplete_fields = ("location", "partner")
    formfield_overrides = _JSON_EDITOR
    fields = (
        ("scope", "location", "partner", "power_class"),
        "method",
        ("markup_percent", "markup_per_kwh", "markup_per_session", "markup_currency"),
        "tariff",
        "in_words",
    )
    readonly_fields = ("in_words",)

    @admin.display(description=_("in words"))
    def in_words(self, rule: PricePlanRule) -> str:
        return _in_words(rule.tariff) if rule.tariff else rule.pricing_summary


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    """Plans and their rules. Which rule prices a charge: see PricePlan's docstring (location >
    CPO > power class > the plan's own pricing)."""

    list_display = (
        "name",
        "is_default",
        "is_public",
        "monthly_fee",
        "fee_currency",
        "pricing_summary",
        "rule_count",
        "subscribers",
    )
    list_filter = ("is_default", "is_public", "method")
    search_fields = ("name", "description")
    list_per_page = 50
    formfield_overrides = _JSON_EDITOR
    inlines = (PricePlanRuleInline,)
    fieldsets = (
        (None, {"fields": ("name", "description", ("is_default", "is_public"))}),
        (_("Monthly fee"), {"fields": (("monthly_fee", "fee_currency"),)}),
        (
            _("Pricing where no rule applies"),
            {
                "fields": (
                    "method",
                    ("markup_percent", "markup_per_kwh", "markup_per_session", "markup_currency"),
                    "tariff",
                    "in_words",
                )
            },
        ),
    )
    readonly_fields = ("in_words",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PricePlan]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                rule_total=Count("rules", distinct=True),
                subscriber_total=Count("subscriptions", distinct=True),
            )
        )

    @admin.display(description=_("rules"), ordering="rule_total")
    def rule_count(self, plan: PricePlan) -> int:
        return plan.rule_total

    @admin.display(description=_("subscriptions"), ordering="subscriber_total")
    def subscribers(self, plan: PricePlan) -> int:
        return plan.subscriber_total

    @admin.display(description=_("in words"))
    def in_words(self, plan: PricePlan) -> str:
        return _in_words(plan.tariff) if plan.tariff else plan.pricing_summary

    def has_delete_permission(self, request: HttpRequest, obj: PricePlan | None = None) -> bool:
        if obj is not None and obj.is_default:
            return False  # everyone without a subscription is on it
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="tariffs_price_preview"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "preview_url": reverse("admin:tariffs_price_preview"),
        }
        return super().changelist_view(request, extra_context)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """What a planned charge at a connector costs a driver (or on a plan), with the lines."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PricePreviewForm(request.GET or None, initial={"parking_minutes": 0})
        preview = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                preview = price_preview_get(
                    user=data["driver"],
                    plan=data["plan"] or (None if data["driver"] else _default_plan()),
                    connector=data["connector"],
                    energy_kwh=data["energy_kwh"],
                    power_kw=data["power_kw"],
                    start=data["start"],
                    parking_minutes=data["parking_minutes"] or 0,
                )
            except (DriverPriceError, LookupError, pricing.PricingError) as error:
                form.add_error(None, str(error))
        return TemplateResponse(
            request,
            "tariffs/admin_price_preview.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Preview a price"),
                "opts": self.model._meta,
                "form": form,
                "preview": preview,
            },
        )


def _default_plan() -> PricePlan | None:
    return PricePlan.objects.filter(is_default=True).first()


class SubscriptionAddForm(forms.ModelForm):
    class Meta:
        model = PlanSubscription
        fields = ("user", "plan")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = PricePlan.objects.filter(is_default=False)


@admin.register(PlanSubscription)
class PlanSubscriptionAdmin(admin.ModelAdmin):
    """Drivers' plans over time. Adding one puts the driver on the plan from now on (ending
    their current subscription); actions end subscriptions. Periods are never edited by hand."""

    list_display = ("user", "plan", "valid_from", "valid_until", "billed_until")
    list_filter = ("plan",)
    search_fields = ("user__email", "user__profile__full_name", "plan__name")
    list_select_related = ("user", "plan")
    date_hierarchy = "valid_from"
    list_per_page = 50
    autocomplete_fields = ("user",)
    readonly_fields = ("user", "plan", "valid_from", "valid_until", "billed_until", "created_at")
    actions = ("end_at_period_end", "end_now")

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = SubscriptionAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else ("user", "plan")

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if change:
            return
        created = plan_subscribe(user=obj.user, plan=obj.plan, by_staff=True)
        obj.pk, obj.valid_from = created.pk, created.valid_from

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the history prices past sessions

    @admin.action(description=_("End at the end of the current month"), permissions=["add"])
    def end_at_period_end(self, request: HttpRequest, queryset: QuerySet[PlanSubscription]):
        self._end(request, queryset, at_once=False)

    @admin.action(description=_("End now (fee pro rata)"), permissions=["add"])
    def end_now(self, request: HttpRequest, queryset: QuerySet[PlanSubscription]):
        self._end(request, queryset, at_once=True)

    def _end(self, request: HttpRequest, queryset: QuerySet[PlanSubscription], at_once: bool):
        ended = 0
        for user in {subscription.user for subscription in queryset.select_related("user")}:
            ended += plan_subscription_cancel(user=user, at_once=at_once) is not None
        self.message_user(
            request, _("%(count)d subscriptions end.") % {"count": ended}, messages.SUCCESS
        )


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    """VAT rates per country and date: used where a CPO tariff states no VAT, on our markups and
    on our own tariffs' components without VAT."""

    list_display = ("country", "rate", "valid_from", "note")
    list_filter = ("country",)
    search_fields = ("country", "note")
    list_per_page = 100
    ordering = ("country", "-valid_from")
