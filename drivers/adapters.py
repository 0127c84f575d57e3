from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _

from drivers.models import User
from drivers.services import driver_profile_create


class AccountAdapter(DefaultAccountAdapter):
    """Gives every new driver a profile in the language they signed up in."""

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
