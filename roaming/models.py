"""OCPI data as we store it: partners (CPOs) and what they send us.

Objects received from a partner keep the full OCPI object as received in `raw` (JSON) and the
fields the product queries as columns. Identifiers are CiStrings: unique constraints and
lookups are case-insensitive (`Upper(...)` indexes; query with `__iexact`). country_code and
party_id are stored upper-cased.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from roaming.labels import labelled_choices
from roaming.ocpi import enums

MONEY = {"max_digits": 18, "decimal_places": 4}
QUANTITY = {"max_digits": 18, "decimal_places": 6}
COORDINATE = {"max_digits": 10, "decimal_places": 7}


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class OcpiOwned(models.Model):
    """Fields of every object a CPO owns: the country_code/party_id/id key and timestamps."""

    partner = models.ForeignKey("roaming.Partner", on_delete=models.PROTECT, related_name="+")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    ocpi_id = models.CharField(_("OCPI id"), max_length=36)
    raw = models.JSONField(help_text=_("The OCPI object as received."))
    last_updated = models.DateTimeField(help_text=_("The partner's last_updated."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        super().save(*args, **kwargs)


def ocpi_key_constraint(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        "country_code", "party_id", Upper("ocpi_id"), name=f"{name}_unique_ocpi_key"
    )


class Partner(models.Model):
    """A CPO platform we roam with. It may hold several country_code/party_id roles.

    Credentials tokens, named as in credentials.asciidoc for a registration the CPO starts:
    - token A: the bootstrap token we issued (`ocpi_issue_token_a`); stored hashed, void after
      registration.
    - token B: the token WE present when calling the partner; stored retrievable.
    - token C: the token the partner presents when calling us; stored hashed (+ a short prefix).
    In a registration WE start (roaming-client's `ocpi_register`) the spec swaps the letters
    (we issue B, they answer C); the fields keep their meaning: `token_b` is always what we
    send, `token_c_hash` always what we check.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending registration")
        CONNECTED = "connected", _("connected")
        SUSPENDED = "suspended", _("suspended")
        UNREGISTERED = "unregistered", _("unregistered")

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    versions_url = models.URLField(_("versions URL"), max_length=255, blank=True)
    version = models.CharField(_("OCPI version in use"), max_length=10, blank=True)
    version_details_url = models.URLField(max_length=255, blank=True)
    token_a_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_b = models.CharField(
        max_length=64, blank=True, help_text=_("The credentials token we present to them.")
    )
    token_c_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_c_prefix = models.CharField(
        max_length=8, blank=True, help_text=_("Start of the token they present to us.")
    )
    raw_token_header = models.BooleanField(
        _("raw token in Authorization header"),
        default=False,
        help_text=_(
            "For 2.1.1/2.2 partners that send and expect the credentials token without "
            "Base64 encoding."
        ),
    )
    last_synced = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Per module: the date_to of the last complete pull (ISO 8601)."),
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED


class PartnerRole(models.Model):
    """One CredentialsRole of a partner: its objects carry this country_code/party_id."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=8, choices=_choices(enums.Role))
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    name = models.CharField(max_length=100, blank=True)
    business_details = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "country_code", "party_id", "role", name="roaming_partnerrole_unique_party_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} ({self.role})"

    def save(self, *args, **kwargs) -> None:
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        super().save(*args, **kwargs)


class PartnerEndpoint(models.Model):
    """One endpoint of the partner's version details for the version in use."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=64)
    role = models.CharField(max_length=8, choices=_choices(enums.InterfaceRole))
    url = models.URLField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "partner", "identifier", "role", name="roaming_partnerendpoint_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


class Location(OcpiOwned):
    """A charging Location; `raw` holds the Location object without its EVSEs."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="locations")
    publish = models.BooleanField(default=True)
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=45)
    postal_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=45, blank=True)
    country = models.CharField(max_length=3, help_text=_("ISO 3166-1 alpha-3"))
    latitude = models.DecimalField(**COORDINATE)
    longitude = models.DecimalField(**COORDINATE)
    time_zone = models.CharField(max_length=255)
    operator_name = models.CharField(max_length=100, blank=True)
    parking_type = models.CharField(
        max_length=24, blank=True, choices=labelled_choices(enums.ParkingType)
    )
    facilities = models.JSONField(default=list, blank=True)
    opening_times = models.JSONField(null=True, blank=True)
    charging_when_closed = models.BooleanField(null=True, blank=True)
    shown_to_drivers = models.BooleanField(
        default=True, help_text=_("Staff can hide a Location from drivers (our flag, not OCPI).")
    )
    # What the Location offers, from its EVSEs and Connectors (roaming.services.summaries).
    evse_count = models.PositiveIntegerField(default=0, editable=False)
    available_count = models.PositiveIntegerField(default=0, editable=False)
    max_power_w = models.PositiveIntegerField(null=True, blank=True, editable=False)
    standards = models.JSONField(default=list, blank=True, editable=False)
    search_keys = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [ocpi_key_constraint("roaming_location")]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="roaming_location_coordinates"),
            models.Index(fields=["last_updated"], name="roaming_location_last_updated"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.country_code}/{self.party_id}/{self.ocpi_id}"


class EVSE(models.Model):
    """An EVSE of a Location; never deleted (status REMOVED). `raw` is without Connectors."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="evses")
    uid = models.CharField(max_length=36)
    evse_id = models.CharField(_("EVSE ID"), max_length=48, blank=True)
    status = models.CharField(max_length=16, choices=labelled_choices(enums.Status))
    capabilities = models.JSONField(default=list, blank=True)
    floor_level = models.CharField(max_length=4, blank=True)
    physical_reference = models.CharField(max_length=16, blank=True)
    latitude = models.DecimalField(null=True, blank=True, **COORDINATE)
    longitude = models.DecimalField(null=True, blank=True, **COORDINATE)
    parking_restrictions = models.JSONField(default=list, blank=True)
    raw = models.JSONField(help_text=_("The EVSE object as received, without connectors."))
    last_updated = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "EVSE"
        verbose_name_plural = "EVSEs"
        constraints = [
            models.UniqueConstraint("location", Upper("uid"), name="roaming_evse_unique_uid")
        ]
        indexes = [models.Index(fields=["evse_id"], name="roaming_evse_evse_id")]

    def __str__(self) -> str:
        return self.evse_id or self.uid


class Connector(models.Model):
    """A Connector of an EVSE; `tariff_ids` point to tariffs.Tariff of the same party."""

    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="connectors")
    ocpi_id = models.CharField(_("OCPI id"), max_length=36)
    standard = models.CharField(max_length=32, choices=_choices(enums.ConnectorType))
    format = models.CharField(max_length=8, choices=labelled_choices(enums.ConnectorFormat))
    power_type = models.CharField(max_length=16, choices=labelled_choices(enums.PowerType))
    max_voltage = models.PositiveIntegerField()
    max_amperage = models.PositiveIntegerField()
    max_electric_power = models.PositiveIntegerField(null=True, blank=True)
    tariff_ids = models.JSONField(default=list, blank=True)
    terms_and_conditions = models.URLField(max_length=255, blank=True)
    raw = models.JSONField(help_text=_("The Connector object as received."))
    last_updated = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("evse", Upper("ocpi_id"), name="roaming_connector_unique_id")
        ]

    def __str__(self) -> str:
        return f"{self.evse} #{self.ocpi_id}"


class Session(OcpiOwned):
    """A charging Session as the CPO reports it; `raw` is the full Session object."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="sessions")
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField(null=True, blank=True)
    kwh = models.DecimalField(**QUANTITY)
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=16, choices=_choices(enums.TokenType))
    contract_id = models.CharField(max_length=36)
    token = models.ForeignKey(
        "drivers.Token", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    auth_method = models.CharField(max_length=16, choices=_choices(enums.AuthMethod))
    authorization_reference = models.CharField(max_length=36, blank=True)
    ocpi_location_id = models.CharField(max_length=36)
    ocpi_evse_uid = models.CharField(max_length=36)
    ocpi_connector_id = models.CharField(max_length=36)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    charging_periods = models.JSONField(default=list, blank=True)
    total_cost_excl_vat = models.DecimalField(null=True, blank=True, **MONEY)
    total_cost_incl_vat = models.DecimalField(null=True, blank=True, **MONEY)
    status = models.CharField(max_length=16, choices=labelled_choices(enums.SessionStatus))

    class Meta:
        constraints = [ocpi_key_constraint("roaming_session")]
        indexes = [
            models.Index(fields=["authorization_reference"], name="roaming_session_auth_ref"),
            models.Index(fields=["last_updated"], name="roaming_session_last_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.ocpi_id}"


class CDR(OcpiOwned):
    """A charge detail record: stored once per key, never changed (corrections are credit CDRs).

    Only our own bookkeeping fields (MUTABLE_FIELDS) may change after it is stored.
    """

    class RatingStatus(models.TextChoices):
        PENDING = "pending", _("waiting to be rated")
        IN_PROGRESS = "in_progress", _("being rated")
        RATED = "rated", _("rated")
        FAILED = "failed", _("rating failed")
        NEEDS_REVIEW = "needs_review", _("needs review")
        NOT_BILLABLE = "not_billable", _("not billable")

    MUTABLE_FIELDS = frozenset({"rating_status", "session", "token", "location", "updated_at"})

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cdrs")
    ocpi_id = models.CharField(_("OCPI id"), max_length=39)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    ocpi_session_id = models.CharField(max_length=36, blank=True)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="cdrs"
    )
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=16, choices=_choices(enums.TokenType))
    contract_id = models.CharField(max_length=36)
    token = models.ForeignKey(
        "drivers.Token", null=True, blank=True, on_delete=models.SET_NULL, related_name="cdrs"
    )
    auth_method = models.CharField(max_length=16, choices=_choices(enums.AuthMethod))
    authorization_reference = models.CharField(max_length=36, blank=True)
    ocpi_location_id = models.CharField(max_length=36)
    ocpi_evse_uid = models.CharField(max_length=36)
    evse_id = models.CharField(max_length=48)
    ocpi_connector_id = models.CharField(max_length=36)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="cdrs"
    )
    currency = models.CharField(max_length=3)
    total_cost_excl_vat = models.DecimalField(**MONEY)
    total_cost_incl_vat = models.DecimalField(null=True, blank=True, **MONEY)
    total_energy = models.DecimalField(**QUANTITY)
    total_time = models.DecimalField(**QUANTITY)
    total_parking_time = models.DecimalField(null=True, blank=True, **QUANTITY)
    credit = models.BooleanField(default=False)
    credit_reference_id = models.CharField(max_length=39, blank=True)
    rating_status = models.CharField(
        max_length=16, choices=RatingStatus.choices, default=RatingStatus.PENDING
    )

    class Meta:
        verbose_name = "CDR"
        verbose_name_plural = "CDRs"
        constraints = [ocpi_key_constraint("roaming_cdr")]
        indexes = [
            models.Index(fields=["rating_status"], name="roaming_cdr_rating_status"),
            models.Index(fields=["created_at"], name="roaming_cdr_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.ocpi_id}"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS
        ):
            raise ValueError(
                "CDRs are immutable: save an existing CDR with update_fields among "
                f"{sorted(self.MUTABLE_FIELDS)}; corrections arrive as credit CDRs."
            )
        super().save(*args, **kwargs)


class TokenAuthorization(models.Model):
    """One real-time authorisation we answered (POST tokens/{uid}/authorize)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey(
        "drivers.Token", on_delete=models.CASCADE, related_name="authorizations"
    )
    allowed = models.CharField(max_length=16, choices=_choices(enums.AllowedType))
    authorization_reference = models.CharField(max_length=36, unique=True)
    ocpi_location_id = models.CharField(max_length=36, blank=True)
    evse_uids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.token} {self.allowed}"


class Command(models.Model):
    """A command we sent to a CPO (START_SESSION, ...), its immediate response and its result.

    The CPO posts the CommandResult to our response_url, which names `uid`
    (URL name `roaming:ocpi-command-result`, kwargs command and uid).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted by the CPO")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")
        TIMEOUT = "timeout", _("timed out")
        SUCCEEDED = "succeeded", _("succeeded")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=_choices(enums.CommandType))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="commands")
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roaming_commands",
    )
    token = models.ForeignKey(
        "drivers.Token", null=True, blank=True, on_delete=models.SET_NULL, related_name="commands"
    )
    request = models.JSONField(default=dict, blank=True, help_text=_("The command object sent."))
    authorization_reference = models.CharField(max_length=36, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    response_result = models.CharField(
        max_length=16, blank=True, choices=_choices(enums.CommandResponseType)
    )
    response_timeout = models.PositiveIntegerField(null=True, blank=True)
    response_message = models.JSONField(default=list, blank=True)
    result = models.CharField(max_length=24, blank=True, choices=_choices(enums.CommandResultType))
    result_message = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="commands"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the result is overdue (response timeout).")
    )

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["status", "expires_at"], name="roaming_command_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"


class SyncRun(models.Model):
    """One pull of a module from a partner (full, or incremental from the last date_to)."""

    class Mode(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        PARTIAL = "partial", _("finished with errors")
        FAILED = "failed", _("failed")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="sync_runs")
    module = models.CharField(max_length=16, choices=_choices(enums.ModuleID))
    mode = models.CharField(max_length=16, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    objects_stored = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_log = models.JSONField(default=list, blank=True)
    # Where an interrupted crawl stopped, so the next run resumes the same window there.
    resume_url = models.TextField(blank=True, help_text=_("The next page to fetch."))
    total_count = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The partner's last X-Total-Count.")
    )
    objects_received = models.PositiveIntegerField(
        default=0, help_text=_("Objects received in this window, earlier runs included.")
    )
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"{self.partner} {self.module} {self.mode} {self.started_at:%Y-%m-%d %H:%M}"
