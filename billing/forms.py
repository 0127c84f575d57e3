from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Refund
from billing.selectors import payment_method_list


class PaymentPayForm(forms.Form):
    """Which of the driver's own cards pays an open payment."""

    payment_method = forms.ModelChoiceField(
        queryset=None, label=_("Card"), empty_label=None, widget=forms.RadioSelect
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].queryset = payment_method_list(user=user)


class SetupCompleteForm(forms.Form):
    setup_intent_id = forms.RegexField(regex=r"^seti_[A-Za-z0-9_]{1,200}$", max_length=255)


class RefundForm(forms.Form):
    """The admin's refund: an amount, a reason, and the request key that makes it once only."""

    amount = forms.DecimalField(max_digits=14, decimal_places=3, min_value=0)
    reason = forms.ChoiceField(
        choices=[c for c in Refund.Reason.choices if c[0] != Refund.Reason.MADE_IN_STRIPE]
    )
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("A refund must be more than zero."))
        return amount
