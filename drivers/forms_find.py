"""The search of charging Locations, as query parameters: one form for the list page, the map's
markers and the API (which adds its own refusal of unknown and repeated parameters)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from drivers.selectors_find import (
    DEFAULT_RADIUS_KM,
    MAX_RADIUS_KM,
    Bounds,
    LocationFilters,
    Near,
)
from roaming.ocpi.enums import ConnectorType

STANDARD_LABELS = {
    "IEC_62196_T2": _("Type 2"),
    "IEC_62196_T2_COMBO": _("CCS (Combo 2)"),
    "CHADEMO": _("CHAdeMO"),
    "IEC_62196_T1": _("Type 1"),
    "IEC_62196_T1_COMBO": _("CCS (Combo 1)"),
    "TESLA_S": _("Tesla"),
    "DOMESTIC_F": _("Schuko (domestic F)"),
    "GBT_DC": _("GB/T DC"),
    "GBT_AC": _("GB/T AC"),
    "CHAOJI": _("ChaoJi"),
    "IEC_62196_T3A": _("Type 3A"),
    "IEC_62196_T3C": _("Type 3C"),
    "PANTOGRAPH_BOTTOM_UP": _("Pantograph (bottom up)"),
    "PANTOGRAPH_TOP_DOWN": _("Pantograph (top down)"),
    "TESLA_R": _("Tesla Roadster"),
    "IEC_60309_2_single_16": format_lazy(_("Industrial (IEC 60309), 1 phase, {} A"), 16),
    **{
        f"IEC_60309_2_three_{amperes}": format_lazy(
            _("Industrial (IEC 60309), 3 phases, {} A"), amperes
        )
        for amperes in (16, 32, 64)
    },
    **{
        f"DOMESTIC_{letter}": format_lazy(_("Domestic plug, type {}"), letter)
        for letter in "ABCDEGHIJKLMNO"
    },
    **{
        f"NEMA_{a}_{b}": f"NEMA {a}-{b}"
        for a, b in ((5, 20), (6, 30), (6, 50), (10, 30), (10, 50), (14, 30), (14, 50))
    },
}
STANDARDS = [member.value for member in ConnectorType]
MAX_POWER_FILTER_KW = Decimal("1000")
NEAR_FIELDS = ("lat", "lng", "radius")
BOUNDS_FIELDS = ("min_lat", "min_lng", "max_lat", "max_lng")
BOOLEAN_TRUE = frozenset({"true", "on", "1"})
BOOLEAN_FALSE = frozenset({"false", "off", "0", ""})


def standard_label(standard: str) -> str:
    return str(STANDARD_LABELS.get(standard, standard.replace("_", " ")))


class _RawCheckbox(forms.CheckboxInput):
    """A checkbox whose value reaches the field as sent, so that the field can refuse "maybe"."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, check_test=lambda value: value is True or value in BOOLEAN_TRUE)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class FlagField(forms.Field):
    """true/false (also on/off, 1/0; absent is false): anything else is refused."""

    widget = _RawCheckbox

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> bool:
        if value is None or value is True or value is False:
            return bool(value)
        text = str(value).strip().lower()
        if text in BOOLEAN_TRUE:
            return True
        if text in BOOLEAN_FALSE:
            return False
        raise ValidationError(_("Send true or false."), code="invalid")


def _coordinate(label: str, limit: int) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class LocationSearchForm(forms.Form):
    """Near a point (lat, lng, radius in km) or in bounds (min_lat, min_lng, max_lat, max_lng),
    with filters. The page falls back to the default centre; the API asks for a place.

    (1) Choices from a callable: every form deep-copies its fields, and copying 60 lazily
    translated labels was a third of the API search's form time."""

    lat = _coordinate(_("Latitude"), 90)
    lng = _coordinate(_("Longitude"), 180)
    radius = forms.DecimalField(
        label=_("Radius (km)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=MAX_RADIUS_KM,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    min_lat = _coordinate(_("South edge"), 90)
    min_lng = _coordinate(_("West edge"), 180)
    max_lat = _coordinate(_("North edge"), 90)
    max_lng = _coordinate(_("East edge"), 180)
    standard = forms.MultipleChoiceField(
        label=_("Connector"),
        required=False,
        choices=lambda: [(value, STANDARD_LABELS[value]) for value in STANDARDS],  # (1)
        widget=forms.CheckboxSelectMultiple,
    )
    min_power_kw = forms.DecimalField(
        label=_("Minimum power (kW)"),
        required=False,
        min_value=0,
        max_value=MAX_POWER_FILTER_KW,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    available = FlagField(label=_("Available now"))
    open_now = FlagField(label=_("Open now"))
    no_parking_restrictions = FlagField(label=_("No parking restrictions"))
    operator = forms.CharField(label=_("Operator"), required=False, max_length=100)

    def __init__(
        self,
        *args: Any,
        place_required: bool = False,
        sort_corners: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.place_required = place_required
        self.sort_corners = sort_corners

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        corners = [data.get(name) for name in BOUNDS_FIELDS]
        given = [value is not None for value in corners]
        point = [data.get("lat") is not None, data.get("lng") is not None]
        if any(given) and not all(given):
            raise ValidationError(_("Send all four of min_lat, min_lng, max_lat and max_lng."))
        if all(given):
            if any(point) or data.get("radius") is not None:
                raise ValidationError(_("Send either a point (lat, lng, radius) or bounds."))
            if self.sort_corners:  # corners in any order: the box between them
                data["min_lat"], data["max_lat"] = sorted((corners[0], corners[2]))
                data["min_lng"], data["max_lng"] = sorted((corners[1], corners[3]))
            elif corners[0] > corners[2] or corners[1] > corners[3]:
                raise ValidationError(_("min_lat and min_lng must not exceed max_lat and max_lng."))
        elif any(point) and not all(point):
            raise ValidationError(_("Send both lat and lng."))
        elif not any(point) and self.place_required:
            raise ValidationError(_("Send lat and lng (and radius), or the map bounds."))
        return data

    def search(self) -> tuple[Near | None, Bounds | None, LocationFilters]:
        """The place and filters of a valid form (the default centre when no place is given)."""
        data = self.cleaned_data
        bounds = None
        near = None
        if data.get("min_lat") is not None:
            bounds = Bounds(*(_degrees(data[name]) for name in BOUNDS_FIELDS))
        else:
            near = Near(
                _degrees(data["lat"] if data.get("lat") is not None else default_centre()[0]),
                _degrees(data["lng"] if data.get("lng") is not None else default_centre()[1]),
                data.get("radius") or DEFAULT_RADIUS_KM,
            )
        filters = LocationFilters(
            standards=tuple(data.get("standard") or ()),
            min_power_kw=data.get("min_power_kw") or None,
            available=data.get("available", False),
            operator=(data.get("operator") or "").strip(),
            open_now=data.get("open_now", False),
            no_parking_restrictions=data.get("no_parking_restrictions", False),
        )
        return near, bounds, filters


def _degrees(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0000001"))


def default_centre() -> tuple[Decimal, Decimal]:
    """Where the list and map start when the driver gives no place (settings)."""
    return Decimal(settings.FIND_DEFAULT_LATITUDE), Decimal(settings.FIND_DEFAULT_LONGITUDE)
