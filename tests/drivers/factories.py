import factory
from allauth.account.models import EmailAddress

from drivers.models import DriverProfile, User

DEFAULT_PASSWORD = "correct-horse-battery-9"


class DriverFactory(factory.django.DjangoModelFactory):
    """A driver with a verified email address and a filled-in profile."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"driver{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def finish(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        self.save()
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        DriverProfileFactory(user=self)


class DriverProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DriverProfile
        django_get_or_create = ("user",)

    full_name = factory.Faker("name")
    address_line1 = factory.Faker("street_address")
    postal_code = factory.Faker("postcode")
    city = factory.Faker("city")
    country = "NL"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@emsp.example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        from django.contrib.auth.models import Group

        self.save()
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
