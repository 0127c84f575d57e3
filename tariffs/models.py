"""Tariffs as CPOs publish them (OCPI Tariff objects), versioned by their last_updated.

`Tariff` is the current state of one (country_code, party_id, id); every accepted version is
kept in `TariffVersion`, so a session is priced with the tariff that was valid when it started
even if the CPO changed it since. A Tariff the CPO deleted keeps its row (`deleted_at`) and
its history.
"""

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from roaming.ocpi import enums


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
