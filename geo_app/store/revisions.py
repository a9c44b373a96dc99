"""The revisioned store: every import of boundaries or status is a new, immutable revision; the current
revision of each kind is the newest one; a rollback is a new revision that serves an earlier one's rows.

Writers take SQLite's write lock (BEGIN IMMEDIATE), so imports are serialised; readers see whole revisions.
No Flask here.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select

from geo_app.domain.criteria import PLAN_SET, criteria_set_for_year
from geo_app.domain.messages import phrase as _p
from geo_app.store.db import dumps, open_engine
from geo_app.store.schema import (audit_log, boundary_features, commune_status, criterion_status, derived,
                                  district_status, revisions)

if TYPE_CHECKING:  # imported where used: loading them is most of a command's start
    import geopandas as gpd
    import pandas as pd
    import shapely

KINDS = ("boundaries", "status")
CRITERION_COLUMN = re.compile(r"^c(\d+)$")
BOUNDARY_COLUMNS = ["ward_code", "name", "type", "district_code", "district_name", "vintage"]


class StoreError(Exception):
    """A store operation cannot be done; the message (a phrase: pages write it in their language) says why and
    what to do."""


KIND_NAMES = {"status": _p("status"), "boundaries": _p("boundary")}  # a revision's kind in a message


@dataclass(frozen=True)
class FileMeta:
    """What is recorded about the file a revision came from."""

    file_name: str
    file_size: int
    sha256: str


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _revision_dict(row) -> dict:
    rec = dict(row._mapping)
    rec["counts"] = json.loads(rec["counts"] or "{}")
    rec["changes"] = json.loads(rec["changes"] or "{}")
    return rec


class RevisionStore:
    """Revisions, their rows, the audit log and derived data, in one database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, database: str | Path) -> "RevisionStore":
        return cls(open_engine(database))

    # ------------------------------------------------------------ transactions

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction holding the database's write lock; rolled back on any error."""
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One read transaction: a consistent snapshot."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # ------------------------------------------------------------ revisions

    def heads(self, conn: Connection | None = None) -> dict[str, dict]:
        """The current revision of each kind that has one."""
        if conn is None:
            with self.reading() as conn:
                return self.heads(conn)
        latest = (select(revisions.c.kind, func.max(revisions.c.id).label("id"))
                  .group_by(revisions.c.kind).subquery())
        rows = conn.execute(select(revisions).join(latest, revisions.c.id == latest.c.id)).all()
        return {r.kind: _revision_dict(r) for r in rows}

    def revision(self, number: int, conn: Connection | None = None) -> dict | None:
        if conn is None:
            with self.reading() as conn:
                return self.revision(number, conn)
        row = conn.execute(select(revisions).where(revisions.c.id == number)).first()
        return _revision_dict(row) if row else None

    def list_revisions(self, kind: str | None = None) -> list[dict]:
        query = select(revisions).order_by(revisions.c.id.desc())
        if kind:
            query = query.where(revisions.c.kind == kind)
        with self.reading() as conn:
            return [_revision_dict(r) for r in conn.execute(query)]

    def _add_revision(self, conn: Connection, kind: str, user: str, note: str, meta: FileMeta, counts: dict,
                      changes: dict, provenance: str, data_revision: int | None = None,
                      rollback_of: int | None = None) -> int:
        next_id = (conn.execute(select(func.max(revisions.c.id))).scalar() or 0) + 1
        conn.execute(insert(revisions).values(
            id=next_id, kind=kind, created_at=now(), user=user, file_name=meta.file_name, file_size=meta.file_size,
            sha256=meta.sha256, note=note, data_revision=data_revision or next_id, rollback_of=rollback_of,
            counts=dumps(counts), changes=dumps(changes), provenance=provenance))
        return next_id

    # ------------------------------------------------------------ boundaries

    def commit_boundaries(self, frame: gpd.GeoDataFrame, meta: FileMeta, user: str, note: str = "",
                          only_if_empty: bool = False, expected_head: int | None = None,
                          address: str = "") -> dict | None:
        """Store a validated boundary frame (EPSG:4326, canonical columns) as a new revision (`address`: the
        client's, for the audit log)."""
        import shapely

        with self.writing() as conn:
            head = self.heads(conn).get("boundaries")
            if only_if_empty and head:
                return None
            _check_head("boundaries", head, expected_head)
            previous = self._boundaries(conn, head["data_revision"]) if head else None
            changes = boundary_changes(previous, frame)
            counts = {"features": len(frame), "districts": int(frame["district_code"].nunique())}
            number = self._add_revision(conn, "boundaries", user, note, meta, counts, changes, "")
            conn.execute(insert(boundary_features), [
                {"revision_id": number, "unit_code": r.ward_code, "name": r.name, "unit_type": r.type,
                 "district_code": r.district_code, "district_name": r.district_name, "vintage": str(r.vintage),
                 "geometry": shapely.to_wkb(r.geometry)}
                for r in frame.itertuples(index=False)])
            self._audit(conn, user, "commit", f"revision {number}", {"kind": "boundaries", **meta.__dict__,
                                                                     "note": note, "counts": counts}, address)
            return self.revision(number, conn)

    def boundaries(self, data_revision: int) -> gpd.GeoDataFrame:
        with self.reading() as conn:
            return self._boundaries(conn, data_revision)

    @staticmethod
    def _boundaries(conn: Connection, data_revision: int) -> gpd.GeoDataFrame:
        import geopandas as gpd
        import pandas as pd
        import shapely

        rows = conn.execute(select(boundary_features).where(boundary_features.c.revision_id == data_revision)
                            .order_by(boundary_features.c.unit_code)).all()
        frame = pd.DataFrame({
            "ward_code": [r.unit_code for r in rows], "name": [r.name for r in rows],
            "type": [r.unit_type for r in rows], "district_code": [r.district_code for r in rows],
            "district_name": [r.district_name for r in rows], "vintage": [r.vintage for r in rows]})
        geometry = shapely.from_wkb([r.geometry for r in rows]) if rows else []
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326")

    # ------------------------------------------------------------ status

    def commit_status(self, communes: pd.DataFrame | None, districts: pd.DataFrame | None, meta: FileMeta,
                      user: str, note: str = "", only_if_empty: bool = False,
                      expected_head: int | None = None, address: str = "") -> dict | None:
        """A new status revision: the current rows, with every (unit, year) in the new frames replaced."""
        with self.writing() as conn:
            head = self.heads(conn).get("status")
            if only_if_empty and head:
                return None
            _check_head("status", head, expected_head)
            old_c, old_d = self._status(conn, head["data_revision"]) if head else (None, None)
            new_c = _replace_rows(old_c, communes, ["ward_code", "year"])
            new_d = _replace_rows(old_d, districts, ["district_code", "year"])
            changes = status_changes(old_c, new_c, communes)
            changes["districts"] = district_changes(old_d, new_d, districts)
            if head and _no_change(changes) and _same_rows(old_d, new_d, DISTRICT_FIELDS):
                raise StoreError(_p("nothing would change: every row of the file is already in the current status "
                                    "revision {n}, as it is; nothing was committed", n=head["id"]))
            counts = {"commune_rows": int(len(new_c)), "district_rows": int(len(new_d)),
                      "imported_commune_rows": 0 if communes is None else int(len(communes)),
                      "imported_district_rows": 0 if districts is None else int(len(districts)),
                      "years": sorted(int(y) for y in new_c["year"].unique())}
            number = self._add_revision(conn, "status", user, note, meta, counts, changes,
                                        _provenance_summary(communes, districts))
            self._insert_status(conn, number, new_c, new_d, meta.file_name, communes)
            self._audit(conn, user, "commit", f"revision {number}", {"kind": "status", **meta.__dict__,
                                                                     "note": note, "counts": counts}, address)
            return self.revision(number, conn)

    def status(self, data_revision: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(communes, districts) of a status revision, in the readers' frame schema (c1..cN per set)."""
        with self.reading() as conn:
            return self._status(conn, data_revision)

    @staticmethod
    def _insert_status(conn: Connection, number: int, communes: pd.DataFrame, districts: pd.DataFrame,
                       file_name: str, imported: pd.DataFrame | None) -> None:
        criterion_cols = [c for c in communes.columns if CRITERION_COLUMN.match(c)]
        unit_rows, criterion_rows = [], []
        for rec in communes.to_dict("records"):
            year = int(rec["year"])
            set_key = criteria_set_for_year(year)
            unit_rows.append({
                "revision_id": number, "unit_code": rec["ward_code"], "year": year, "criteria_set": set_key,
                "level": rec["level"], "year_recognised": _int_or_none(rec.get("year_recognised")),
                "note": _text(rec.get("note")), "provenance": rec["provenance"],
                "source_url": _text(rec.get("source_url")), "source_file": _text(rec.get("source_file")) or file_name})
            for col in criterion_cols:
                met = rec.get(col)
                if _missing(met):
                    continue
                criterion_rows.append({"revision_id": number, "unit_code": rec["ward_code"], "year": year,
                                       "criteria_set": set_key, "criterion": int(col[1:]), "met": int(bool(met))})
        if unit_rows:
            conn.execute(insert(commune_status), unit_rows)
        if criterion_rows:
            conn.execute(insert(criterion_status), criterion_rows)
        district_rows = [{
            "revision_id": number, "district_code": r["district_code"], "year": int(r["year"]), "level": r["level"],
            "decision": _text(r.get("decision")), "note": _text(r.get("note")), "provenance": r["provenance"],
            "source_url": _text(r.get("source_url")), "source_file": _text(r.get("source_file")) or file_name}
            for r in districts.to_dict("records")]
        if district_rows:
            conn.execute(insert(district_status), district_rows)

    @staticmethod
    def _status(conn: Connection, data_revision: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        import pandas as pd

        units = pd.DataFrame([dict(r._mapping) for r in conn.execute(
            select(commune_status).where(commune_status.c.revision_id == data_revision))],
            columns=[c.name for c in commune_status.columns])
        marks = pd.DataFrame([dict(r._mapping) for r in conn.execute(
            select(criterion_status.c.unit_code, criterion_status.c.year, criterion_status.c.criterion,
                   criterion_status.c.met).where(criterion_status.c.revision_id == data_revision))],
            columns=["unit_code", "year", "criterion", "met"])
        wide = marks.pivot_table(index=["unit_code", "year"], columns="criterion", values="met", aggfunc="first")
        wide.columns = [f"c{int(n)}" for n in wide.columns]
        communes = units.merge(wide.reset_index(), on=["unit_code", "year"], how="left")
        for col in [c for c in communes.columns if CRITERION_COLUMN.match(c)]:
            communes[col] = communes[col].map(lambda v: None if pd.isna(v) else bool(v))
        communes = communes.rename(columns={"unit_code": "ward_code"}).drop(columns=["revision_id"])
        communes["year_recognised"] = communes["year_recognised"].astype("Int64")
        communes["year"] = communes["year"].astype("int64")
        districts = pd.DataFrame([dict(r._mapping) for r in conn.execute(
            select(district_status).where(district_status.c.revision_id == data_revision))],
            columns=[c.name for c in district_status.columns]).drop(columns=["revision_id"])
        districts["year"] = districts["year"].astype("int64")
        return (communes.sort_values(["year", "ward_code"], ignore_index=True),
                districts.sort_values(["year", "district_code"], ignore_index=True))

    # ------------------------------------------------------------ rollback, diff

    def rollback(self, number: int, user: str, note: str = "", address: str = "",
                 expected_head: int | None = None) -> dict:
        """Make revision `number`'s data current again, as a new revision of the same kind. With `expected_head`
        (the current revision the editor saw), refused when another revision became current since."""
        with self.writing() as conn:
            target = self.revision(number, conn)
            if target is None:
                raise StoreError(_p("there is no revision {n}; see `flask --app app revisions`", n=number))
            head = self.heads(conn)[target["kind"]]
            if head["id"] == number:
                raise StoreError(_p("revision {n} is already the current {kind} revision", n=number,
                                    kind=KIND_NAMES.get(target["kind"], target["kind"])))
            if expected_head is not None and head["id"] != expected_head:
                raise StoreError(_p("the current {kind} revision is now {now} (by {user}), not {expected} as when "
                                    "this rollback was shown; nothing was rolled back: look at what it would change "
                                    "now, then confirm again", kind=KIND_NAMES.get(target["kind"], target["kind"]),
                                    now=head["id"], user=head["user"], expected=expected_head))
            if head["data_revision"] == target["data_revision"]:
                raise StoreError(same_data(target, head))
            changes = self._diff(conn, head, target)
            meta = FileMeta(target["file_name"], target["file_size"], target["sha256"])
            new = self._add_revision(conn, target["kind"], user, note, meta,  # the pages say what it restores
                                     target["counts"], changes, target["provenance"],
                                     data_revision=target["data_revision"], rollback_of=number)
            self._audit(conn, user, "rollback", f"revision {new}", {"kind": target["kind"], "restored": number,
                                                                   "replaced": head["id"], "note": note}, address)
            return self.revision(new, conn)

    def diff(self, a: int, b: int) -> dict:
        """What changed from revision `a` to revision `b` (same kind)."""
        with self.reading() as conn:
            ra, rb = self.revision(a, conn), self.revision(b, conn)
            if ra is None or rb is None:
                raise StoreError(f"there is no revision {a if ra is None else b}")
            if ra["kind"] != rb["kind"]:
                raise StoreError(f"revision {a} holds {ra['kind']} and revision {b} {rb['kind']}: compare "
                                 "revisions of one kind")
            return self._diff(conn, ra, rb)

    def _diff(self, conn: Connection, ra: dict, rb: dict) -> dict:
        if ra["kind"] == "boundaries":
            return boundary_changes(self._boundaries(conn, ra["data_revision"]),
                                    self._boundaries(conn, rb["data_revision"]))
        old_c, old_d = self._status(conn, ra["data_revision"])
        new_c, new_d = self._status(conn, rb["data_revision"])
        changes = status_changes(old_c, new_c, None)
        changes["districts"] = district_changes(old_d, new_d, None)
        return changes

    # ------------------------------------------------------------ audit

    def audit(self, action: str, user: str, target: str = "", detail: dict | None = None,
              address: str = "") -> None:
        with self.writing() as conn:
            self._audit(conn, user, action, target, detail or {}, address)

    @staticmethod
    def _audit(conn: Connection, user: str, action: str, target: str, detail: dict, address: str = "") -> None:
        conn.execute(insert(audit_log).values(at=now(), user=user, address=address, action=action, target=target,
                                              detail=dumps(detail)))

    def audit_entries(self, action: str | None = None, user: str | None = None, limit: int | None = None) -> list[dict]:
        query = select(audit_log).order_by(audit_log.c.id.desc())
        if action:
            query = query.where(audit_log.c.action == action)
        if user:
            query = query.where(audit_log.c.user == user)
        if limit:
            query = query.limit(limit)
        with self.reading() as conn:
            return [{**dict(r._mapping), "detail": json.loads(r.detail)} for r in conn.execute(query)]

    # ------------------------------------------------------------ derived data

    def derived_get(self, data_revision: str, key: str) -> bytes | None:
        with self.reading() as conn:
            return conn.execute(select(derived.c.value).where(derived.c.data_revision == data_revision,
                                                              derived.c.key == key)).scalar()

    def derived_put(self, data_revision: str, key: str, value: bytes) -> None:
        """Keep a value computed from one data revision, for every worker (first writer wins)."""
        with self.writing() as conn:
            exists = conn.execute(select(derived.c.key).where(derived.c.data_revision == data_revision,
                                                              derived.c.key == key)).first()
            if not exists:
                conn.execute(insert(derived).values(data_revision=data_revision, key=key, value=value,
                                                    created_at=now()))


def same_data(target: dict, head: dict) -> object:
    """Why rolling back to `target` would change nothing: the current revision already serves its data."""
    return _p("the current {kind} revision {now} already serves the data of revision {n}; a rollback would change "
              "nothing", kind=KIND_NAMES.get(target["kind"], target["kind"]), now=head["id"], n=target["id"])


def _check_head(kind: str, head: dict | None, expected: int | None) -> None:
    """Refuse a commit prepared against another current revision (someone committed in between)."""
    if expected is not None and (head["id"] if head else 0) != expected:
        raise StoreError(_p("the current {kind} revision is now {now} (by {user}), not {expected} as when this was "
                            "previewed; nothing was committed: look at the preview again, then commit",
                            kind=KIND_NAMES.get(kind, kind), now=head["id"] if head else "-",
                            user=head["user"] if head else "-", expected=expected))


# ---------------------------------------------------------------- change summaries

DISTRICT_FIELDS = ("district_code", "year", "level", "decision", "note", "provenance", "source_url")


def _no_change(changes: dict) -> bool:
    """Whether a status change summary holds no change of any commune row (districts aside)."""
    return not any(changes.get(key) for key in ("changed", "details_changed", "refiled", "added", "removed",
                                                 "districts"))


def _same_rows(old: pd.DataFrame | None, new: pd.DataFrame | None, fields: tuple[str, ...]) -> bool:
    """Whether two frames hold the same rows in `fields` (in any order; missing equals missing, 2024 equals
    2024.0)."""
    def rows(frame: pd.DataFrame | None) -> list[tuple]:
        if frame is None or frame.empty:
            return []
        return sorted(tuple("" if _missing(r.get(f)) else str(r.get(f)).removesuffix(".0") for f in fields)
                      for r in frame.to_dict("records"))

    return rows(old) == rows(new)


def _replace_rows(old: pd.DataFrame | None, new: pd.DataFrame | None, keys: list[str]) -> pd.DataFrame:
    """`old` with every row whose key appears in `new` replaced by `new`'s row."""
    import pandas as pd

    if new is None:
        return old if old is not None else pd.DataFrame(columns=keys)
    new = new.drop(columns=[c for c in ("row",) if c in new.columns])
    if old is None or old.empty:
        return new.reset_index(drop=True)
    replaced = pd.MultiIndex.from_frame(new[keys].astype({keys[1]: "int64"}))
    keep = ~pd.MultiIndex.from_frame(old[keys].astype({keys[1]: "int64"})).isin(replaced)
    return pd.concat([old[keep], new], ignore_index=True).sort_values(keys, ignore_index=True)


def _criteria_of(rec: dict) -> dict[int, bool | None]:
    return {int(k[1:]): v for k, v in rec.items() if CRITERION_COLUMN.match(k)}


DETAIL_FIELDS = ("year_recognised", "note", "provenance", "source_url")  # compared besides level and criteria
# (not source_file: the name of the file a row came from changes with every import)


def _same(a: object, b: object) -> bool:
    """Equal, or both missing (None, NA, NaN or empty text)."""
    a_gone, b_gone = _missing(a) or a == "", _missing(b) or b == ""
    return a_gone and b_gone or (not a_gone and not b_gone and a == b)


def status_changes(old: pd.DataFrame | None, new: pd.DataFrame, imported: pd.DataFrame | None) -> dict:
    """Communes whose level or criteria changed from `old` to `new`; those where only their year recognised,
    note, provenance or source changed ("details"); and counts."""
    before = {} if old is None else {(r["ward_code"], int(r["year"])): r for r in old.to_dict("records")}
    after = {(r["ward_code"], int(r["year"])): r for r in new.to_dict("records")}
    changed, details, added, unchanged, refiled, files = [], [], 0, 0, 0, set()
    for key, rec in sorted(after.items()):
        prev = before.get(key)
        if prev is None:
            added += 1
            continue
        was, now_ = _criteria_of(prev), _criteria_of(rec)
        gained = sorted(n for n, v in now_.items() if v and not was.get(n))
        lost = sorted(n for n, v in was.items() if v and not now_.get(n))
        if prev["level"] != rec["level"] or gained or lost:
            changed.append({"unit_code": key[0], "year": key[1], "level_from": prev["level"],
                            "level_to": rec["level"], "gained": gained, "lost": lost})
        elif fields := [f for f in DETAIL_FIELDS if not _same(prev.get(f), rec.get(f))]:
            if fields == ["source_url"] and _file_name(prev.get("source_url")) and _file_name(rec.get("source_url")):
                refiled += 1  # the same values, read from another file (a corrected workbook's new name)
                files.add(str(rec["source_url"]))
            else:
                details.append({"unit_code": key[0], "year": key[1], "fields": fields})
        elif _file_name(rec.get("source_file")) and not _same(prev.get("source_file"), rec.get("source_file")):
            refiled += 1  # the same values from another file: the pages name the file each year's rows come from
            files.add(str(rec["source_file"]))
        else:
            unchanged += 1
    removed = len(set(before) - set(after))
    return {"communes": changed, "added": added, "changed": len(changed), "unchanged": unchanged,
            "removed": removed, "level_changed": sum(c["level_from"] != c["level_to"] for c in changed),
            "details": details, "details_changed": len(details), "refiled": refiled,
            "refiled_to": sorted(files)[:5]}


def _file_name(source: object) -> bool:
    """Whether a row's source is the name of the file it was read from (an office workbook's rows), not an
    address someone wrote."""
    text = "" if source is None or source != source else str(source).strip()
    return bool(text) and "://" not in text


def district_changes(old: pd.DataFrame | None, new: pd.DataFrame, imported: pd.DataFrame | None) -> list[dict]:
    before = {} if old is None else {(r["district_code"], int(r["year"])): r["level"] for r in old.to_dict("records")}
    return [{"district_code": r["district_code"], "year": int(r["year"]), "level_from": before.get(
             (r["district_code"], int(r["year"]))), "level_to": r["level"]}
            for r in new.to_dict("records")
            if before.get((r["district_code"], int(r["year"]))) != r["level"]]


def boundary_changes(old: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> dict:
    """Units added, removed, renamed and moved (outline changed by more than 0.1 % of its area)."""
    import shapely

    if old is None or old.empty:
        return {"added": sorted(new["ward_code"]), "removed": [], "moved": [], "renamed": []}
    a = old.set_index("ward_code")
    b = new.set_index("ward_code")
    common = sorted(set(a.index) & set(b.index))
    moved, renamed = [], []
    for code in common:
        ga, gb = a.at[code, "geometry"], b.at[code, "geometry"]
        if not ga.equals_exact(gb, 1e-9):
            changed_area = shapely.area(shapely.symmetric_difference(ga, gb))
            if changed_area > 0.001 * max(ga.area, 1e-12):
                moved.append({"unit_code": code, "changed_share": round(float(changed_area / max(ga.area, 1e-12)), 4)})
        if a.at[code, "name"] != b.at[code, "name"]:
            renamed.append({"unit_code": code, "from": a.at[code, "name"], "to": b.at[code, "name"]})
    return {"added": sorted(set(b.index) - set(a.index)), "removed": sorted(set(a.index) - set(b.index)),
            "moved": moved, "renamed": renamed}


def _provenance_summary(communes: pd.DataFrame | None, districts: pd.DataFrame | None) -> str:
    values = set()
    for frame in (communes, districts):
        if frame is not None and not frame.empty:
            values |= set(frame["provenance"])
    return values.pop() if len(values) == 1 else ("mixed" if values else "")


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


def _int_or_none(value: object) -> int | None:
    return None if _missing(value) else int(value)


def plan_years(communes: pd.DataFrame) -> pd.DataFrame:
    """Only the rows whose year falls under plan 4798's criteria set (what today's views show)."""
    keep = [criteria_set_for_year(int(y)) == PLAN_SET for y in communes["year"]]
    return communes[keep].reset_index(drop=True)
