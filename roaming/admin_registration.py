"""Partner admin: register with a CPO (we start the handshake), renew, unregister, pull now.

Thin: each action or view parses staff input and calls one service
(roaming.services.registration, roaming.tasks). Wired into PartnerAdmin in roaming/admin.py.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from roaming.models import Partner
from roaming.services.registration import (
    RegistrationError,
    partner_credentials_update,
    partner_register,
    partner_unregister,
)
from roaming.tasks import pull_partner


class CpoRegistrationForm(forms.Form):
    versions_url = forms.URLField(
        label=_("The CPO's versions URL"), max_length=255, assume_scheme="https"
    )
    token_a = forms.CharField(
        label=_("The CPO's token A"),
        max_length=64,
        strip=True,
        validators=[
            RegexValidator(r"^[!-~]{1,64}$", _("1 to 64 printable characters, no spaces."))
        ],
        widget=forms.PasswordInput(render_value=True),
        help_text=_("Given to you by the CPO out of band; used once, never stored."),
    )
    name = forms.CharField(label=_("Our name for it"), max_length=200, required=False)
    raw_token_header = forms.BooleanField(
        label=_("Raw token in the Authorization header (older 2.1.1/2.2 CPOs)"), required=False
    )


def register_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Register with a CPO: a form, then the handshake (a few seconds)."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    partner = Partner.objects.filter(pk=request.GET.get("partner") or 0).first()
    initial = {"versions_url": partner.versions_url, "name": partner.name} if partner else {}
    form = CpoRegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registration = partner_register(**form.cleaned_data)
        except RegistrationError as error:
            form.add_error(None, str(error))
        else:
            done = registration.partner
            text = (
                _("Registered with %(name)s on OCPI %(version)s.")
                if registration.changed
                else _("Already registered with %(name)s (OCPI %(version)s); kept.")
            )
            model_admin.message_user(
                request, text % {"name": done, "version": done.version}, messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:roaming_partner_change", args=[done.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Partner._meta,
        "title": _("Register with a CPO"),
        "form": form,
        "partner": partner,
    }
    return render(request, "admin/roaming/partner/register.html", context)


def registration_urls(model_admin: admin.ModelAdmin) -> list:
    view = model_admin.admin_site.admin_view(lambda request: register_view(model_admin, request))
    return [path("register/", view, name="roaming_partner_register")]


@admin.action(
    description=_("Register with the CPO (we start the handshake)"), permissions=["change"]
)
def register_with_cpo(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Partner]
) -> HttpResponse | None:
    if queryset.count() != 1:
        model_admin.message_user(request, _("Select one partner."), messages.WARNING)
        return None
    url = reverse("admin:roaming_partner_register")
    return HttpResponseRedirect(f"{url}?partner={queryset.get().pk}")


@admin.action(description=_("Renew credentials (new tokens both ways)"), permissions=["change"])
def renew_credentials(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Partner]
) -> None:
    _each(model_admin, request, queryset, partner_credentials_update, _("credentials renewed"))


@admin.action(description=_("Unregister (end the roaming connection)"), permissions=["change"])
def unregister_from_cpo(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Partner]
) -> None:
    _each(model_admin, request, queryset, partner_unregister, _("unregistered"))


@admin.action(description=_("Pull now (what changed since the last pull)"), permissions=["change"])
def pull_now(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Partner]
) -> None:
    connected = list(queryset.filter(status=Partner.Status.CONNECTED))
    for partner in connected:
        transaction.on_commit(lambda pk=partner.pk: pull_partner.delay(pk))
    model_admin.message_user(
        request,
        _("Pulls queued for %(count)d partner(s); see the sync runs.") % {"count": len(connected)},
        messages.SUCCESS,
    )


def _each(model_admin, request, queryset, service, done_text) -> None:
    for partner in queryset:
        try:
            service(partner=partner)
        except RegistrationError as error:
            model_admin.message_user(request, f"{partner}: {error}", messages.ERROR)
        else:
            model_admin.message_user(request, f"{partner}: {done_text}", messages.SUCCESS)


REGISTRATION_ACTIONS = (register_with_cpo, renew_credentials, unregister_from_cpo, pull_now)
