"""The page a screening form shows when its audit row and hit notices could not be written.

A screening's audit row is committed with the hit notices it sends, in one transaction
(ADR 0052 amendment). If that write fails, nothing of the screening was recorded, so the
form must not show its answer: an answer without its audit row is a read no one can account
for. The page says so in one line (status 503: the node could not record it now, the user
may try again); the cause goes to the server's log, not to the page.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from palermo.store.group_write import BatchInterrupted
from palermo.web.render import page

log = logging.getLogger(__name__)
# A failed write of the audit row and notices: the database's error, or a group commit
# whose leader stopped before committing (`store.group_write`).
UNRECORDED = (SQLAlchemyError, BatchInterrupted)
TEXT = (
    "The screening could not be recorded (its audit row and hit notices were not written), "
    "so no answer is shown. Try again; if it fails again, tell this node's administrator."
)


def unrecorded(request: Request, exc: Exception) -> Response:
    """The error page for a screening whose audit row and notices were not written."""
    log.error("screening not recorded: %s", str(exc).splitlines()[0] if str(exc) else exc)
    response = page(request, "message.html", title="Screening not recorded", text=TEXT)
    response.status_code = 503
    return response
