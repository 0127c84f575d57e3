"""Billing's part of /api/v1/ (included by emsp/api_urls.py)."""

from django.urls import path

from billing import api, api_history, api_invoicing

urlpatterns = [
    path("payment-methods", api.PaymentMethodListApi.as_view(), name="payment_methods"),
    path("payment-methods/setup", api.PaymentMethodSetupApi.as_view(), name="card_setup"),
    path(
        "payment-methods/setup/<str:setup_intent_id>/complete",
        api.PaymentMethodSetupCompleteApi.as_view(),
        name="card_setup_complete",
    ),
    path(
        "payment-methods/<str:payment_method_id>",
        api.PaymentMethodDetailApi.as_view(),
        name="payment_method",
    ),
    path(
        "payment-methods/<str:payment_method_id>/default",
        api.PaymentMethodDefaultApi.as_view(),
        name="payment_method_default",
    ),
    path("payments", api.PaymentListApi.as_view(), name="payments"),
    path("payments/<str:payment_id>", api.PaymentDetailApi.as_view(), name="payment"),
    path("payments/<str:payment_id>/pay", api.PaymentPayApi.as_view(), name="payment_pay"),
    path(
        "payments/<str:payment_id>/refresh",
        api.PaymentRefreshApi.as_view(),
        name="payment_refresh",
    ),
    path("invoices", api_invoicing.InvoiceListApi.as_view(), name="invoices"),
    path("invoices/<str:invoice_id>", api_invoicing.InvoiceDetailApi.as_view(), name="invoice"),
    path(
        "invoices/<str:invoice_id>/pdf", api_invoicing.InvoicePdfApi.as_view(), name="invoice_pdf"
    ),
    path("sessions", api_history.SessionListApi.as_view(), name="sessions"),
    path("sessions/<str:session_id>", api_history.SessionDetailApi.as_view(), name="session"),
    path(
        "history/monthly-totals",
        api_history.HistoryMonthlyTotalsApi.as_view(),
        name="history_monthly_totals",
    ),
    path("history/export.csv", api_history.HistoryExportApi.as_view(), name="history_export"),
    path("charging-eligibility", api.ChargingEligibilityApi.as_view(), name="charging_eligibility"),
]
