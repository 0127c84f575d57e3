"""The app's charging history (mounted under /api/v1/): sessions filtered by period, monthly
totals and the CSV export; the driver's own only."""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from billing import selectors_history as selectors
from billing.api_invoicing import AmountField, OwnObjectsApi, SessionOutputSerializer
from billing.csv_export import csv_response
from billing.forms_history import HistoryFilterForm
from billing.selectors_history import Period
from emsp.api import PAGINATION_PARAMETERS, paginated, paginated_response

TZ_PARAMETER = OpenApiParameter(
    "tz",
    {"type": "string", "enum": sorted(selectors.time_zone_names())},
    description="IANA time zone the months and dates are counted in (default: the service's, "
    "DRIVER_TIME_ZONE), e.g. Europe/Amsterdam.",
)
PERIOD_PARAMETERS = [
    OpenApiParameter(
        "month",
        {"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"},
        description="Sessions started in this month (YYYY-MM). Filters given together narrow "
        "each other.",
    ),
    OpenApiParameter(
        "year",
        {"type": "string", "pattern": "^[1-9][0-9]{3}$"},
        description="Sessions started in this year (YYYY).",
    ),
    OpenApiParameter(
        "from",
        {"type": "string", "format": "date"},
        description="Sessions started on or after this day (YYYY-MM-DD).",
    ),
    OpenApiParameter(
        "to",
        {"type": "string", "format": "date"},
        description="Sessions started on or before this day (YYYY-MM-DD, included).",
    ),
    TZ_PARAMETER,
]


def history_filter(request: Request) -> tuple[HistoryFilterForm, ZoneInfo, Period | None]:
    """The validated filter, its time zone and period; 400 naming the parameter otherwise."""
    form = HistoryFilterForm.from_query(request.query_params, strict=True)
    if not form.is_valid():
        raise ValidationError(form.errors_by_parameter())
    tz = selectors.driver_time_zone(user=request.user, requested=form.cleaned_data["tz"])
    return form, tz, form.period(tz)


class SessionListApi(OwnObjectsApi):
    """The driver's charging sessions, newest first, with place, energy, duration and price."""

    @extend_schema(
        responses=paginated(SessionOutputSerializer),
        parameters=[*PERIOD_PARAMETERS, *PAGINATION_PARAMETERS],
        operation_id="sessions_list",
    )
    def get(self, request: Request) -> Response:
        _form, _tz, period = history_filter(request)
        return paginated_response(
            request=request,
            view=self,
            items=selectors.history_session_list(user=request.user, period=period),
            serializer_class=SessionOutputSerializer,
        )


class SessionDetailApi(OwnObjectsApi):
    @extend_schema(responses=SessionOutputSerializer)
    def get(self, request: Request, session_id: str) -> Response:
        session = selectors.history_session_get(user=request.user, session_id=session_id)
        return Response(SessionOutputSerializer(session).data)


class MonthlyTotalOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM, in the requested time zone.")
    currency = serializers.CharField()
    sessions = serializers.IntegerField()
    sessions_estimated = serializers.IntegerField(
        help_text="Sessions not invoiced yet: their running estimate is in the amount."
    )
    energy_kwh = serializers.DecimalField(max_digits=16, decimal_places=6)
    amount = AmountField(help_text="Incl. VAT, with the currency's decimals.")

    def to_representation(self, instance: selectors.MonthlyTotal) -> dict:
        data = super().to_representation(instance)
        data["month"] = f"{instance.month:%Y-%m}"
        return data


class MonthlyTotalsOutputSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    results = MonthlyTotalOutputSerializer(many=True)


class HistoryMonthlyTotalsApi(OwnObjectsApi):
    """Sessions, kWh and amount per month and currency: the current month and the eleven
    before it, newest first (months without sessions left out)."""

    @extend_schema(
        parameters=[TZ_PARAMETER],
        responses=MonthlyTotalsOutputSerializer,
        operation_id="history_monthly_totals",
    )
    def get(self, request: Request) -> Response:
        _form, tz, _period = history_filter(request)
        totals = selectors.history_monthly_totals(user=request.user, tz=tz)
        return Response(
            MonthlyTotalsOutputSerializer({"time_zone": str(tz), "results": totals}).data
        )


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv (errors are rendered by JSONRenderer all the same)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return JSONRenderer().render(data)


class StrictFormatNegotiation(DefaultContentNegotiation):
    """An unknown ?format= does not choose a renderer (the Accept header does): the view
    answers it with 400 naming the parameter (check_format), where DRF would answer 404 as if
    the endpoint did not exist, and before it knows whether the method is allowed."""

    def select_renderer(self, request: Request, renderers: list, format_suffix=None):
        name = api_settings.URL_FORMAT_OVERRIDE
        values = request.query_params.getlist(name) if name else []
        if len(values) > 1 or (values and values[0] not in {r.format for r in renderers}):
            return _AcceptOnly().select_renderer(request, renderers, format_suffix)
        return super().select_renderer(request, renderers, format_suffix)


class _AcceptOnly(DefaultContentNegotiation):
    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


def check_format(request: Request, renderers: list) -> None:
    name = api_settings.URL_FORMAT_OVERRIDE
    values = request.query_params.getlist(name) if name else []
    known = [renderer.format for renderer in renderers]
    if len(values) > 1 or (values and values[0] not in known):
        raise ValidationError({name: [f"Send one of: {', '.join(known)}."]})


class HistoryExportApi(OwnObjectsApi):
    """The filtered history as CSV (oldest first): times with the location's UTC offset,
    amounts as decimal strings beside their currency."""

    renderer_classes = [JSONRenderer, CsvRenderer]
    content_negotiation_class = StrictFormatNegotiation

    def finalize_response(self, request: Request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: JSON, whatever the client accepts
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="One line per session, with a header."
            )
        },
        operation_id="history_export",
    )
    def get(self, request: Request):
        check_format(request, self.get_renderers())
        form, tz, period = history_filter(request)
        rows = selectors.history_csv_rows(user=request.user, period=period, tz=tz)
        return csv_response(rows, filename=f"charging-history-{form.suffix()}.csv")
