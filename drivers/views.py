from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from drivers.forms import AccountDeleteForm, DriverProfileForm
from drivers.selectors import driver_profile_get
from drivers.services import driver_delete, driver_profile_update


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    profile = driver_profile_get(user=request.user)
    return render(request, "drivers/dashboard.html", {"profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = driver_profile_get(user=request.user)
    form = DriverProfileForm(_posted(request), instance=profile)
    if request.method == "POST" and form.is_valid():
        profile = driver_profile_update(user=request.user, **form.cleaned_data)
        translation.activate(profile.preferred_language)
        messages.success(request, _("Your profile is saved."))
        return redirect("drivers:profile")
    return render(request, "drivers/profile_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        driver_delete(user=user)
        messages.success(request, _("Your account and personal data have been erased."))
        return redirect("home")
    return render(request, "drivers/account_delete.html", {"form": form})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: also the signed-in driver's preferred language (pages, emails)."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        driver_profile_update(user=request.user, preferred_language=language)
    return set_language(request)


def _posted(request: HttpRequest) -> object:
    return request.POST if request.method == "POST" else None
