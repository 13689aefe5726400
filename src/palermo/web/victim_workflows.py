"""One router for the victim, referral, alert-subscription, import-wizard and statistics
pages, so `web.routes.mount` registers them with one line."""

from __future__ import annotations

from fastapi import APIRouter

from palermo.web.import_wizard import router as import_wizard
from palermo.web.statistics_page import router as statistics_page
from palermo.web.subscription_forms import router as subscription_forms
from palermo.web.victim_forms import router as victim_forms

router = APIRouter(include_in_schema=False)
for _part in (victim_forms, subscription_forms, import_wizard, statistics_page):
    router.include_router(_part)
