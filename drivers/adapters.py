from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from drivers.models import User
from drivers.selectors import driver_language_get
from drivers.services import driver_profile_create


class AccountAdapter(DefaultAccountAdapter):
    """Gives every new driver a profile in the language they signed up in, and sends the account
    emails in the driver's language, with our name and links to our public address."""

    def clean_email(self, email: str) -> str:
        if len(email) > User._meta.get_field("email").max_length:
            raise forms.ValidationError(_("An email address has at most 254 characters."))
        return super().clean_email(email)

    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            language = getattr(request, "LANGUAGE_CODE", "en") or "en"
            driver_profile_create(user=user, preferred_language=language[:2])
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        host = self.request.get_host() if self.request is not None else None
        context = {
            **{
                key: _public(value, host) if key.endswith("_url") else value
                for key, value in context.items()
            },
            "site_name": settings.SITE_NAME,
            "public_url": settings.EMSP_PUBLIC_URL,
            "account_url": settings.EMSP_PUBLIC_URL + reverse("drivers:dashboard"),
        }
        with translation.override(_language_for(email, context.get("user"))):
            super().send_mail(template_prefix, email, context)


def _language_for(email: str, user: Any) -> str:
    """The recipient's preferred language; the page's language for addresses we do not know."""
    if not isinstance(user, User):
        user = User.objects.filter(email__iexact=email).first()
    language = driver_language_get(user=user) if user is not None else None
    return language or translation.get_language() or settings.LANGUAGE_CODE


def _public(url: Any, host: str | None) -> Any:
    """A link allauth built from the request's host, moved to EMSP_PUBLIC_URL (the address in an
    email must not depend on which internal host name the request came through)."""
    if not isinstance(url, str) or host is None:
        return url
    parts = urlsplit(url)
    if parts.netloc != host:
        return url
    return settings.EMSP_PUBLIC_URL + parts.path + (f"?{parts.query}" if parts.query else "")
