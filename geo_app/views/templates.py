"""`GET /template.xlsx?year=Y`: a blank status workbook in the office layout, ready to fill in and import."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from geo_app.sources.office_template import TEMPLATE_YEARS, office_template, template_filename
from .common import bad_request

bp = Blueprint("templates", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_year() -> int:
    raw = request.args.get("year", "").strip()
    first, last = TEMPLATE_YEARS.start, TEMPLATE_YEARS.stop - 1
    if not raw:
        return min(max(date.today().year, first), last)
    if not raw.isdigit() or int(raw) not in TEMPLATE_YEARS:
        bad_request(_("year={value}: the template covers the 2021-2025 criteria set; use a year from {first} to "
                      "{last}.").format(value=repr(raw[:20]), first=first, last=last))
    return int(raw)


@bp.get("/template.xlsx")
def template_xlsx():
    """The year's blank workbook: GSO codes, names and district headings filled in; re-imports cleanly."""
    year = template_year()
    response = Response(office_template(year), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{template_filename(year)}"'
    return response
