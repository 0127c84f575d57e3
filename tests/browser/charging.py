"""Steps of charging in a real browser against the CPO simulator, shared by the browser tests
that charge: the simulator pulled and fast, a chargeable connector, the cost rising on the
live session page, and the invoice that follows the stop."""

import re
import time

from playwright.sync_api import Page, expect

from roaming.models import EVSE, Connector, Partner
from roaming.services.pulls import partner_pull

COST_RISES = (
    "first => parseFloat((document.querySelector('#session-cost').innerText"
    ".match(/(\\d+\\.\\d+) EUR/) || [0, 0])[1]) > first"
)


def fast_network(partner: Partner, simulator) -> Partner:
    """The simulator's tariffs and locations pulled; its energy (and cost) rise in seconds, in
    small steps for about 20 s, so the cost is still rising when the page first shows it."""
    simulator.configure(energy_speed=300, session_tick=0.5)
    partner_pull(partner=partner, module="tariffs")
    partner_pull(partner=partner, module="locations")
    return partner


def chargeable_connector(partner: Partner) -> Connector:
    """A connector with a tariff on an available EVSE of the partner."""
    evse = (
        EVSE.objects.filter(status="AVAILABLE", location__partner=partner)
        .exclude(connectors__tariff_ids=[])
        .order_by("pk")
        .first()
    )
    return evse.connectors.exclude(tariff_ids=[]).order_by("pk").first()


def euros(text: str) -> float:
    match = re.search(r"(\d+\.\d+) EUR", text)
    return float(match.group(1)) if match else 0.0


def cost_rising(page: Page) -> float:
    """On the live session page: the first running cost shown, once a higher one follows."""
    cost = page.locator("#session-cost")
    expect(cost).to_contain_text("EUR", timeout=15_000)
    first = euros(cost.inner_text())
    page.wait_for_function(COST_RISES, arg=first, timeout=15_000)
    return first


def invoice_link_awaited(page: Page):
    """On the finished session's page: its invoice link, reloading until the CDR has come and
    been rated and invoiced."""
    invoice_link = page.locator('#session-live a[href*="/account/invoices/"]')
    deadline = time.monotonic() + 30
    while not invoice_link.count():
        assert time.monotonic() < deadline, "no invoice for the session"
        time.sleep(0.5)
        page.reload()
    return invoice_link
