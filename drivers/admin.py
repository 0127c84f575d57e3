from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from drivers import services
from drivers.forms import RfidLinkForm
from drivers.models import CardOrder, DriverProfile, Notification, Token, User


class DriverProfileInline(admin.StackedInline):
    model = DriverProfile
    can_delete = False
    readonly_fields = ("marketing_consent_changed_at", "updated_at")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("-date_joined",)
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "groups", "profile__country")
    search_fields = ("email", "profile__full_name", "profile__phone")
    list_per_page = 50
    readonly_fields = ("date_joined", "last_login")
    inlines = (DriverProfileInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile")

    @admin.display(description=_("name"), ordering="profile__full_name")
    def full_name(self, user: User) -> str:
        profile = getattr(user, "profile", None)
        return profile.full_name if profile else ""


@admin.register(DriverProfile)
class DriverProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "full_name", "city", "country", "preferred_language")
    list_filter = ("country", "preferred_language", "marketing_consent")
    search_fields = ("user__email", "full_name", "phone", "city", "postal_code")
    list_select_related = ("user",)
    list_per_page = 50
    readonly_fields = ("marketing_consent_changed_at", "updated_at")
    raw_id_fields = ("user",)


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Charging tokens we issue. Support can block (valid) or set an expiry; the OCPI identity
    (uid, type, contract id) is fixed once issued."""

    list_display = (
        "uid",
        "type",
        "user",
        "visual_number",
        "contract_id",
        "valid",
        "whitelist",
        "last_updated",
    )
    list_filter = ("type", "valid", "whitelist")
    search_fields = ("uid", "visual_number", "contract_id", "user__email", "group_id")
    list_select_related = ("user",)
    list_per_page = 50
    raw_id_fields = ("user",)
    readonly_fields = ("last_updated", "created_at")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fixed = ("user", "uid", "type", "contract_id", "issuer") if obj else ()
        return (*fixed, *self.readonly_fields)

    actions = ("unblock",)

    @admin.action(description=_("Unblock the selected tokens and tell the operators"))
    def unblock(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        if not request.user.has_perm("drivers.change_token"):
            raise PermissionDenied
        count = 0
        for token in queryset.filter(valid=False):
            services.token_unblock(token=token)
            count += 1
        self.message_user(request, _("%(count)d tokens unblocked.") % {"count": count})


@admin.register(CardOrder)
class CardOrderAdmin(admin.ModelAdmin):
    """RFID card orders. Fulfil one by entering the card's UID (this creates the driver's RFID
    token, not valid yet), then mark it shipped once posted; the driver activates it when it
    arrives."""

    list_display = ("user", "status", "shipping_name", "created_at", "token", "fulfil_link")
    list_filter = ("status",)
    search_fields = ("user__email", "shipping_name", "token__uid", "token__visual_number")
    list_select_related = ("user", "token")
    list_per_page = 50
    readonly_fields = (
        "user",
        "status",
        "shipping_name",
        "shipping_address",
        "token",
        "created_at",
        "linked_at",
        "shipped_at",
        "activated_at",
    )
    actions = ("mark_shipped",)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # drivers order cards

    def get_urls(self):  # type: ignore[no-untyped-def]
        fulfil = path(
            "<int:order_id>/fulfil/",
            self.admin_site.admin_view(self.fulfil_view),
            name="drivers_cardorder_fulfil",
        )
        return [fulfil, *super().get_urls()]

    @admin.display(description=_("card"))
    def fulfil_link(self, order: CardOrder) -> str:
        if order.status != CardOrder.Status.REQUESTED:
            return ""
        url = reverse("admin:drivers_cardorder_fulfil", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, _("Enter the card's UID"))

    def fulfil_view(self, request, order_id: int):  # type: ignore[no-untyped-def]
        order = get_object_or_404(CardOrder, pk=order_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        form = RfidLinkForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.card_order_fulfil(order_id=order.pk, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                self.message_user(request, _("The card is linked to the driver."))
                return redirect("admin:drivers_cardorder_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "form": form,
            "title": _("Fulfil a card order"),
        }
        return TemplateResponse(request, "admin/drivers/cardorder_fulfil.html", context)

    @admin.action(description=_("Mark the selected linked cards as shipped"))
    def mark_shipped(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        if not request.user.has_perm("drivers.change_cardorder"):
            raise PermissionDenied
        shipped = 0
        for order in queryset:
            try:
                services.card_order_ship(order_id=order.pk)
                shipped += 1
            except ValidationError as error:
                self.message_user(request, f"{order}: {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, _("%(count)d orders shipped.") % {"count": shipped})


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "user", "language", "sent_at")
    list_filter = ("kind", "language")
    search_fields = ("key", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "kind", "key", "language", "sent_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
