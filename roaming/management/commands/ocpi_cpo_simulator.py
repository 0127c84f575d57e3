"""Run the bundled CPO simulator (OCPI 2.2.1 on loopback): `roaming.simulator`."""

import argparse
import logging

from django.core.management.base import BaseCommand, CommandParser

from roaming.simulator.runner import add_arguments, config_from_args, run


class Command(BaseCommand):
    help = (
        "Run a simulated CPO on 127.0.0.1 speaking OCPI 2.2.1: versions, credentials, "
        "locations, tariffs, sessions, CDRs and commands. It keeps everything in memory and "
        "never touches our database. Admin endpoint: /_sim/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        logging.getLogger("roaming.simulator").setLevel(logging.INFO)
        register = None
        if options["register_url"]:
            register = (options["register_url"], options["register_token"])
        config = config_from_args(argparse.Namespace(**options))
        run(config, register=register, announce=self.stdout.write)
