"""Billing's part of /api/v1/ (included by emsp/api_urls.py)."""

from django.urls import path

from billing import api

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
    path("charging-eligibility", api.ChargingEligibilityApi.as_view(), name="charging_eligibility"),
]
