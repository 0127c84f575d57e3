import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from drivers.models import Token
from roaming.models import EVSE, Connector, Location, Partner, PartnerRole
from roaming.ocpi.auth import credentials_token_hash, credentials_token_prefix
from roaming.services.summaries import location_summaries_refresh
from tests.drivers.factories import DriverFactory


class PartnerFactory(factory.django.DjangoModelFactory):
    """A connected CPO partner. Its token C (what it presents to us) is `partner.plain_token`."""

    class Meta:
        model = Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"CPO {n}")
    status = Partner.Status.CONNECTED
    versions_url = "https://cpo.example.com/ocpi/versions"
    version = "2.2.1"
    token_b = factory.LazyFunction(lambda: uuid.uuid4().hex)
    connected_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def plain_token(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        token = extracted or f"token-c-{uuid.uuid4().hex}"
        self.plain_token = token
        self.token_c_hash = credentials_token_hash(token)
        self.token_c_prefix = credentials_token_prefix(token)
        if create:
            self.save()

    @factory.post_generation
    def parties(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """parties=["BE/BEC", "NL/TNM"]: CPO roles to create (default: none)."""
        for party in extracted or []:
            country_code, party_id = party.split("/")
            PartnerRole.objects.create(
                partner=self,
                role="CPO",
                country_code=country_code,
                party_id=party_id,
                name=self.name,
                business_details={"name": self.name},
            )


class TokenFactory(factory.django.DjangoModelFactory):
    """A token we issued to a driver (drivers.Token)."""

    class Meta:
        model = Token

    user = factory.SubFactory(DriverFactory)
    uid = factory.Sequence(lambda n: f"04A1B2C3D4{n:04d}")
    type = Token.Type.RFID
    contract_id = factory.Sequence(lambda n: f"NL-EMS-C{n:08d}")
    visual_number = factory.Sequence(lambda n: f"NL-EMS-{n:06d}")
    issuer = "EMSP"
    valid = True
    whitelist = Token.Whitelist.ALLOWED_OFFLINE


class LocationFactory(factory.django.DjangoModelFactory):
    """A published Location (give `partner`, or one is made) near Amsterdam Centraal."""

    class Meta:
        model = Location

    partner = factory.SubFactory(PartnerFactory)
    country_code = "NL"
    party_id = "CPO"
    ocpi_id = factory.Sequence(lambda n: f"LOC{n}")
    raw = factory.LazyFunction(dict)
    last_updated = factory.LazyFunction(timezone.now)
    name = factory.Sequence(lambda n: f"Charging hub {n}")
    address = "Stationsplein 1"
    city = "Amsterdam"
    postal_code = "1012 AB"
    country = "NLD"
    latitude = Decimal("52.3791000")
    longitude = Decimal("4.9003000")
    time_zone = "Europe/Amsterdam"


class EVSEFactory(factory.django.DjangoModelFactory):
    """An EVSE; its Location's summary is refreshed, as the Locations receiver does."""

    class Meta:
        model = EVSE
        skip_postgeneration_save = True

    location = factory.SubFactory(LocationFactory)
    uid = factory.Sequence(lambda n: f"E{n}")
    evse_id = factory.Sequence(lambda n: f"NL*CPO*E{n}")
    status = "AVAILABLE"
    raw = factory.LazyFunction(dict)
    last_updated = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def summary(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            location_summaries_refresh(location_ids=[self.location_id])


class ConnectorFactory(factory.django.DjangoModelFactory):
    """A 22 kW Type 2 socket (AC, three phases)."""

    class Meta:
        model = Connector
        skip_postgeneration_save = True

    evse = factory.SubFactory(EVSEFactory)
    ocpi_id = "1"
    standard = "IEC_62196_T2"
    format = "SOCKET"
    power_type = "AC_3_PHASE"
    max_voltage = 230
    max_amperage = 32
    max_electric_power = 22000
    raw = factory.LazyFunction(dict)
    last_updated = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def summary(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            location_summaries_refresh(location_ids=[self.evse.location_id])


def charger(partner, *, evses=1, connector=None, evse=None, **location):
    """A Location with `evses` EVSEs of one connector each (ConnectorFactory fields in
    `connector`, EVSEFactory fields in `evse`)."""
    place = LocationFactory(partner=partner, **location)
    for _ in range(evses):
        ConnectorFactory(evse=EVSEFactory(location=place, **(evse or {})), **(connector or {}))
    return place
