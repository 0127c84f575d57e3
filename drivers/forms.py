from django import forms
from django.utils.translation import gettext_lazy as _

from drivers.models import DriverProfile


class DriverProfileForm(forms.ModelForm):
    class Meta:
        model = DriverProfile
        fields = (
            "full_name",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "preferred_language",
            "marketing_consent",
            "notification_emails",
        )
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and personal data are erased for good."),
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


class CardActivateForm(forms.Form):
    """The number printed on the ordered card, typed by the driver who received it (one form
    per order on the page: ids of their own)."""

    def __init__(self, *args, order_id: int, **kwargs) -> None:
        super().__init__(*args, auto_id=f"id_order{order_id}_%s", **kwargs)
        self.order_id = order_id

    visual_number = forms.CharField(
        label=_("Number printed on the card"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class RfidLinkForm(forms.Form):
    """Link an RFID card the driver holds: its UID and the number printed on it. The service
    (token_rfid_link) validates and normalises both."""

    uid = forms.CharField(
        label=_("Card UID"),
        max_length=40,
        help_text=_("8 to 20 hexadecimal digits, e.g. 04A2B3C4D5E6F7."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    visual_number = forms.CharField(
        label=_("Number printed on the card"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
