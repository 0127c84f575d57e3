"""Invoice and credit note PDFs (reportlab: pure Python wheels, no system libraries; its
standard fonts' WinAnsi encoding covers the euro and pound signs and German/Dutch letters).
Rendered in the document's language; the figures are the stored ones, nothing is recomputed."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.amounts import amount_display
from billing.models import CreditNote, Invoice

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def invoice_pdf(invoice: Invoice) -> bytes:
    with translation.override(invoice.language):
        story = _header(invoice, _("Invoice"))
        story += _service(invoice)
        rows = [
            [
                _("Description"),
                _("Quantity"),
                _("Unit price"),
                _("VAT"),
                _("Excl. VAT"),
                _("VAT amount"),
                _("Incl. VAT"),
            ]
        ]
        for line in invoice.lines.all():
            rows.append(
                [
                    line.get_component_display(),
                    f"{_number(line.quantity)} {line.unit}",
                    "" if line.unit_price is None else _number(line.unit_price),
                    "-" if line.vat_rate is None else f"{_number(line.vat_rate)} %",
                    _money(line.amount_excl_vat, invoice.currency),
                    _money(line.vat_amount, invoice.currency),
                    _money(line.amount_incl_vat, invoice.currency),
                ]
            )
        story += _lines_table(rows)
        story += _totals(invoice)
        notes = []
        if invoice.amount_rounding_waived:
            notes.append(
                _(
                    "Charged to your card: %(due)s (%(waived)s is below what can be "
                    "charged and is waived)."
                )
                % {
                    "due": _money(invoice.amount_due, invoice.currency),
                    "waived": _money(invoice.amount_rounding_waived, invoice.currency),
                }
            )
        notes.append(_status_text(invoice))
        story += [Paragraph(escape(text), STYLES["Normal"]) for text in notes]
        return _build(story, invoice.number)


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    with translation.override(credit_note.language):
        story = _header(credit_note, _("Credit note"))
        story.append(
            Paragraph(
                escape(
                    _("Corrects invoice %(number)s. Reason: %(reason)s.")
                    % {
                        "number": credit_note.invoice.number,
                        "reason": credit_note.get_reason_display(),
                    }
                ),
                STYLES["Normal"],
            )
        )
        rows = [[_("Description"), _("VAT"), _("Excl. VAT"), _("VAT amount"), _("Incl. VAT")]]
        for line in credit_note.lines.all():
            rows.append(
                [
                    line.description,
                    "-" if line.vat_rate is None else f"{_number(line.vat_rate)} %",
                    _money(-line.amount_excl_vat, credit_note.currency),
                    _money(-line.vat_amount, credit_note.currency),
                    _money(-line.amount_incl_vat, credit_note.currency),
                ]
            )
        story += _lines_table(rows)
        story += _totals(credit_note, sign=-1)
        return _build(story, credit_note.number)


STYLES = getSampleStyleSheet()


def _header(document, title: str) -> list:
    seller = "<br/>".join(
        escape(part) for part in [document.seller_name, *document.seller_address.splitlines()]
    )
    if document.seller_vat_id:
        seller += "<br/>" + escape(_("VAT id: %(vat_id)s") % {"vat_id": document.seller_vat_id})
    buyer_parts = [document.buyer_name, *document.buyer_address.splitlines(), document.buyer_email]
    buyer = "<br/>".join(escape(part) for part in buyer_parts if part)
    facts = [
        [_("Number"), document.number],
        [_("Date"), formats.date_format(document.issued_at, "DATE_FORMAT")],
        [_("Currency"), document.currency],
    ]
    parties = Table(
        [[Paragraph(seller, STYLES["Normal"]), Paragraph(buyer, STYLES["Normal"])]],
        colWidths=[90 * mm, 80 * mm],
    )
    return [
        Paragraph(escape(f"{title} {document.number}"), STYLES["Title"]),
        parties,
        Spacer(1, 6 * mm),
        Table(facts, colWidths=[40 * mm, 130 * mm]),
        Spacer(1, 6 * mm),
    ]


def _service(invoice: Invoice) -> list:
    if invoice.cdr_id is None:  # a monthly plan fee
        return [Paragraph(escape(invoice.charge_description), STYLES["Normal"]), Spacer(1, 4 * mm)]
    parts = []
    if invoice.session_start and invoice.session_end:
        parts.append(
            _("Charging session from %(start)s to %(end)s")
            % {
                "start": formats.date_format(invoice.session_start, "DATETIME_FORMAT"),
                "end": formats.date_format(invoice.session_end, "DATETIME_FORMAT"),
            }
        )
    if invoice.location_name or invoice.location_address:
        parts.append(", ".join(p for p in (invoice.location_name, invoice.location_address) if p))
    if invoice.evse_id:
        parts.append(_("Charger %(evse_id)s") % {"evse_id": invoice.evse_id})
    parts.append(_("Energy: %(kwh)s kWh") % {"kwh": _number(invoice.energy_kwh)})
    return [Paragraph(escape(text), STYLES["Normal"]) for text in parts] + [Spacer(1, 4 * mm)]


def _lines_table(rows: list[list[str]]) -> list:
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return [table, Spacer(1, 4 * mm)]


def _totals(document, sign: int = 1) -> list:
    rows = [
        [_("Total excl. VAT"), _money(sign * document.total_excl_vat, document.currency)],
        [_("VAT"), _money(sign * document.total_vat, document.currency)],
        [_("Total incl. VAT"), _money(sign * document.total_incl_vat, document.currency)],
    ]
    table = Table(rows, colWidths=[60 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 2), (-1, 2), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.5, colors.black),
            ]
        )
    )
    return [table, Spacer(1, 6 * mm)]


def _status_text(invoice: Invoice) -> str:
    status = invoice.PaymentStatus
    if invoice.payment_status == status.PAID:
        return _("Paid on %(date)s.") % {
            "date": formats.date_format(invoice.paid_at or invoice.issued_at, "DATE_FORMAT")
        }
    if invoice.payment_status == status.CARRIED:
        return _("Below the minimum card charge: carried to your next payment.")
    if invoice.payment_status == status.WAIVED:
        return _("Below the minimum card charge: waived.")
    if invoice.payment_status == status.OPEN:
        return _("Unpaid: please pay it from your account.")
    return _("To be charged to your card.")


def _money(amount, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    text = formats.number_format(
        amount_display(amount, currency), use_l10n=True, force_grouping=True
    )
    return f"{symbol} {text}" if symbol else f"{text} {currency}"


def _number(value) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
    return formats.number_format(text, use_l10n=True)


def _build(story: list, title: str) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=20 * mm, rightMargin=20 * mm
    )
    document.build(story)
    return buffer.getvalue()
