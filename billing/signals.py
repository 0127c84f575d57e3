"""Signals billing sends after its transaction commits, for other apps to act on.

- `invoices_issued(sender=Invoice, invoice_ids=list[str])`: invoices issued together (one, or a
  rating batch's); the drivers app tells each driver what their charge cost.
Receivers should enqueue a task and return; they run outside the issuing transaction.
"""

from django.dispatch import Signal

invoices_issued = Signal()
