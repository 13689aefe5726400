"""The import wizard: upload FtM JSON lines or a CSV with a mapping, preview, import.

Step 1 (``GET /imports/new``): the file, its format, a mapping for CSV (picked from the node's
mapping library or uploaded; followthemoney's format, `ingest.mapping`), the default sharing
and atomic or skip-bad. Step 2 (``POST /imports/preview``): the first rows as the entities
they would become (ids namespaced, values cleaned, sharing resolved) and every bad row with
its line, field and reason, found by validating the whole file without writing. Step 3
(``POST /imports/run``): `ingest.import_file`, the CLI's function, as the logged-in user.

The wizard keeps no state between steps: the preview page carries the file back in a hidden
field and the last step checks everything again (a multi-worker node has no shared upload
directory, and nothing half-imported can linger). Uploads are limited to
:data:`MAX_UPLOAD` (the file) and :data:`MAX_MAPPING`, inside the web forms' 1 MiB body limit
(`api.body_limits`); larger files go through ``palermo import``. The default sharing is read
by the one strict parser (`ingest.audiences.checked_sharing`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.ingest import ImportMode, import_file
from palermo.ingest.audiences import checked_sharing, known_audiences
from palermo.ingest.errors import ImportReport, RowError, RowProblem
from palermo.ingest.mapping import MappingError, load_mapping
from palermo.ingest.run import read_rows
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, utcnow
from palermo.web.csrf import csrf_protect
from palermo.web.mapping_library import LibraryError, library, node_folder, save
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
KIB = 1024
MAX_UPLOAD = 480 * KIB  # sent twice (upload, then back from the preview) under 1 MiB
MAX_MAPPING = 32 * KIB
PREVIEW_ROWS = 10
SHOWN_ERRORS = 200
FORMATS = ("auto", "ftm", "csv")


@dataclass
class Upload:
    """What the user sent, checked; ``errors`` maps each form field to its message."""

    filename: str = ""
    content: str = ""
    fmt: str = "auto"
    mapping_name: str = ""
    mapping_text: str = ""
    sharing: str = ""
    mode: str = ImportMode.ATOMIC.value
    errors: dict[str, str] = field(default_factory=dict)

    def resolved_format(self) -> str:
        if self.fmt in ("ftm", "csv"):
            return self.fmt
        return "csv" if self.filename.lower().endswith((".csv", ".tsv")) else "ftm"


def safe_name(name: str, fmt: str) -> str:
    """The uploaded file's base name, reduced to safe characters (it names the file in
    error lines and the audit log)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or "").name)[:100].lstrip(".")
    return base or ("upload.csv" if fmt == "csv" else "upload.json")


async def _text(upload: UploadFile | None, limit: int, name: str) -> tuple[str, str, str | None]:
    """(file name, text, error) of an optional upload read up to ``limit`` bytes."""
    if upload is None or not upload.filename:
        return "", "", None
    raw = await upload.read(limit + 1)
    if len(raw) > limit:
        return upload.filename, "", f"{name}: larger than {limit // KIB} KiB (use palermo import)"
    try:
        return upload.filename, raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return upload.filename, "", f"{name}: not UTF-8 text"


def check(store: Any, upload: Upload) -> None:
    """Fill ``upload.errors`` for the fields that cannot be used as they are."""
    errors = upload.errors
    if not upload.content.strip() and "file" not in errors:
        errors["file"] = "file: choose a file to import (FtM JSON lines or CSV)"
    if len(upload.content.encode()) > MAX_UPLOAD:
        errors["file"] = f"file: larger than {MAX_UPLOAD // KIB} KiB (use palermo import)"
    if upload.fmt not in FORMATS:
        errors["format"] = f"format: {upload.fmt[:20]!r} is not one of {', '.join(FORMATS)}"
    if upload.mode not in (m.value for m in ImportMode):
        errors["mode"] = f"mode: {upload.mode[:20]!r} is not atomic or skip-bad"
    if upload.mapping_name and upload.mapping_name not in library():
        errors["mapping"] = f"mapping: no mapping named {upload.mapping_name[:60]!r} in the library"
    if len(upload.mapping_text.encode()) > MAX_MAPPING:
        errors["mapping"] = f"mapping: larger than {MAX_MAPPING // KIB} KiB"
    if upload.resolved_format() == "csv" and not (upload.mapping_text or upload.mapping_name):
        errors.setdefault("mapping", "mapping: a CSV file needs a mapping (pick or upload one)")
    if upload.sharing.strip():
        try:
            checked_sharing(store, upload.sharing.strip(), "sharing")
        except ValueError as exc:
            errors["sharing"] = str(exc)


@dataclass
class Staged:
    """The upload written to a private temporary folder, for the ingest functions."""

    path: Path
    mapping: Path | None


def stage(folder: Path, upload: Upload) -> Staged:
    fmt = upload.resolved_format()
    path = folder / safe_name(upload.filename, fmt)
    path.write_text(upload.content, encoding="utf-8")
    mapping: Path | None = None
    if fmt == "csv":
        if upload.mapping_text:
            mapping = folder / "mapping.yml"
            mapping.write_text(upload.mapping_text, encoding="utf-8")
        else:
            mapping = library()[upload.mapping_name]
    return Staged(path, mapping)


@dataclass
class Preview:
    rows_read: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def preview(store: Any, viewer: Viewer, upload: Upload, staged: Staged) -> Preview:
    """The first rows as entities and every bad row, as the import would see them (same
    readers, same validation, same sharing default); nothing is written."""
    fmt = upload.resolved_format()
    mapping = load_mapping(staged.mapping) if staged.mapping is not None else None
    known = known_audiences(store)
    default = checked_sharing(store, upload.sharing.strip() or None, "sharing")
    seen = utcnow()
    out = Preview()
    rows = read_rows(staged.path, fmt, mapping)
    for line, group in itertools.groupby(rows, key=lambda item: item[0]):
        out.rows_read += 1
        entities: list[dict[str, Any]] = []
        try:
            for _, row in group:
                if isinstance(row, RowProblem):
                    raise row
                stmts = entity_statements(row, viewer.agency, default, seen, known=known)
                entities.append(_shown(line, stmts))
        except RowProblem as problem:
            out.errors.append(RowError(staged.path.name, line, problem.field, problem.reason))
            continue
        if len(out.entities) < PREVIEW_ROWS:
            out.entities += entities
    return out


def _shown(line: int, stmts: list[Any]) -> dict[str, Any]:
    props: dict[str, list[str]] = {}
    for s in stmts:
        if s.prop != BASE:
            props.setdefault(s.prop, []).append(s.value)
    first = stmts[0]
    return {
        "line": line,
        "id": first.entity_id,
        "schema": first.schema,
        "properties": props,
        "sharing": first.sharing.canonical.rstrip("|"),
    }


# --- routes --------------------------------------------------------------------------------


def _signed_in(request: Request) -> Viewer | Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        viewer.require_data_role("import entity data")
    except AccessDenied as exc:
        response = page(request, "message.html", title="Not allowed", text=str(exc))
        response.status_code = 403
        return response
    return viewer


def _form(request: Request, upload: Upload, status: int = 200) -> HTMLResponse:
    response = page(
        request,
        "import_form.html",
        upload=upload,
        errors=upload.errors,
        library=sorted(library()),
        formats=FORMATS,
        modes=[m.value for m in ImportMode],
        max_kib=MAX_UPLOAD // KIB,
    )
    response.status_code = status
    return response


@router.get("/imports/new", response_class=HTMLResponse)
def import_form(request: Request) -> Response:
    viewer = _signed_in(request)
    if not isinstance(viewer, Viewer):
        return viewer
    return _form(request, Upload())


@router.post("/imports/preview", response_class=HTMLResponse)
async def import_preview(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    mapping_file: Annotated[UploadFile | None, File()] = None,
    fmt: Annotated[str, Form(alias="format")] = "auto",
    mapping: Annotated[str, Form()] = "",
    sharing: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[str, Form()] = ImportMode.ATOMIC.value,
) -> Response:
    viewer = _signed_in(request)
    if not isinstance(viewer, Viewer):
        return viewer
    upload = Upload(fmt=fmt, mapping_name=mapping, sharing=sharing, mode=mode)
    upload.filename, upload.content, problem = await _text(file, MAX_UPLOAD, "file")
    if problem:
        upload.errors["file"] = problem
    _, upload.mapping_text, problem = await _text(mapping_file, MAX_MAPPING, "mapping")
    if problem:
        upload.errors["mapping"] = problem
    if upload.mapping_text:
        upload.mapping_name = ""
    return _preview_page(request, viewer, upload)


def _preview_page(
    request: Request,
    viewer: Viewer,
    upload: Upload,
    saving: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The preview of a checked upload; ``saving`` is what the save-mapping form said
    (``name``, and ``error`` or ``saved``)."""
    store = store_of(request)
    check(store, upload)
    if upload.errors:
        return _form(request, upload, 422)
    with tempfile.TemporaryDirectory(prefix="palermo-import-") as folder:
        staged = stage(Path(folder), upload)
        try:
            shown = preview(store, viewer, upload, staged)
        except MappingError as exc:
            upload.errors["mapping"] = str(exc).splitlines()[0]
            return _form(request, upload, 422)
        except ValueError as exc:
            upload.errors["file"] = f"file: {str(exc).splitlines()[0]}"
            return _form(request, upload, 422)
        name = staged.path.name
    response = page(
        request,
        "import_preview.html",
        upload=upload,
        filename=name,
        shown=shown,
        errors=shown.errors[:SHOWN_ERRORS],
        modes=[m.value for m in ImportMode],
        can_save=bool(upload.mapping_text) and node_folder() is not None,
        saving=saving or {},
    )
    response.status_code = status
    return response


@router.post("/imports/mappings", response_class=HTMLResponse)
def save_mapping(
    request: Request,
    name: Annotated[str, Form()] = "",
    filename: Annotated[str, Form(max_length=200)] = "",
    content: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format")] = "auto",
    mapping_text: Annotated[str, Form()] = "",
    sharing: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[str, Form()] = ImportMode.ATOMIC.value,
) -> Response:
    """Save the uploaded mapping of a previewed CSV to the node's library under ``name``,
    then show the preview again with the mapping picked from the library by that name.
    The mapping is loaded before it is saved: a broken one never enters the library."""
    viewer = _signed_in(request)
    if not isinstance(viewer, Viewer):
        return viewer
    upload = Upload(filename, content.replace("\r\n", "\n"), fmt, "", mapping_text, sharing)
    upload.mode = mode
    check(store_of(request), upload)
    if not mapping_text.strip():
        upload.errors["mapping"] = "mapping: only an uploaded mapping can be saved to the library"
    if upload.errors:
        return _form(request, upload, 422)
    with tempfile.TemporaryDirectory(prefix="palermo-mapping-") as folder:
        staged = Path(folder) / "mapping.yml"
        staged.write_text(mapping_text, encoding="utf-8")
        try:
            load_mapping(staged)
        except MappingError as exc:
            upload.errors["mapping"] = str(exc).splitlines()[0]
            return _form(request, upload, 422)
    try:
        path = save(name, mapping_text)
    except LibraryError as exc:
        return _preview_page(request, viewer, upload, {"name": name, "error": str(exc)}, 422)
    digest = hashlib.sha256(mapping_text.encode()).hexdigest()
    store_of(request).audit_event(viewer, "import.mapping.save", path.stem, {"sha256": digest})
    upload.mapping_name, upload.mapping_text = path.stem, ""
    return _preview_page(request, viewer, upload, {"saved": path.stem})


@router.post("/imports/run", response_class=HTMLResponse)
def import_run(
    request: Request,
    filename: Annotated[str, Form(max_length=200)] = "",
    content: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format")] = "auto",
    mapping: Annotated[str, Form()] = "",
    mapping_text: Annotated[str, Form()] = "",
    sharing: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[str, Form()] = ImportMode.ATOMIC.value,
) -> Response:
    """`import_file` as the user: atomic (nothing stored if any row is bad) or skip-bad."""
    viewer = _signed_in(request)
    if not isinstance(viewer, Viewer):
        return viewer
    upload = Upload(filename, content.replace("\r\n", "\n"), fmt, mapping, mapping_text, sharing)
    upload.mode = mode
    store = store_of(request)
    check(store, upload)
    if upload.errors:
        return _form(request, upload, 422)
    default: Sharing | None = (
        checked_sharing(store, upload.sharing.strip(), "sharing")
        if upload.sharing.strip()
        else None
    )
    with tempfile.TemporaryDirectory(prefix="palermo-import-") as folder:
        staged = stage(Path(folder), upload)
        try:
            report = import_file(
                store,
                viewer,
                staged.path,
                upload.resolved_format(),
                ImportMode(upload.mode),
                default,
                staged.mapping,
            )
        except ValueError as exc:  # a mapping or sharing the preview accepted, changed since
            upload.errors["mapping" if isinstance(exc, MappingError) else "file"] = str(exc)
            return _form(request, upload, 422)
    return _result(request, report)


def _result(request: Request, report: ImportReport) -> HTMLResponse:
    response = page(
        request,
        "import_result.html",
        report=report,
        errors=report.errors[:SHOWN_ERRORS],
    )
    response.status_code = 200 if report.committed else 422
    return response
