import uuid

import factory
from django.utils import timezone

from drivers.models import Token
from roaming.models import Partner, PartnerRole
from roaming.ocpi.auth import credentials_token_hash, credentials_token_prefix
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
