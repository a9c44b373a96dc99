"""The data the app serves: the store's current revisions, loaded once per revision, with per-revision caches.

On first use an empty store is seeded from the configured files (the default layer and the demo status),
keeping their provenance. A file that fails to load is remembered by its content stamp and not re-read per
request. No Flask.
"""
from __future__ import annotations

import json
import logging
import pickle
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from geo_app.domain.messages import mark as _l
from geo_app.settings import ROOT, Settings, SettingsError
from geo_app.store.db import ChangeStamp

if TYPE_CHECKING:  # imported where used: the data libraries are most of a command's start (a repeat export
    # only copies files; a worker reads kept derived data)
    from geo_app.model.dataset import Dataset
    from geo_app.store.importing import ImportResult
    from geo_app.store.revisions import RevisionStore

log = logging.getLogger(__name__)
SEED_USER = "setup"
# The first run's revisions' notes (catalog messages: the admin pages show them in their language, `catalog`).
SEED_NOTES = {"boundaries": _l("first run: the configured boundary layer"),
              "status": _l("first run: the configured status files")}
MAX_REPORTED_PROBLEMS = 20


class DataUnavailable(Exception):
    """The configured data cannot be loaded; the message says what to do."""


def shown_path(path: Path) -> str:
    """A path as users may see it: relative to the project, else just the file name (never server paths)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return Path(path).name


class DataStore:
    """Holds the Dataset of the current revisions; reloads it when a new revision becomes current."""

    def __init__(self, settings: Settings, database: str | Path):
        self.settings = settings
        self.database = database
        self._lock = threading.RLock()
        self._revisions: RevisionStore | None = None
        self._dataset: Dataset | None = None
        self._heads_key: tuple | None = None
        self._cache: dict[tuple, Any] = {}
        self._failures: dict[tuple, str] = {}
        self._stamp = ChangeStamp(database)
        self._heads: tuple[tuple, dict[str, dict]] | None = None  # (change stamp, heads) last read
        self._years: dict[str, list[int]] = {}

    @property
    def revisions(self) -> RevisionStore:
        with self._lock:
            if self._revisions is None:
                from geo_app.store.revisions import RevisionStore

                self._revisions = RevisionStore.open(self.database)
            return self._revisions

    def heads(self) -> dict[str, dict]:
        """The current revision of each kind; read from the database only when it changed since the last read
        (SQLite's data_version: one cheap query instead of a join per request). Do not modify the result."""
        stamp = self._stamp.current()
        memo = self._heads
        if stamp is not None and memo is not None and memo[0] == stamp:
            return memo[1]
        heads = self.revisions.heads()  # read after the stamp: a commit in between gives a newer stamp next time
        if stamp is not None:
            self._heads = (stamp, heads)
        return heads

    def years(self, heads: dict[str, dict] | None = None) -> list[int]:
        """The years with data in the current revisions (`heads`, if just read), without loading the data when
        another worker already did (kept with the revision's derived data)."""
        heads = self.heads() if heads is None else heads
        if len(heads) < 2:  # first use: seed the store
            ds = self.dataset()
            heads = self.heads()
            if len(heads) < 2:  # a dataset not from the store (e.g. a test's)
                return ds.years
        name = revision_name(heads)
        if name not in self._years:
            blob = self.revisions.derived_get(name, "years")
            if blob is not None:
                years = [int(y) for y in json.loads(blob)]
            else:
                years = list(self.dataset().years)
                try:
                    self.revisions.derived_put(name, "years", json.dumps(years).encode())
                except Exception as exc:  # noqa: BLE001 - a read-only store still serves
                    log.warning("derived data years of revision %s not kept: %s", name, exc)
            self._years[name] = years
        return self._years[name]

    def dataset(self) -> Dataset:
        with self._lock:
            heads = self.heads()
            if len(heads) < 2:
                self.seed()
                heads = self.revisions.heads()
            key = tuple((kind, heads[kind]["id"]) for kind in sorted(heads))
            if self._dataset is None or key != self._heads_key:
                self._dataset = self._load(heads)
                self._heads_key = key
                self._cache.clear()
            return self._dataset

    def cached(self, key: tuple, build: Callable[[Dataset], Any]) -> Any:
        """A value computed once per data revision (e.g. simplified web geometry)."""
        ds = self.dataset()
        full_key = (ds.revision, *key)
        if full_key not in self._cache:
            self._cache[full_key] = build(ds)
        return self._cache[full_key]

    def persisted(self, key: tuple, build: Callable[[Dataset], Any]) -> Any:
        """Like `cached`, and kept in the store's derived data, so every worker (and the next one started)
        reads it instead of computing it again (e.g. web geometry of a dense layer)."""
        ds = self.dataset()
        full_key = (ds.revision, *key)
        if full_key in self._cache:
            return self._cache[full_key]
        name = "pickle:" + repr(key)
        value = None
        try:
            blob = self.revisions.derived_get(ds.revision, name)
            value = pickle.loads(blob) if blob is not None else None  # written by this app into its own database
        except Exception as exc:  # noqa: BLE001 - an unreadable entry (another version): compute it again
            log.warning("derived data %s of revision %s not reused: %s", name, ds.revision, exc)
        if value is None:
            value = build(ds)
            try:
                self.revisions.derived_put(ds.revision, name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            except Exception as exc:  # noqa: BLE001 - a read-only store still serves; the next worker computes it
                log.warning("derived data %s of revision %s not kept: %s", name, ds.revision, exc)
        self._cache[full_key] = value
        return value

    # ------------------------------------------------------------ first run

    def seed(self) -> list[ImportResult]:
        """Import the configured files as the first revisions of each kind the store lacks."""
        with self._lock:
            heads = self.revisions.heads()
            results = []
            if "boundaries" not in heads:
                results.append(self._seed_boundaries())
            if "status" not in heads:
                results.append(self._seed_status())
            return results

    def _seed_boundaries(self) -> ImportResult:
        from geo_app.store.importing import import_boundaries

        try:
            path = self.settings.boundaries_path()
        except SettingsError as exc:
            raise DataUnavailable(str(exc)) from exc
        if not path.exists():
            raise DataUnavailable(
                f"No boundary layer at {shown_path(path)}. Run `flask --app app data build` to build the default "
                "layer, or import your own with `flask --app app import boundaries PATH`.")
        return self._seed_once(("boundaries", _stamp(path)), lambda: import_boundaries(
            self.revisions, path, SEED_USER, SEED_NOTES["boundaries"],
            crs=self.settings.boundaries_crs, only_if_empty=True))

    def _seed_status(self) -> ImportResult:
        from geo_app.store.importing import import_status

        try:
            communes, districts = self.settings.commune_status_path(), self.settings.district_status_path()
        except SettingsError as exc:
            raise DataUnavailable(str(exc)) from exc
        for path in (communes, districts):
            if not path.exists():
                raise DataUnavailable(f"No status file at {shown_path(path)}; import one with "
                                      "`flask --app app import status PATH`.")
        stamp = ("status", _stamp(communes), _stamp(districts))
        return self._seed_once(stamp, lambda: import_status(
            self.revisions, communes, SEED_USER, SEED_NOTES["status"],
            only_if_empty=True, districts_path=districts))

    def _seed_once(self, stamp: tuple, run: Callable[[], ImportResult]) -> ImportResult:
        if stamp in self._failures:
            raise DataUnavailable(self._failures[stamp])
        result = run()
        if not result.ok:
            self._failures[stamp] = failure_message(result)
            raise DataUnavailable(self._failures[stamp])
        return result

    def _load(self, heads: dict[str, dict]) -> Dataset:
        from geo_app.model.dataset import dataset_from_frames
        from geo_app.store.revisions import plan_years

        b, s = heads["boundaries"], heads["status"]
        boundaries = self.revisions.boundaries(b["data_revision"])
        communes, districts = self.revisions.status(s["data_revision"])
        communes = plan_years(communes)
        if communes.empty:
            raise DataUnavailable(f"Status revision {s['id']} holds no year of plan 4798 (2021-2025); import a "
                                  "status file for those years or roll back.")
        return dataset_from_frames(boundaries, communes, districts, revision=revision_name(heads),
                                   sources={"boundaries": _source_name(b), "commune_status": _source_name(s)},
                                   revisions={"boundaries": b, "status": s})


def revision_name(heads: dict[str, dict]) -> str:
    """`Dataset.revision` of these heads, e.g. 'b1s2' (the key of derived data)."""
    return f"b{heads['boundaries']['data_revision']}s{heads['status']['data_revision']}"


def failure_message(result: ImportResult) -> str:
    """The first problems of a failed import and how many there are (never a wall of text)."""
    errors = [e for r in result.reports for e in r.errors]
    shown = errors[:MAX_REPORTED_PROBLEMS]
    more = len(errors) - len(shown)
    text = "; ".join(shown)
    if more > 0:
        text += f"; … and {more} more problem(s): run `flask --app app data check FILE` for the full list"
    return text or f"{result.file_name}: not usable"


def _source_name(revision: dict) -> str:
    return revision["file_name"]


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), 0, 0)
