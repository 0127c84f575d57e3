import factory

from billing.models import Payment, PaymentMethod
from tests.drivers.factories import DriverFactory


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
