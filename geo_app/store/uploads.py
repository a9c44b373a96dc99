"""Uploads waiting in preview, and what committing one would change.

An upload is kept as `<uploads folder>/<random id>/<sanitised name>` with a row in the store; it is read
with the importers' readers (nothing is committed), compared against the current revision, and then
committed through the importers (a new revision) or discarded. Uploads left in preview expire. A commit
names the revision its preview was compared against: if another editor committed meanwhile, it is refused
and the upload stays in preview to be looked at again. No Flask here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import func, insert, select, update

from geo_app.domain.messages import phrase as _p, phrase_data
from geo_app.sources.report import CheckReport
from geo_app.store.importing import (ImportResult, import_boundaries, import_status, max_file_bytes, read_boundary_file,
                                     read_status_file, rows_read)
from geo_app.store.revisions import (KIND_NAMES, RevisionStore, StoreError, _replace_rows, boundary_changes,
                                     district_changes, now, status_changes)
from geo_app.store.schema import audit_log, uploads

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import geopandas as gpd
    import pandas as pd

SUFFIXES = {"status": (".csv", ".xlsx"), "boundaries": (".zip", ".gpkg", ".geojson", ".json")}
DEFAULT_TTL = dt.timedelta(hours=2)
MAX_NAME = 120
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_UNSAFE = re.compile(r"[^\w .()+,-]", re.UNICODE)


def safe_file_name(raw: str | None, default: str = "upload") -> str:
    """The uploaded name without folders, control characters or markup: letters, digits, space and ._-()+,"""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub("_", text).strip(" .")
    if not text:
        return default
    if len(text) > MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        suffix = suffix[:10] if dot else ""
        text = (stem if dot else text)[: MAX_NAME - len(suffix) - 1].rstrip(" .") + ("." + suffix if suffix else "")
    return text


@dataclass(frozen=True)
class Upload:
    id: str
    kind: str
    user: str
    created_at: str
    expires_at: str
    file_name: str
    file_size: int
    sha256: str
    state: str
    revision: int | None

    @property
    def expired(self) -> bool:
        return self.state == "preview" and self.expires_at <= now()


@dataclass
class Preview:
    """How an upload was understood and what committing it would change (nothing is stored)."""

    upload: Upload
    reports: list[CheckReport]
    base: dict | None  # the current revision of the upload's kind, which the preview compares against
    rows: int = 0
    matched: int = 0
    communes: pd.DataFrame | None = None  # status: the current rows with the upload's rows replaced
    districts: pd.DataFrame | None = None
    boundaries: gpd.GeoDataFrame | None = None  # boundaries: the uploaded layer
    changes: dict = field(default_factory=dict)
    level_changes: list[dict] = field(default_factory=list)  # {unit_code, year, level_from, level_to}
    years: list[int] = field(default_factory=list)  # years the upload holds

    @property
    def ok(self) -> bool:
        return bool(self.reports) and all(r.usable for r in self.reports)


class UploadStore:
    """Uploads in a folder (files) and the store (rows); every step is audited."""

    def __init__(self, store: RevisionStore, folder: Path, ttl: dt.timedelta = DEFAULT_TTL):
        self.store, self.folder, self.ttl = store, Path(folder), ttl

    def save(self, stream: BinaryIO, name: str | None, kind: str, user: str, address: str = "") -> Upload:
        """Keep an uploaded file for preview; refuses kinds and file types it cannot read."""
        if kind not in SUFFIXES:
            raise StoreError(f"unknown kind of upload {kind!r}")
        file_name = safe_file_name(name)
        if kind == "status" and Path(file_name).suffix.lower() == ".xls":
            raise StoreError(_p("{file} is an old Excel 97-2003 workbook (.xls); open it in Excel and use Save As, "
                                "Excel Workbook (.xlsx), then upload the new file", file=file_name))
        if Path(file_name).suffix.lower() not in SUFFIXES[kind]:
            raise StoreError(_p("{file}: {kind} files must be one of: {suffixes}", file=file_name,
                                kind=KIND_NAMES[kind], suffixes=", ".join(SUFFIXES[kind])))
        upload_id = secrets.token_urlsafe(24)
        folder = self.folder / upload_id
        folder.mkdir(parents=True)
        digest, size, limit = hashlib.sha256(), 0, max_file_bytes(kind)
        try:
            with (folder / file_name).open("wb") as out:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    size += len(chunk)
                    if size > limit:
                        raise StoreError(_p("{file}: over the limit of {mb} MB", file=file_name,
                                            mb=limit // 2**20))
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise StoreError(_p("{file}: the file is empty", file=file_name))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        created = dt.datetime.now(dt.timezone.utc)
        row = {"id": upload_id, "kind": kind, "user": user, "created_at": _iso(created),
               "expires_at": _iso(created + self.ttl), "file_name": file_name, "file_size": size,
               "sha256": digest.hexdigest(), "state": "preview", "revision": None}
        with self.store.writing() as conn:
            conn.execute(insert(uploads).values(**row))
            self.store._audit(conn, user, "upload", file_name, {"kind": kind, "file_size": size,
                                                               "sha256": row["sha256"], "upload": upload_id}, address)
        return Upload(**row)

    def get(self, upload_id: str) -> Upload | None:
        if not _ID.match(upload_id or ""):
            return None
        with self.store.reading() as conn:
            row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).first()
        return Upload(**row._mapping) if row else None

    def pending(self) -> list[Upload]:
        """Uploads still in preview, newest first."""
        with self.store.reading() as conn:
            rows = conn.execute(select(uploads).where(uploads.c.state == "preview")
                                .order_by(uploads.c.created_at.desc())).all()
        return [Upload(**r._mapping) for r in rows]

    def path(self, upload: Upload) -> Path:
        return self.folder / upload.id / upload.file_name

    def rejected(self, ids: list[str]) -> set[str]:
        """Those of the uploads `ids` whose preview found the file unusable (logged by `record_rejection`)."""
        if not ids:
            return set()
        upload_of = func.json_extract(audit_log.c.detail, "$.upload")
        with self.store.reading() as conn:
            rows = conn.execute(select(upload_of).where(audit_log.c.action == "import_rejected",
                                                        upload_of.in_(ids))).all()
        return {r[0] for r in rows}

    def record_rejection(self, preview: Preview, user: str, address: str = "") -> None:
        """An upload its preview found unusable is logged once as an import rejected, with its problems (the log
        said only "uploaded")."""
        upload = preview.upload
        if preview.ok or self.rejected([upload.id]):
            return
        errors = [e for r in preview.reports for e in r.errors]
        self.store.audit("import_rejected", user, upload.file_name, {
            "kind": upload.kind, "errors": [phrase_data(e) for e in errors[:20]], "error_count": len(errors),
            "upload": upload.id}, address)

    def expire(self) -> int:
        """Remove the files of previews past their time; their rows say `expired`."""
        stamp = now()
        with self.store.writing() as conn:
            rows = conn.execute(select(uploads.c.id, uploads.c.file_name).where(
                uploads.c.state == "preview", uploads.c.expires_at <= stamp)).all()
            if rows:
                conn.execute(update(uploads).where(uploads.c.id.in_([r.id for r in rows]))
                             .values(state="expired"))
                for r in rows:
                    self.store._audit(conn, "system", "upload_expired", r.file_name, {"upload": r.id})
        for r in rows:
            shutil.rmtree(self.folder / r.id, ignore_errors=True)
        return len(rows)

    def discard(self, upload: Upload, user: str, address: str = "") -> None:
        self._finish(upload, "discarded", None, user, address)

    def commit(self, upload: Upload, user: str, note: str, expected_head: int | None,
               address: str = "") -> ImportResult:
        """Import the upload as a new revision, if the current revision is still the one it was previewed on."""
        self._claim(upload)
        try:
            importer = import_status if upload.kind == "status" else import_boundaries
            result = importer(self.store, self.path(upload), user, note, display_name=upload.file_name,
                              expected_head=expected_head, address=address)
        except BaseException:
            self._release(upload)
            raise
        if not result.ok or result.revision is None:
            self._release(upload)
            return result
        self._finish(upload, "committed", result.revision["id"], user, address)
        return result

    def _claim(self, upload: Upload) -> None:
        """Mark the upload as being committed (one commit per upload, even from two browsers at once)."""
        with self.store.writing() as conn:
            claimed = conn.execute(update(uploads).where(uploads.c.id == upload.id, uploads.c.state == "preview",
                                                         uploads.c.expires_at > now())
                                   .values(state="committing")).rowcount
        if claimed != 1:
            raise StoreError(_p("this upload is no longer waiting in preview (committed, discarded or expired); "
                                "upload the file again"))

    def _release(self, upload: Upload) -> None:
        with self.store.writing() as conn:
            conn.execute(update(uploads).where(uploads.c.id == upload.id, uploads.c.state == "committing")
                         .values(state="preview"))

    def _finish(self, upload: Upload, state: str, revision: int | None, user: str, address: str) -> None:
        with self.store.writing() as conn:
            conn.execute(update(uploads).where(uploads.c.id == upload.id).values(state=state, revision=revision))
            if state == "discarded":
                self.store._audit(conn, user, "discard", upload.file_name, {"kind": upload.kind,
                                                                           "upload": upload.id}, address)
        shutil.rmtree(self.folder / upload.id, ignore_errors=True)

    # ------------------------------------------------------------ preview

    def preview(self, upload: Upload) -> Preview:
        """Read the upload with the importers' readers and compare it with the current revision."""
        base = self.store.heads().get(upload.kind)
        path = self.path(upload)
        if upload.kind == "status":
            return _preview_status(self.store, upload, path, base)
        return _preview_boundaries(self.store, upload, path, base)


def _preview_status(store: RevisionStore, upload: Upload, path: Path, base: dict | None) -> Preview:
    communes, districts, reports = read_status_file(path)
    preview = Preview(upload, reports, base)
    preview.rows = rows_read(communes, districts, reports)
    preview.matched = sum(len(r.matched) for r in reports)
    if not preview.ok:
        return preview
    old_c, old_d = store.status(base["data_revision"]) if base else (None, None)
    preview.communes = _replace_rows(old_c, communes, ["ward_code", "year"])
    preview.districts = _replace_rows(old_d, districts, ["district_code", "year"])
    if districts is not None:
        from geo_app.sources.status_io import warn_districts_ahead_of_their_communes

        warn_districts_ahead_of_their_communes(reports[-1], preview.communes, districts)
    preview.changes = status_changes(old_c, preview.communes, communes)
    preview.changes["districts"] = district_changes(old_d, preview.districts, districts)
    preview.level_changes = level_changes(old_c, communes)
    preview.years = sorted({int(y) for f in (communes, districts) if f is not None for y in f["year"]})
    return preview


def _preview_boundaries(store: RevisionStore, upload: Upload, path: Path, base: dict | None) -> Preview:
    frame, report = read_boundary_file(path)
    preview = Preview(upload, [report], base)
    preview.rows, preview.matched = report.features, len(report.matched)
    if not preview.ok:
        return preview
    preview.boundaries = frame
    old = store.boundaries(base["data_revision"]) if base else None
    preview.changes = boundary_changes(old, frame)
    return preview


def level_changes(old: pd.DataFrame | None, imported: pd.DataFrame | None) -> list[dict]:
    """Every (commune, year) of the upload whose level differs from the current one (or that is new)."""
    if imported is None or imported.empty:
        return []
    before = {} if old is None else {(r["ward_code"], int(r["year"])): r["level"] for r in old.to_dict("records")}
    out = []
    for rec in imported.to_dict("records"):
        key = (rec["ward_code"], int(rec["year"]))
        if before.get(key) != rec["level"]:
            out.append({"unit_code": key[0], "year": key[1], "level_from": before.get(key), "level_to": rec["level"]})
    return sorted(out, key=lambda c: (c["year"], c["unit_code"]))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
