"""The coordination forms of the web UI in one router: operations, MLA requests, notices,
messages (each module's docstring says what it calls). Mounted before the read-only pages
of `web/pages.py`, so ``/operations/new`` is the form, not an operation called "new"."""

from __future__ import annotations

from fastapi import APIRouter

from palermo.web import message_forms, mla_forms, notice_forms, operation_forms

router = APIRouter(include_in_schema=False)
for _part in (operation_forms, mla_forms, notice_forms, message_forms):
    router.include_router(_part.router)
