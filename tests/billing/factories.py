from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import CreditNote, Invoice, Payment, PaymentMethod, SessionCost
from tests.drivers.factories import DriverFactory
from tests.roaming import factories as roaming_factories

CENT = Decimal("0.01")


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    """A card row without Stripe (for rules that only read our records)."""

    class Meta:
        model = PaymentMethod

    user = factory.SubFactory(DriverFactory)
    stripe_id = factory.Sequence(lambda n: f"pm_test_{n:08d}")
    brand = "visa"
    last4 = "4242"
    exp_month = 12
    exp_year = 2099
    is_default = True


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    user = factory.SubFactory(DriverFactory)
    purpose = "invoice"
    reference = factory.Sequence(lambda n: f"INV-{n:06d}")
    idempotency_key = factory.LazyAttribute(lambda p: f"{p.purpose}:{p.reference}")
    kind = Payment.Kind.CHARGE
    currency = "EUR"
    amount = factory.Faker("pydecimal", left_digits=2, right_digits=2, positive=True)


class LocationFactory(roaming_factories.LocationFactory):
    """A CPO's charging Location as stored (without EVSEs), in Utrecht."""

    ocpi_id = factory.Sequence(lambda n: f"LOC{n:05d}")
    name = factory.Sequence(lambda n: f"Stationsplein {n}")
    city = "Utrecht"
    postal_code = ""
    latitude = Decimal("52.089000")
    longitude = Decimal("5.110000")


class SessionFactory(factory.django.DjangoModelFactory):
    """A driver's charging Session at a Location, as the CPO reported it (completed by
    default; `token` decides whose it is)."""

    class Meta:
        model = "roaming.Session"

    partner = factory.SelfAttribute("location.partner")
    location = factory.SubFactory(LocationFactory)
    token = factory.SubFactory("tests.roaming.factories.TokenFactory")
    country_code = "NL"
    party_id = "CPO"
    ocpi_id = factory.Sequence(lambda n: f"SES{n:06d}")
    raw = factory.LazyFunction(dict)
    start_date_time = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    end_date_time = factory.LazyAttribute(lambda s: s.start_date_time + timedelta(minutes=45))
    last_updated = factory.LazyAttribute(lambda s: s.end_date_time or s.start_date_time)
    kwh = Decimal("20.5")
    token_uid = factory.SelfAttribute("token.uid")
    token_type = factory.SelfAttribute("token.type")
    contract_id = factory.SelfAttribute("token.contract_id")
    auth_method = "WHITELIST"
    ocpi_location_id = factory.SelfAttribute("location.ocpi_id")
    ocpi_evse_uid = "EVSE1"
    ocpi_connector_id = "1"
    currency = "EUR"
    status = "COMPLETED"


class SessionCostFactory(factory.django.DjangoModelFactory):
    """The running cost of a session by the driver's plan."""

    class Meta:
        model = SessionCost

    session = factory.SubFactory(SessionFactory)
    currency = "EUR"
    total_excl_vat = factory.LazyAttribute(
        lambda c: (c.total_incl_vat / Decimal("1.21")).quantize(Decimal("0.0001"))
    )
    total_incl_vat = Decimal("7.50")
    session_last_updated = factory.LazyFunction(timezone.now)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice (without lines) for a session; `payment_status` paid by default."""

    class Meta:
        model = Invoice

    session = factory.SubFactory(SessionFactory)
    user = factory.LazyAttribute(lambda i: i.session.token.user if i.session else None)
    series = "INV-TEST"
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda i: f"{i.series}-{i.sequence:06d}")
    issued_at = factory.LazyAttribute(
        lambda i: i.session.end_date_time if i.session else timezone.now()
    )
    currency = "EUR"
    language = "en"
    seller_name = "EMSP B.V."
    seller_address = "Herengracht 1, Amsterdam"
    buyer_email = factory.LazyAttribute(lambda i: i.user.email if i.user else "x@example.org")
    total_incl_vat = Decimal("8.47")
    total_vat = factory.LazyAttribute(lambda i: (i.total_incl_vat * 21 / 121).quantize(CENT))
    total_excl_vat = factory.LazyAttribute(lambda i: i.total_incl_vat - i.total_vat)
    amount_due = factory.SelfAttribute("total_incl_vat")
    energy_kwh = factory.LazyAttribute(lambda i: i.session.kwh if i.session else Decimal(0))
    location_name = factory.LazyAttribute(
        lambda i: i.session.location.name if i.session and i.session.location else ""
    )
    payment_status = Invoice.PaymentStatus.PAID


class CreditNoteFactory(factory.django.DjangoModelFactory):
    """A credit note of `invoice` (give it) for `total_incl_vat`, in its own series."""

    class Meta:
        model = CreditNote

    invoice = factory.SubFactory(InvoiceFactory)
    user = factory.SelfAttribute("invoice.user")
    series = "CN-TEST"
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda c: f"{c.series}-{c.sequence:06d}")
    issued_at = factory.LazyFunction(timezone.now)
    currency = factory.SelfAttribute("invoice.currency")
    language = "en"
    seller_name = "EMSP B.V."
    seller_address = "Herengracht 1, Amsterdam"
    buyer_email = factory.SelfAttribute("invoice.buyer_email")
    total_incl_vat = Decimal("1.00")
    total_vat = factory.LazyAttribute(lambda c: (c.total_incl_vat * 21 / 121).quantize(CENT))
    total_excl_vat = factory.LazyAttribute(lambda c: c.total_incl_vat - c.total_vat)
    reason = "goodwill"
    request_key = factory.Sequence(lambda n: f"credit-test-{n}")
