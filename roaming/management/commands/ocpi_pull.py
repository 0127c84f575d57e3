"""Pull Locations, Tariffs, Sessions and CDRs from CPOs now, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from roaming.models import Partner, SyncRun
from roaming.ocpi.client import Crawl, Page
from roaming.services.pulls import PULL_MODULES, PullError, partner_pull


class Command(BaseCommand):
    help = (
        "Pull from connected CPOs (incremental from the last complete pull, or --full). "
        "--party NL*ABC limits it to one partner, --module to one module."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--party", help="country_code*party_id of one CPO, e.g. NL*ABC.")
        parser.add_argument("--module", choices=PULL_MODULES, help="Only this module.")
        parser.add_argument("--full", action="store_true", help="Everything, not only changes.")
        parser.add_argument("--limit", type=int, help="Page size to ask for (default setting).")

    def handle(self, *args: object, **options: object) -> None:
        partners = self._partners(options["party"])
        # Wide enough for the summary when written to a file or a pipe (no terminal width).
        console = Console(file=self.stdout, width=None if self.stdout.isatty() else 140)
        runs: list[SyncRun] = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[pages]} pages"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            for partner in partners:
                offered = {e.identifier for e in partner.endpoints.all() if e.role == "SENDER"}
                for module in PULL_MODULES:
                    if options["module"] not in (None, module) or module not in offered:
                        continue
                    task = progress.add_task(f"{partner} {module}", total=None, pages=0)

                    def on_page(run: SyncRun, page: Page, crawl: Crawl, task: int = task) -> None:
                        progress.update(
                            task,
                            total=crawl.total_count,
                            completed=run.objects_received,
                            pages=run.pages,
                        )

                    try:
                        run = partner_pull(
                            partner=partner,
                            module=module,
                            full=options["full"],
                            limit=options["limit"],
                            on_page=on_page,
                        )
                    except PullError as error:
                        progress.update(task, description=f"{partner} {module}: {error}")
                        continue
                    progress.update(
                        task,
                        total=max(run.objects_received, 1),
                        completed=max(run.objects_received, 1),
                    )
                    runs.append(run)
        console.print(self._summary(runs))
        if any(run.status == SyncRun.Status.FAILED for run in runs):
            raise CommandError("Some pulls failed; they resume on the next run (see above).")

    def _partners(self, party: str | None) -> list[Partner]:
        partners = Partner.objects.filter(status=Partner.Status.CONNECTED)
        if party:
            country_code, _, party_id = party.upper().replace("/", "*").partition("*")
            partners = partners.filter(
                roles__country_code=country_code, roles__party_id=party_id
            ).distinct()
        found = list(partners.prefetch_related("endpoints"))
        if not found:
            raise CommandError(f"No connected partner{f' with party {party}' if party else ''}.")
        return found

    @staticmethod
    def _summary(runs: list[SyncRun]) -> Table:
        table = Table(title="Pulls")
        for column in (
            "partner",
            "module",
            "mode",
            "status",
            "pages",
            "received",
            "stored",
            "errors",
            "note",
        ):
            table.add_column(column)
        for run in runs:
            last = run.error_log[-1] if run.error_log else {}
            note = last.get("error") or last.get("warning") or ""
            if run.resumed_from_id:
                note = f"resumed run {run.resumed_from_id}. {note}"
            table.add_row(
                str(run.partner),
                run.module,
                run.mode,
                run.status,
                str(run.pages),
                str(run.objects_received),
                str(run.objects_stored),
                str(run.errors),
                note[:80],
            )
        return table  # fmt: skip
