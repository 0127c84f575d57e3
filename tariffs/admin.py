from django.contrib import admin
from django.http import HttpRequest

from tariffs.models import Tariff, TariffVersion


class TariffVersionInline(admin.TabularInline):
    model = TariffVersion
    fields = ("last_updated", "received_at", "raw")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
        "last_updated",
        "deleted_at",
    )
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
