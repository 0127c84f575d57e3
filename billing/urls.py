"""The driver's payment pages (under /account/) and Stripe's webhook (/billing/stripe/webhook)."""

from django.urls import path

from billing import views, views_history, views_invoicing

app_name = "billing"
urlpatterns = [
    path("account/payment-methods/", views.payment_methods, name="payment_methods"),
    path(
        "account/payment-methods/complete/",
        views.card_setup_complete,
        name="card_setup_complete",
    ),
    path(
        "account/payment-methods/<uuid:payment_method_id>/default/",
        views.payment_method_default,
        name="payment_method_default",
    ),
    path(
        "account/payment-methods/<uuid:payment_method_id>/remove/",
        views.payment_method_remove,
        name="payment_method_remove",
    ),
    path("account/payments/", views.payment_list, name="payments"),
    path("account/payments/<uuid:payment_id>/", views.payment_pay, name="payment_pay"),
    path(
        "account/payments/<uuid:payment_id>/refresh/",
        views.payment_refresh,
        name="payment_refresh",
    ),
    path("account/invoices/", views_invoicing.invoice_list, name="invoices"),
    path(
        "account/invoices/<uuid:invoice_id>/",
        views_invoicing.invoice_detail,
        name="invoice_detail",
    ),
    path(
        "account/invoices/<uuid:invoice_id>/pdf/", views_invoicing.invoice_pdf, name="invoice_pdf"
    ),
    path("account/history/", views_history.history, name="history"),
    path("account/history/export.csv", views_history.history_export, name="history_export"),
    path("account/sessions/", views_history.sessions_redirect, name="sessions"),
    path(
        "account/sessions/<int:session_id>/", views_invoicing.session_detail, name="session_detail"
    ),
    path("billing/stripe/webhook", views.stripe_webhook, name="stripe_webhook"),
]
