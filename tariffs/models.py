"""Tariffs as CPOs publish them (OCPI Tariff objects), versioned by their last_updated; and our
own driver price plans (what a driver pays), their subscriptions and the VAT rates per country.

`Tariff` is the current state of one (country_code, party_id, id); every accepted version is
kept in `TariffVersion`, so a session is priced with the tariff that was valid when it started
even if the CPO changed it since. A Tariff the CPO deleted keeps its row (`deleted_at`) and
its history.
"""

import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from roaming.ocpi import enums
from tariffs import pricing
from tariffs.pricing.money import CURRENCY_EXPONENTS


class Tariff(models.Model):
    partner = models.ForeignKey("roaming.Partner", on_delete=models.PROTECT, related_name="tariffs")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    ocpi_id = models.CharField(_("OCPI id"), max_length=36)
    currency = models.CharField(max_length=3)
    tariff_type = models.CharField(
        max_length=16, blank=True, choices=[(item.value, item.value) for item in enums.TariffType]
    )
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(help_text=_("The current Tariff object as received."))
    last_updated = models.DateTimeField(help_text=_("The partner's last_updated."))
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the CPO deleted it (history is kept).")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "country_code", "party_id", Upper("ocpi_id"), name="tariffs_tariff_unique_ocpi_key"
            )
        ]
        indexes = [models.Index(fields=["last_updated"], name="tariffs_tariff_last_updated")]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.ocpi_id} ({self.currency})"

    def save(self, *args, **kwargs) -> None:
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        super().save(*args, **kwargs)


class TariffVersion(models.Model):
    """One accepted version of a Tariff, as received; never changed."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="versions")
    last_updated = models.DateTimeField()
    raw = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-last_updated",)
        constraints = [
            models.UniqueConstraint("tariff", "last_updated", name="tariffs_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tariff} @ {self.last_updated:%Y-%m-%d %H:%M:%S}"


# Driver price plans: what our drivers pay.

MONEY = {"max_digits": 18, "decimal_places": 4}
MAX_TARIFF_JSON = 64 * 1024


class PricingMethod(models.TextChoices):
    PASS_THROUGH = "pass_through", _("the CPO's tariff with our markup")
    OWN_TARIFF = "own_tariff", _("our own tariff")


class Pricing(models.Model):
    """How a driver's price is made, on a plan (its default) or on one of its rules.

    - pass_through: the CPO's tariff at the connector, every price times (1 + markup_percent/100),
      plus markup_per_kwh on every kWh and markup_per_session once per session (see
      `pricing.tariff_with_markup`). The driver pays in the CPO tariff's currency; the fixed
      amounts are in `markup_currency` and apply only to CPO tariffs in that currency (a CPO
      tariff in another currency gets the percentage only).
    - own_tariff: `tariff`, an OCPI 2.2.1 Tariff object of ours (it states its currency). A price
      component without `vat` is charged the VAT rate of the country where the driver charges.
    """

    method = models.CharField(
        max_length=16, choices=PricingMethod.choices, default=PricingMethod.PASS_THROUGH
    )
    markup_percent = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal("-99.9999")), MaxValueValidator(Decimal(1000))],
        help_text=_("Pass-through: added to every CPO price, in percent (negative: a discount)."),
    )
    markup_per_kwh = models.DecimalField(
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Pass-through: added to each kWh, in the markup currency."),
        **MONEY,
    )
    markup_per_session = models.DecimalField(
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Pass-through: added once per session, in the markup currency."),
        **MONEY,
    )
    markup_currency = models.CharField(
        max_length=3,
        default="EUR",
        help_text=_(
            "ISO 4217 currency of the per-kWh and per-session markups; CPO tariffs in another "
            "currency get the percentage only."
        ),
    )
    tariff = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "Own tariff: an OCPI 2.2.1 Tariff object (currency, elements, optional min_price/"
            "max_price). Leave a component's vat out to charge the VAT of the country where the "
            "driver charges."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.tariff is not None and len(json.dumps(self.tariff)) > MAX_TARIFF_JSON:
            raise ValidationError({"tariff": _("This tariff is too large (at most 64 KiB).")})
        if self.method == PricingMethod.OWN_TARIFF:
            if self.tariff in (None, "", {}):
                raise ValidationError({"tariff": _("Our own tariff needs its OCPI Tariff object.")})
            try:
                pricing.tariff_parse(self.tariff)
            except pricing.TariffError as error:
                raise ValidationError({"tariff": _("Invalid tariff: %s") % error}) from None
        elif self.tariff not in (None, "", {}):
            raise ValidationError(
                {"tariff": _("Pass-through pricing uses the CPO's tariff: leave this empty.")}
            )
        if self.markup_currency not in CURRENCY_EXPONENTS:
            message = _("%s is not an ISO 4217 currency code.") % self.markup_currency
            raise ValidationError({"markup_currency": message})

    @property
    def pricing_summary(self) -> str:
        if self.method == PricingMethod.OWN_TARIFF:
            return str(_("own tariff"))
        parts = [f"{self.markup_percent.normalize():+f} %"] if self.markup_percent else []
        if self.markup_per_kwh:
            parts.append(f"+{self.markup_per_kwh.normalize():f} {self.markup_currency}/kWh")
        if self.markup_per_session:
            parts.append(f"+{self.markup_per_session.normalize():f} {self.markup_currency}/session")
        return str(_("CPO tariff")) + (" " + ", ".join(parts) if parts else "")


class PricePlan(Pricing):
    """A driver price plan. What a driver pays at a connector is decided by the plan in force
    when the session starts and, within the plan, by the MOST SPECIFIC RULE that matches:

        a rule for the connector's Location  >  a rule for its CPO (Partner)
        >  a rule for its power class (AC, DC, HPC)  >  the plan's own pricing (its default).

    Only the winning rule counts: if it passes the CPO tariff through and the connector has no
    usable CPO tariff, there is no price (no fallback to a less specific rule).

    Exactly one plan is the default (`is_default`): every driver without a subscription in force
    is on it; nobody subscribes to it and it has no monthly fee. Other plans are subscriptions
    (`PlanSubscription`) with a monthly fee, billed monthly in arrears.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text=_("Shown to drivers."))
    is_default = models.BooleanField(
        default=False, help_text=_("The plan of every driver without a subscription.")
    )
    is_public = models.BooleanField(
        default=False, help_text=_("Offered to drivers: they can subscribe themselves.")
    )
    monthly_fee = models.DecimalField(
        default=Decimal(0), validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    fee_currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-is_default", "name")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tariffs_one_default_plan"
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(monthly_fee=0, is_public=False),
                name="tariffs_default_plan_has_no_fee",
            ),
            models.CheckConstraint(
                condition=Q(method=PricingMethod.PASS_THROUGH) | Q(tariff__isnull=False),
                name="tariffs_plan_own_tariff_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.is_default and (self.monthly_fee or self.is_public):
            raise ValidationError(
                _("The default plan has no monthly fee and is not offered for subscription.")
            )
        if self.fee_currency not in CURRENCY_EXPONENTS:
            raise ValidationError(
                {"fee_currency": _("%s is not an ISO 4217 currency code.") % self.fee_currency}
            )


class PowerClass(models.TextChoices):
    """A connector's class: AC, DC below settings.PRICING_HPC_MIN_KW, HPC from it."""

    AC = "AC", _("AC")
    DC = "DC", _("DC")
    HPC = "HPC", _("HPC (high-power DC)")


class PricePlanRule(Pricing):
    """A plan's pricing for one Location, one CPO (Partner) or one power class; see PricePlan
    for which rule wins."""

    class Scope(models.TextChoices):
        LOCATION = "location", _("location")
        PARTNER = "partner", _("CPO")
        POWER_CLASS = "power_class", _("power class")

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="rules")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    location = models.ForeignKey(
        "roaming.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "roaming.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("CPO"),
    )
    power_class = models.CharField(max_length=3, blank=True, choices=PowerClass.choices)

    class Meta:
        ordering = ("plan", "scope", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="location", partner__isnull=True, power_class="")
                    & Q(location__isnull=False)
                )
                | (
                    Q(scope="partner", location__isnull=True, power_class="")
                    & Q(partner__isnull=False)
                )
                | (
                    Q(scope="power_class", location__isnull=True, partner__isnull=True)
                    & ~Q(power_class="")
                ),
                name="tariffs_rule_scope_matches",
            ),
            models.CheckConstraint(
                condition=Q(method=PricingMethod.PASS_THROUGH) | Q(tariff__isnull=False),
                name="tariffs_rule_own_tariff_given",
            ),
            models.UniqueConstraint(
                fields=["plan", "location"],
                condition=Q(scope="location"),
                name="tariffs_rule_one_per_location",
            ),
            models.UniqueConstraint(
                fields=["plan", "partner"],
                condition=Q(scope="partner"),
                name="tariffs_rule_one_per_partner",
            ),
            models.UniqueConstraint(
                fields=["plan", "power_class"],
                condition=Q(scope="power_class"),
                name="tariffs_rule_one_per_power_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.target}"

    @property
    def target(self) -> str:
        if self.scope == self.Scope.LOCATION:
            return f"{_('location')} {self.location}"
        if self.scope == self.Scope.PARTNER:
            return f"{_('CPO')} {self.partner}"
        return f"{_('power class')} {self.power_class}"

    def clean(self) -> None:
        super().clean()
        needed = {
            self.Scope.LOCATION: "location",
            self.Scope.PARTNER: "partner",
            self.Scope.POWER_CLASS: "power_class",
        }.get(self.scope)
        errors = {}
        for name in ("location", "partner", "power_class"):
            given = getattr(self, f"{name}_id" if name != "power_class" else name)
            if name == needed and not given:
                errors[name] = _("A rule of this scope names its %s.") % name.replace("_", " ")
            elif name != needed and given:
                errors[name] = _("Leave this empty for a rule of another scope.")
        if errors:
            raise ValidationError(errors)


class PlanSubscription(models.Model):
    """A driver on a plan from `valid_from` until `valid_until` (open: until further notice).

    A driver's subscriptions never overlap (the services hold a lock on the driver's row); they
    are the history of the driver's plan changes, and outside them the driver is on the default
    plan. A session is priced with the plan in force when it started. The monthly fee is billed
    in arrears per period (a month from valid_from, then each month on the same day), pro rata
    for a period cut short by a change of plan; `billed_until` is where billing got to.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_subscriptions"
    )
    plan = models.ForeignKey(PricePlan, on_delete=models.PROTECT, related_name="subscriptions")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    billed_until = models.DateTimeField(
        null=True, blank=True, help_text=_("The monthly fee is billed up to here.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("user", "-valid_from")
        indexes = [models.Index(fields=["user", "valid_from"], name="tariffs_subscription_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="tariffs_subscription_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}"


class VatRate(models.Model):
    """The standard VAT rate of a country from a date on (a driver pays the VAT of the country
    where they charge). Used where a CPO tariff states no VAT, for our markups, and for our
    own tariffs' components without VAT."""

    country = CountryField()
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("In percent."),
    )
    valid_from = models.DateField(help_text=_("Local date at the charging location."))
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("VAT rate")
        ordering = ("country", "-valid_from")
        constraints = [
            models.UniqueConstraint(fields=["country", "valid_from"], name="tariffs_vat_rate_once")
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.rate} % from {self.valid_from}"
