"""Register with a CPO (we start the credentials handshake), update or end a registration."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roaming.models import Partner
from roaming.services.registration import (
    RegistrationError,
    partner_credentials_update,
    partner_register,
    partner_unregister,
)


class Command(BaseCommand):
    help = (
        "Register with a CPO: --versions-url and --token (its CREDENTIALS_TOKEN_A). Safe to run "
        "again: a working registration is kept. --update ID renews the credentials (PUT); "
        "--unregister ID ends the registration (DELETE)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--versions-url", help="The CPO's versions endpoint.")
        parser.add_argument("--token", help="The CPO's CREDENTIALS_TOKEN_A.")
        parser.add_argument("--name", default="", help="Our name for the partner (admin).")
        parser.add_argument(
            "--raw-token-header",
            action="store_true",
            help="The CPO wants the token without Base64 (many 2.1.1/2.2 implementations).",
        )
        parser.add_argument("--update", type=int, metavar="ID", help="PUT: renew credentials.")
        parser.add_argument("--unregister", type=int, metavar="ID", help="DELETE credentials.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            if options["update"]:
                partner = partner_credentials_update(partner=self._partner(options["update"]))
                self.stdout.write(self.style.SUCCESS(f"Credentials renewed with {partner}."))
            elif options["unregister"]:
                partner = partner_unregister(partner=self._partner(options["unregister"]))
                self.stdout.write(self.style.SUCCESS(f"Unregistered from {partner}."))
            else:
                self._register(options)
        except RegistrationError as error:
            hint = " (try again later)" if error.retryable else ""
            raise CommandError(f"{error}{hint}") from error

    def _register(self, options: dict) -> None:
        if not options["versions_url"] or not options["token"]:
            raise CommandError("Give --versions-url and --token (or --update / --unregister).")
        registration = partner_register(
            versions_url=options["versions_url"],
            token_a=options["token"],
            name=options["name"],
            raw_token_header=options["raw_token_header"],
        )
        partner = registration.partner
        if not registration.changed:
            self.stdout.write(f"Already registered with {partner} (id {partner.pk}); kept.")
            return
        parties = ", ".join(f"{r.country_code}*{r.party_id}" for r in partner.roles.all())
        self.stdout.write(self.style.SUCCESS(f"Registered with {partner} (id {partner.pk})."))
        self.stdout.write(f"OCPI {partner.version}; parties: {parties}")
        modules = sorted({f"{e.identifier} ({e.role})" for e in partner.endpoints.all()})
        self.stdout.write("endpoints: " + ", ".join(modules))

    @staticmethod
    def _partner(pk: int) -> Partner:
        partner = Partner.objects.filter(pk=pk).first()
        if partner is None:
            raise CommandError(f"No partner with id {pk}.")
        return partner
