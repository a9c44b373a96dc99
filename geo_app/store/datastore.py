"""Loads the dataset once per data revision and keeps per-revision caches. No Flask."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from geo_app.model.dataset import Dataset, load_dataset
from geo_app.sources.report import DataFileError
from geo_app.settings import Settings, SettingsError


class DataUnavailable(Exception):
    """The configured data cannot be loaded; the message says what to do."""


class DataStore:
    """Holds the current Dataset; reloads it when a source file changes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._dataset: Dataset | None = None
        self._stamp: tuple | None = None
        self._cache: dict[tuple, Any] = {}

    def dataset(self) -> Dataset:
        with self._lock:
            stamp = self._source_stamp()
            if self._dataset is None or stamp != self._stamp:
                self._dataset = self._load()
                self._stamp = stamp
                self._cache.clear()
            return self._dataset

    def cached(self, key: tuple, build: Callable[[Dataset], Any]) -> Any:
        """A value computed once per data revision (e.g. simplified web geometry)."""
        ds = self.dataset()
        full_key = (ds.revision, *key)
        if full_key not in self._cache:
            self._cache[full_key] = build(ds)
        return self._cache[full_key]

    def _load(self) -> Dataset:
        try:
            path = self.settings.boundaries_path()
            if not path.exists():
                raise DataUnavailable(
                    f"No boundary layer at {path}. Run `flask --app app data build` to build the default "
                    "layer, or put your shapefile in data/boundaries/ and set NTM_BOUNDARIES."
                )
            return load_dataset(self.settings)
        except (SettingsError, DataFileError) as exc:
            raise DataUnavailable(str(exc)) from exc

    def _source_stamp(self) -> tuple:
        try:
            paths = [self.settings.boundaries_path(), self.settings.commune_status_path(),
                     self.settings.district_status_path()]
        except SettingsError as exc:
            raise DataUnavailable(str(exc)) from exc
        return tuple(_stat(p) for p in paths)


def _stat(path: Path) -> tuple:
    try:
        st = path.stat()
        return (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), 0, 0)
