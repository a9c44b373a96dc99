"""Validation reports shared by every reader: what was read, matched, and what is wrong."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from geo_app.domain.messages import joined, phrase as _p

SHOWN_PROBLEMS = 20  # error pages and the CLI list this many problems of each kind, then a count


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
        """"file, row R, column 'C': message", written in the page's language where shown (a `Phrase`)."""
        where: list = [self.name]
        if row is not None:
            where.append(_p(", row {row}", row=row))
        if column is not None:
            where.append(_p(", column '{column}'", column=column))
        return joined(*where, ": ", message)

    def to_json(self, limit: int | None = SHOWN_PROBLEMS) -> dict:
        """The report as JSON: the first `limit` entries of each list (None: all) and the full counts."""
        return {
            "kind": self.kind,
            "features": self.features,
            "matched": len(self.matched),
            "unmatched": self.unmatched[:limit],
            "errors": self.errors[:limit],
            "warnings": self.warnings[:limit],
            "unmatched_count": len(self.unmatched),
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            **({"understanding": self.understanding} if self.understanding else {}),
        }

    def to_text(self, limit: int | None = SHOWN_PROBLEMS) -> str:
        """Readable report: the first `limit` entries of each kind (None: all), then how many more."""
        lines = [f"{self.path}: {self.kind}, {self.features} features/rows, {len(self.matched)} matched"]
        for label, items in (("info", self.info), ("unmatched", self.unmatched), ("warning", self.warnings),
                             ("ERROR", self.errors)):
            lines += [f"  {label}: {m}" for m in items[:limit]]
            if limit is not None and len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more ({len(items)} in all; --all lists every one)")
        lines.append("  => usable" if self.usable else "  => NOT usable: fix the errors above and check again")
        return "\n".join(lines)

    def dumps(self, limit: int | None = SHOWN_PROBLEMS) -> str:
        return json.dumps(self.to_json(limit), ensure_ascii=False, indent=2)


class DataFileError(Exception):
    """A data file cannot be used; carries the report that says why."""

    def __init__(self, report: CheckReport):
        self.report = report
        super().__init__(first_problems(report.errors) or f"{report.name}: not usable")


def first_problems(problems: list[str], limit: int = SHOWN_PROBLEMS) -> str:
    """The first `limit` problems, one a line, then how many more there are."""
    lines = problems[:limit]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems ({len(problems)} in all); "
                     "`flask --app app data check FILE --all` lists every one")
    return "\n".join(lines)


# An absolute POSIX path of at least two parts, not inside a URL ("https://host/a/b") or a word ("A4/A3").
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~\\-])(?:/[^\s/'\"<>(),;:|*?]+){2,}/?")


def public_text(text: str, folders: Iterable[Path] = ()) -> str:
    """`text` without server paths: a path inside one of `folders` is shown relative to it (prefixed by the
    folder's name), any other absolute path by its file name. For messages shown on pages, in the API and the CLI."""
    for folder in sorted({Path(f) for f in folders}, key=lambda f: len(str(f)), reverse=True):
        if folder.is_absolute() and len(folder.parts) > 1:
            text = text.replace(f"{folder}/", f"{folder.name}/").replace(str(folder), folder.name)
    return _ABSOLUTE_PATH.sub(lambda m: PurePosixPath(m.group().rstrip("/")).name, text)


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other old Office files
ZIP_MAGIC = b"PK"  # an .xlsx is a zip


def workbook_problem(path: Path, exc: Exception, csv_too: bool = False) -> object:
    """Why openpyxl could not open `path`, said for an office: an old .xls renamed, a file that is no workbook at
    all, or the library's own reason."""
    from geo_app.domain.messages import phrase as _p

    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        head = b""
    if head.startswith(OLE2_MAGIC):
        return _p("this is an old Excel 97-2003 workbook (.xls) named .xlsx; open it in Excel and use Save As, "
                  "Excel Workbook (.xlsx), then use the new file")
    if not head.startswith(ZIP_MAGIC):
        return _p("this is not an Excel workbook: its content is not what an .xlsx file holds (perhaps another kind "
                  "of file was renamed); open it in Excel or LibreOffice and save it as .xlsx")
    if csv_too:
        return _p("not a valid Excel workbook ({error}); open it in Excel or LibreOffice and save it as .xlsx, "
                  "or export it as CSV UTF-8", error=f"{type(exc).__name__}: {exc}")
    return _p("not a valid Excel workbook ({error}); open it in Excel or LibreOffice and save it as .xlsx",
              error=type(exc).__name__)
