"""Back office for roaming: partners, what they sent us, commands and pulls.

Data that comes from a partner is read-only here (it is the partner's); staff can only change
our own fields (a partner's name and raw-token setting, a Location's shown_to_drivers flag).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from roaming.admin_registration import REGISTRATION_ACTIONS, registration_urls
from roaming.models import (
    CDR,
    EVSE,
    Command,
    Connector,
    Location,
    Partner,
    PartnerEndpoint,
    PartnerRole,
    Session,
    SyncRun,
    TokenAuthorization,
)
from roaming.services.partners import partner_status_set


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the OCPI services: viewable, not addable, changeable or deletable."""

    list_per_page = 50

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PartnerRoleInline(ReadOnlyInline):
    model = PartnerRole
    fields = ("role", "country_code", "party_id", "name")
    show_change_link = False


class PartnerEndpointInline(ReadOnlyInline):
    model = PartnerEndpoint
    fields = ("identifier", "role", "url")
    show_change_link = False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "version", "parties", "token_c_prefix", "connected_at")
    list_filter = ("status", "version", "raw_token_header")
    search_fields = ("name", "roles__party_id", "roles__country_code", "versions_url")
    list_per_page = 50
    readonly_fields = (
        "status",
        "versions_url",
        "version",
        "version_details_url",
        "token_c_prefix",
        "last_synced",
        "connected_at",
        "created_at",
        "updated_at",
    )
    fields = ("name", "raw_token_header", *readonly_fields)
    inlines = (PartnerRoleInline, PartnerEndpointInline)
    actions = ("suspend", "reconnect", *REGISTRATION_ACTIONS)
    change_list_template = "admin/roaming/partner/change_list.html"

    def get_urls(self) -> list:
        return registration_urls(self) + super().get_urls()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        return super().get_queryset(request).prefetch_related("roles")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners come from `ocpi_issue_token_a` or a registration

    @admin.display(description=_("parties"))
    def parties(self, partner: Partner) -> str:
        return ", ".join(sorted({f"{r.country_code}/{r.party_id}" for r in partner.roles.all()}))

    @admin.action(description=_("Suspend: refuse their calls"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            partner_status_set(partner=partner, status=Partner.Status.SUSPENDED)
        self.message_user(request, _("Suspended."), messages.SUCCESS)

    @admin.action(description=_("Reconnect a suspended partner"), permissions=["change"])
    def reconnect(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            try:
                partner_status_set(partner=partner, status=Partner.Status.CONNECTED)
            except ValueError as error:
                self.message_user(request, f"{partner}: {error}", messages.ERROR)


class EvseInline(ReadOnlyInline):
    model = EVSE
    fields = ("uid", "evse_id", "status", "physical_reference", "last_updated")


@admin.register(Location)
class LocationAdmin(ReadOnlyAdmin):
    list_display = (
        "ocpi_id",
        "name",
        "city",
        "country",
        "partner",
        "publish",
        "shown_to_drivers",
        "last_updated",
    )
    list_filter = ("partner", "country", "publish", "shown_to_drivers", "parking_type")
    search_fields = ("ocpi_id", "name", "address", "city", "postal_code", "evses__evse_id")
    list_select_related = ("partner",)
    date_hierarchy = "last_updated"
    inlines = (EvseInline,)
    readonly_fields = (
        "partner",
        "country_code",
        "party_id",
        "ocpi_id",
        "publish",
        "name",
        "address",
        "city",
        "postal_code",
        "state",
        "country",
        "latitude",
        "longitude",
        "time_zone",
        "operator_name",
        "parking_type",
        "facilities",
        "opening_times",
        "charging_when_closed",
        "raw",
        "last_updated",
        "created_at",
        "updated_at",
    )

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Only our own flag (shown_to_drivers) is editable; everything else is read-only.
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        queryset, _duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


class ConnectorInline(ReadOnlyInline):
    model = Connector
    fields = ("ocpi_id", "standard", "format", "power_type", "max_electric_power", "tariff_ids")


@admin.register(EVSE)
class EvseAdmin(ReadOnlyAdmin):
    list_display = ("uid", "evse_id", "status", "location", "last_updated")
    list_filter = ("status", "location__partner")
    search_fields = ("uid", "evse_id", "location__ocpi_id", "location__name", "location__city")
    list_select_related = ("location",)
    inlines = (ConnectorInline,)
    readonly_fields = (
        "location",
        "uid",
        "evse_id",
        "status",
        "capabilities",
        "floor_level",
        "physical_reference",
        "latitude",
        "longitude",
        "parking_restrictions",
        "raw",
        "last_updated",
        "updated_at",
    )


@admin.register(Connector)
class ConnectorAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "standard",
        "format",
        "power_type",
        "max_electric_power",
        "last_updated",
    )
    list_filter = ("standard", "power_type", "format")
    search_fields = ("evse__evse_id", "evse__uid", "evse__location__ocpi_id", "ocpi_id")
    list_select_related = ("evse",)


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = (
        "ocpi_id",
        "partner",
        "status",
        "start_date_time",
        "kwh",
        "total_cost_excl_vat",
        "currency",
        "token_uid",
    )
    list_filter = ("status", "partner", "currency", "auth_method")
    search_fields = (
        "ocpi_id",
        "token_uid",
        "contract_id",
        "authorization_reference",
        "ocpi_location_id",
    )
    list_select_related = ("partner",)
    date_hierarchy = "start_date_time"
    raw_id_fields = ("token", "location")


@admin.register(CDR)
class CdrAdmin(ReadOnlyAdmin):
    list_display = (
        "ocpi_id",
        "partner",
        "start_date_time",
        "total_energy",
        "total_cost_excl_vat",
        "total_cost_incl_vat",
        "currency",
        "credit",
        "rating_status",
    )
    list_filter = ("rating_status", "credit", "partner", "currency")
    search_fields = (
        "ocpi_id",
        "ocpi_session_id",
        "token_uid",
        "contract_id",
        "evse_id",
        "credit_reference_id",
    )
    list_select_related = ("partner",)
    date_hierarchy = "start_date_time"
    raw_id_fields = ("token", "session", "location")


@admin.register(TokenAuthorization)
class TokenAuthorizationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "token",
        "allowed",
        "partner",
        "ocpi_location_id",
        "authorization_reference",
    )
    list_filter = ("allowed", "partner")
    search_fields = (
        "token__uid",
        "authorization_reference",
        "ocpi_location_id",
        "token__user__email",
    )
    list_select_related = ("token", "partner")
    date_hierarchy = "created_at"


@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "status",
        "partner",
        "driver",
        "response_result",
        "result",
    )
    list_filter = ("kind", "status", "partner")
    search_fields = ("uid", "authorization_reference", "driver__email")
    list_select_related = ("partner", "driver")
    date_hierarchy = "created_at"
    raw_id_fields = ("driver", "token", "session")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "partner",
        "module",
        "mode",
        "status",
        "pages",
        "objects_received",
        "objects_stored",
        "errors",
        "finished_at",
    )
    list_filter = ("module", "mode", "status", "partner")
    search_fields = ("partner__name",)
    list_select_related = ("partner",)
    date_hierarchy = "started_at"
