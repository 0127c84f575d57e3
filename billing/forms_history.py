"""The charging history's filter (page and API): one month, one year or a range of dates, in
the driver's time zone. Strict: a value that is not exactly the documented form is refused."""

import re
from datetime import date

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from billing.selectors_history import (
    Period,
    dates_period,
    month_period,
    period_intersection,
    time_zone_get,
    year_period,
)

MONTH = re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])")
YEAR = re.compile(r"[1-9][0-9]{3}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The query parameter each field is read from (from/to are Python keywords).
PARAMETERS = {"month": "month", "year": "year", "date_from": "from", "date_to": "to", "tz": "tz"}


class HistoryFilterForm(forms.Form):
    month = forms.CharField(required=False, max_length=7)
    year = forms.CharField(required=False, max_length=4)
    date_from = forms.CharField(required=False, max_length=10)
    date_to = forms.CharField(required=False, max_length=10)
    tz = forms.CharField(required=False, max_length=64)

    @classmethod
    def from_query(cls, query: QueryDict, *, strict: bool = False) -> "HistoryFilterForm":
        """The form of the query's parameters. strict (the API): a parameter sent empty (or
        blank: the form strips whitespace) is refused; the page's form sends its empty fields,
        meaning "not filtered"."""
        form = cls({field: query.get(name, "") for field, name in PARAMETERS.items()})
        form.repeated = tuple(n for n in PARAMETERS.values() if len(query.getlist(n)) > 1)
        if strict:
            form.empty = tuple(
                n for n in PARAMETERS.values() if n in query and not query[n].strip()
            )
        return form

    repeated: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()

    def clean_month(self) -> tuple[int, int] | None:
        value = self.cleaned_data["month"]
        if not value:
            return None
        if not MONTH.fullmatch(value):
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-03."))
        return int(value[:4]), int(value[5:])

    def clean_year(self) -> int | None:
        value = self.cleaned_data["year"]
        if not value:
            return None
        if not YEAR.fullmatch(value):
            raise forms.ValidationError(_("Enter a year as YYYY, e.g. 2026."))
        return int(value)

    def clean_date_from(self) -> date | None:
        return _day(self.cleaned_data["date_from"])

    def clean_date_to(self) -> date | None:
        return _day(self.cleaned_data["date_to"])

    def clean_tz(self) -> str:
        value = self.cleaned_data["tz"]
        if value and time_zone_get(value) is None:
            raise forms.ValidationError(_("Enter a time zone name such as Europe/Amsterdam."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        for name in self.repeated:
            self.add_error(_field(name), _("Send this parameter once."))
        for name in self.empty:
            self.add_error(_field(name), _("Empty: leave the parameter out or give a value."))
        return data

    def period(self, tz) -> Period | None:
        """The chosen period in `tz` (None: everything); filters given together narrow each
        other (month=2026-03&year=2025 is empty, as is from after to). After is_valid()."""
        data = self.cleaned_data
        periods = []
        if data.get("month"):
            year, month = data["month"]
            periods.append(month_period(year=year, month=month, tz=tz))
        if data.get("year"):
            periods.append(year_period(year=data["year"], tz=tz))
        if data.get("date_from") or data.get("date_to"):
            periods.append(
                dates_period(date_from=data.get("date_from"), date_to=data.get("date_to"), tz=tz)
            )
        return period_intersection(periods) if periods else None

    def errors_by_parameter(self) -> dict[str, list[str]]:
        """The errors under the query parameters' names (non_field_errors for the whole)."""
        names = {**PARAMETERS, "__all__": "non_field_errors"}
        return {names[field]: [str(m) for m in messages] for field, messages in self.errors.items()}

    def suffix(self) -> str:
        """A file name part naming the period: 2026-03, 2026, 2026-01-01_2026-02-15 or all."""
        data = self.cleaned_data
        if data.get("month"):
            return "{:04d}-{:02d}".format(*data["month"])
        if data.get("year"):
            return f"{data['year']:04d}"
        if data.get("date_from") or data.get("date_to"):
            return f"{data.get('date_from') or ''}_{data.get('date_to') or ''}"
        return "all"


def _field(parameter: str) -> str:
    return {name: field for field, name in PARAMETERS.items()}[parameter]


def _day(value: str) -> date | None:
    if not value:
        return None
    if not DAY.fullmatch(value):
        raise forms.ValidationError(_("Enter a date as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise forms.ValidationError(_("This date does not exist.")) from error
    return day
