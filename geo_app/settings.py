"""Where the application reads its data from. Explicit settings, never a guess."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_BOUNDARY_NAME = "ben-tre-communes-2020.shp"
DEFAULT_COMMUNE_STATUS = "demo-communes.csv"
DEFAULT_DISTRICT_STATUS = "demo-districts.csv"
LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".zip")
STATUS_SUFFIXES = (".csv", ".xlsx")
PROVENANCE_SUFFIX = ".source.json"  # the sidecar `data build` writes last, beside the layer it describes


class SettingsError(Exception):
    """The configured data cannot be located unambiguously."""


@dataclass(frozen=True)
class StatusLimits:
    """Largest status file read (checked before parsing). Defaults cover Bến Tre's 142 xã many times over."""

    max_bytes: int = 20 * 1024 * 1024  # NTM_STATUS_MAX_MB
    max_rows: int = 20_000  # NTM_STATUS_MAX_ROWS: data rows (not counting the header or blank rows)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "StatusLimits":
        env = os.environ if env is None else env
        return cls(max_bytes=round(_positive(env, "NTM_STATUS_MAX_MB", cls.max_bytes / 2**20) * 2**20),
                   max_rows=int(_positive(env, "NTM_STATUS_MAX_ROWS", cls.max_rows)))


def limit_mb(name: str, default: int) -> int:
    """A size limit in MB from the environment (a positive whole number), else the default."""
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def boundary_max_bytes() -> int:
    """Largest boundary file accepted, by the command line and the web upload (NTM_BOUNDARY_MAX_MB, default 200)."""
    return limit_mb("NTM_BOUNDARY_MAX_MB", 200) * 1024 * 1024


def _positive(env, name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not value > 0:
        raise SettingsError(f"{name}={raw!r} is not a positive number; e.g. {name}={default:g}")
    return value


@dataclass(frozen=True)
class Settings:
    boundaries_dir: Path
    status_dir: Path
    boundaries_file: str | None = None  # NTM_BOUNDARIES: a file name in boundaries_dir or a path
    boundaries_crs: str | None = None  # NTM_BOUNDARIES_CRS for a layer without .prj
    commune_status_file: str | None = None  # NTM_COMMUNE_STATUS
    district_status_file: str | None = None  # NTM_DISTRICT_STATUS
    basemap_url: str | None = None  # NTM_BASEMAP_URL: a local tile server; off by default
    database: str | None = None  # NTM_DATABASE: a path or SQLAlchemy URL; default instance/ntm.sqlite

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        data = Path(env.get("NTM_DATA_DIR", DEFAULT_DATA_DIR))
        return cls(
            boundaries_dir=Path(env.get("NTM_BOUNDARIES_DIR", data / "boundaries")),
            status_dir=Path(env.get("NTM_STATUS_DIR", data / "status")),
            boundaries_file=env.get("NTM_BOUNDARIES") or None,
            boundaries_crs=env.get("NTM_BOUNDARIES_CRS") or None,
            commune_status_file=env.get("NTM_COMMUNE_STATUS") or None,
            district_status_file=env.get("NTM_DISTRICT_STATUS") or None,
            basemap_url=env.get("NTM_BASEMAP_URL") or None,
            database=env.get("NTM_DATABASE") or None,
        )

    def boundaries_path(self) -> Path:
        """The boundary layer to use: the setting, else the built default, else the only layer present."""
        if self.boundaries_file:
            return _resolve(self.boundaries_dir, self.boundaries_file, "NTM_BOUNDARIES")
        default = self.boundaries_dir / DEFAULT_BOUNDARY_NAME
        if default.exists():
            if not default.with_suffix(PROVENANCE_SUFFIX).is_file():
                raise SettingsError(
                    f"the default boundary layer {default.name} has no provenance file "
                    f"({default.with_suffix(PROVENANCE_SUFFIX).name}): its build was interrupted. Run "
                    "`flask --app app data build` to rebuild it"
                )
            return default
        layers = _files(self.boundaries_dir, LAYER_SUFFIXES)
        if len(layers) == 1:
            return layers[0]
        if layers:
            names = ", ".join(p.name for p in layers)
            raise SettingsError(
                f"{self.boundaries_dir} holds several layers ({names}); set NTM_BOUNDARIES to the one to use"
            )
        return default  # missing: `flask --app app data build` creates it

    def commune_status_path(self) -> Path:
        return self._status(self.commune_status_file, DEFAULT_COMMUNE_STATUS, "NTM_COMMUNE_STATUS")

    def district_status_path(self) -> Path:
        return self._status(self.district_status_file, DEFAULT_DISTRICT_STATUS, "NTM_DISTRICT_STATUS")

    def _status(self, chosen: str | None, default: str, setting: str) -> Path:
        if chosen:
            return _resolve(self.status_dir, chosen, setting)
        return self.status_dir / default


def _resolve(folder: Path, name: str, setting: str) -> Path:
    path = Path(name)
    path = path if path.is_absolute() else folder / path
    if not path.exists():
        raise SettingsError(f"{setting}={name}: no such file ({path})")
    return path


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in suffixes and not p.name.startswith(".") and not p.name.endswith(".source.json")
    )
