"""followthemoney's model, extended with palermo's own schemata.

followthemoney already defines persons, passports, vehicles, accounts, payments, trips and
the family/associate/membership/employment links; palermo adds what the trafficking domain
needs and FtM lacks (phones as entities, border crossings, document reports, notices,
investigation cases, victim records). The extensions are plain FtM YAML files beside this
module, so the same tooling reads them.
"""

from __future__ import annotations

import os
from pathlib import Path

from followthemoney.model import Model
from followthemoney.settings import MODEL_PATH

EXTENSION_PATH = Path(__file__).parent / "schema"


class PalermoModel(Model):
    """An FtM model loaded from FtM's schema folder and palermo's extension folder."""

    def __init__(self) -> None:
        super().__init__(MODEL_PATH)
        for name in sorted(os.listdir(EXTENSION_PATH)):
            if name.endswith(".yaml"):
                self._load(str(EXTENSION_PATH / name))
        self.generate()


model = PalermoModel()

# Schemata a palermo node expects to hold; used by docs, importers and the UI.
CORE_SCHEMATA: tuple[str, ...] = (
    "Person",
    "Organization",
    "Company",
    "Address",
    "Passport",
    "Identification",
    "Phone",
    "Vehicle",
    "BankAccount",
    "Payment",
    "Trip",
    "BorderCrossing",
    "Family",
    "Associate",
    "Membership",
    "Employment",
    "DocumentReport",
    "Notice",
    "InvestigationCase",
    "VictimRecord",
)
