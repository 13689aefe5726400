"""The node's library of CSV mappings: the shipped ones plus the node's own folder.

The import wizard offers every mapping here in its pick list and opens a picked one by its
name, never by a path from a form. A mapping uploaded in the wizard can be saved into the
node's folder (``PALERMO_MAPPINGS``, docs/operations.md) so the next import of the same kind
of file picks it instead of uploading it again. Saving never replaces a mapping: a name the
library already has (shipped or saved) is refused, so a shipped mapping cannot be shadowed
and a colleague's saved mapping cannot be overwritten by accident. A folder on the node,
not a table, because the library is configuration the operator reviews and versions like
the shipped files, and every worker process of a node shares it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from palermo.web.render import HERE

SHIPPED = HERE / "import_mappings"
FOLDER_ENV = "PALERMO_MAPPINGS"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


class LibraryError(ValueError):
    """A mapping that cannot be saved: ``field`` names the form field, ``str`` the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


def node_folder() -> Path | None:
    """The node's own mapping folder, or None when the operator has not configured one."""
    extra = os.environ.get(FOLDER_ENV)
    return Path(extra) if extra else None


def library() -> dict[str, Path]:
    """Mapping name -> file: the shipped ones plus the node's folder. A saved mapping never
    has a shipped one's name (``save``), so neither hides the other."""
    folders = [SHIPPED]
    extra = node_folder()
    if extra is not None:
        folders.append(extra)
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.y*ml")):
                found[path.stem] = path
    return found


def check_name(name: str) -> str:
    """The name a mapping is saved under: 2-63 characters, lower-case letters, digits, ``-``
    and ``_``, starting with a letter or digit (it becomes a file name), not taken yet."""
    name = name.strip()
    if not name:
        raise LibraryError("name", "give the mapping a name")
    if not NAME.match(name):
        raise LibraryError(
            "name",
            f"{name[:64]!r} is not a library name: 2 to 63 lower-case letters, digits, "
            "'-' or '_', starting with a letter or digit",
        )
    if name in library():
        raise LibraryError("name", f"the library already has a mapping named {name!r}")
    return name


def save(name: str, text: str) -> Path:
    """Write ``text`` (a mapping the caller has already loaded successfully) as ``name`` in
    the node's folder. The file is created exclusively, so of two users saving the same
    name at once one gets the 'already has' error instead of a silent overwrite."""
    name = check_name(name)
    folder = node_folder()
    if folder is None:
        raise LibraryError(
            "name", f"this node has no mapping folder to save into (set {FOLDER_ENV})"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise LibraryError("name", f"the library already has a mapping named {name!r}") from None
    return path
