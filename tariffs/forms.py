"""Back-office forms: the staff price preview."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roaming.models import Connector
from tariffs.models import PricePlan
from tariffs.preview import MAX_ENERGY_KWH, MAX_PARKING_MINUTES, MAX_POWER_KW, PREVIEW_WINDOW


class PricePreviewForm(forms.Form):
    connector = forms.CharField(
        label=_("Connector"),
        max_length=100,
        help_text=_(
            "The connector's id in this back office, or an EVSE ID such as NL*CPO*E123 "
            "(followed by #2 for its connector 2 when it has several)."
        ),
    )
    driver = forms.EmailField(
        label=_("Driver's email"),
        required=False,
        help_text=_("Priced with this driver's plan in force at the start."),
    )
    plan = forms.ModelChoiceField(
        queryset=PricePlan.objects.all(),
        required=False,
        help_text=_("Or: priced as if on this plan. Neither: the default plan."),
    )
    energy_kwh = forms.DecimalField(
        label=_("Energy (kWh)"),
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_ENERGY_KWH,
        decimal_places=3,
        help_text=_("Default: a typical charge (settings)."),
    )
    power_kw = forms.DecimalField(
        label=_("Power (kW)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=MAX_POWER_KW,
        decimal_places=1,
        help_text=_("Default: the connector's, capped at what typical cars take."),
    )
    start = forms.DateTimeField(
        required=False, help_text=_("Default: now. In the server's time zone (UTC).")
    )
    parking_minutes = forms.IntegerField(
        label=_("Parked after charging (min)"),
        min_value=0,
        max_value=MAX_PARKING_MINUTES,
        initial=0,
        required=False,
    )

    def clean_connector(self) -> Connector:
        text = self.cleaned_data["connector"].strip()
        connectors = Connector.objects.select_related("evse__location")
        if text.isdigit():
            found = connectors.filter(pk=int(text))
        else:
            evse_id, _hash, connector_id = text.partition("#")
            found = connectors.filter(evse__evse_id__iexact=evse_id.strip())
            if connector_id:
                found = found.filter(ocpi_id__iexact=connector_id.strip())
        matches = list(found[:2])
        if not matches:
            raise forms.ValidationError(_("No such connector."))
        if len(matches) > 1:
            raise forms.ValidationError(
                _("This EVSE has several connectors: add #<connector id>, e.g. %(example)s#1.")
                % {"example": text}
            )
        return matches[0]

    def clean_driver(self) -> Any:
        email = self.cleaned_data.get("driver")
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(_("No driver with this email address."))
        return user

    def clean_start(self):
        start = self.cleaned_data.get("start")
        if start is not None and abs(start - timezone.now()) > PREVIEW_WINDOW:
            raise forms.ValidationError(_("Give a start within a year from now."))
        return start

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("driver") and cleaned.get("plan"):
            raise forms.ValidationError(_("Give a driver or a plan, not both."))
        return cleaned
