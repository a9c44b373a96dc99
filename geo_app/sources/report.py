"""Validation reports shared by every reader: what was read, matched, and what is wrong."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CheckReport:
    """Outcome of reading one data file. Usable when it holds no errors."""

    kind: str  # boundaries | commune_status | district_status
    path: str
    features: int = 0
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    # How the file was understood (office workbooks): sheets, columns, rows and skipped rows, for previews.
    understanding: dict = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return not self.errors

    @property
    def name(self) -> str:
        return Path(self.path).name

    def error(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.errors.append(self._locate(message, row, column))

    def warn(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.warnings.append(self._locate(message, row, column))

    def _locate(self, message: str, row: int | None, column: str | None) -> str:
        where = self.name
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        return f"{where}: {message}"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "features": self.features,
            "matched": len(self.matched),
            "unmatched": self.unmatched,
            "errors": self.errors,
            "warnings": self.warnings,
            **({"understanding": self.understanding} if self.understanding else {}),
        }

    def to_text(self) -> str:
        lines = [f"{self.path}: {self.kind}, {self.features} features/rows, {len(self.matched)} matched"]
        lines += [f"  info: {m}" for m in self.info]
        lines += [f"  unmatched: {m}" for m in self.unmatched]
        lines += [f"  warning: {m}" for m in self.warnings]
        lines += [f"  ERROR: {m}" for m in self.errors]
        lines.append("  => usable" if self.usable else "  => NOT usable: fix the errors above and check again")
        return "\n".join(lines)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


class DataFileError(Exception):
    """A data file cannot be used; carries the report that says why."""

    def __init__(self, report: CheckReport):
        self.report = report
        super().__init__("; ".join(report.errors) or f"{report.path}: not usable")
