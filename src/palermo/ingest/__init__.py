"""Bringing records into a node: FtM JSON lines and CSV files with a column mapping.

Readers turn each input row into an FtM-style entity dict; one validator turns entity
dicts into statements or into row errors naming the field and the reason.
"""

from palermo.ingest.errors import ImportReport, RowError
from palermo.ingest.run import ImportMode, import_file

__all__ = ["ImportMode", "ImportReport", "RowError", "import_file"]
