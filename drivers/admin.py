from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from drivers.models import DriverProfile, Token, User


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
