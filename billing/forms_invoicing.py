from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Refund


class CreditNoteForm(forms.Form):
    """The admin's credit note: all that is left, or a part (incl. VAT), with a reason."""

    amount = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        required=False,
        help_text=_("Incl. VAT. Leave empty to credit all that is left of the invoice."),
    )
    reason = forms.ChoiceField(
        choices=[c for c in Refund.Reason.choices if c[0] != Refund.Reason.MADE_IN_STRIPE]
    )
    note = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("A credit must be more than zero."))
        return amount


class ReviewDecisionForm(forms.Form):
    """Why staff approve or close a CDR from the review queue (kept with the decision)."""

    note = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
