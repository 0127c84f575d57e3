"""Signals the roaming services send after their transaction commits, for other apps to act on.

- `session_stored(sender=Session, session_id=int, created=bool)`: a Session was created or
  changed (PUT, PATCH or pull); billing recomputes the live cost.
- `cdr_stored(sender=CDR, cdr_id=int)`: a new CDR was stored (never sent for a repeated POST);
  billing rates it.
- `cdrs_stored(sender=CDR, cdr_ids=list[int])`: new CDRs stored together (a pulled page; each
  then has no `cdr_stored` of its own); billing rates them as one batch.
Receivers should enqueue a task and return; they run outside the request's transaction.
"""

from django.dispatch import Signal

session_stored = Signal()
cdr_stored = Signal()
cdrs_stored = Signal()
