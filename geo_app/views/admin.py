"""`/admin`: the editors' workflow (upload, preview, commit or discard), revisions and rollback, the audit log,
and user management for admins. Vietnamese by default, English with `lang=en`. Every form carries a CSRF token.
"""
from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from geo_app.store.revisions import StoreError
from geo_app.store.users import ROLES
from .auth import admin_required, client_address, editor_required, page_lang, users
from .common import store

bp = Blueprint("admin", __name__, url_prefix="/admin")

MENU = (
    ("admin.index", "Tải số liệu lên", "Upload"),
    ("admin.revisions", "Các bản số liệu", "Revisions"),
    ("admin.audit", "Nhật ký", "Audit log"),
    ("admin.users", "Người dùng", "Users"),
)
AUDIT_PAGE = 500

STRINGS = {
    "vi": {
        "index": "Quản trị số liệu", "current": "Số liệu đang dùng", "kind": "Loại", "revision": "Bản",
        "when": "Thời gian", "who": "Người thực hiện", "note": "Ghi chú", "file": "Tệp", "counts": "Số lượng",
        "boundaries": "Ranh giới", "status": "Kết quả NTM",
        "audit": "Nhật ký thao tác", "action": "Thao tác", "target": "Đối tượng", "detail": "Chi tiết",
        "address": "Địa chỉ", "user": "Người dùng", "any": "Tất cả", "filter": "Lọc", "csv": "Tải CSV",
        "audit_intro": "Nhật ký chỉ được ghi thêm, không sửa, không xóa. Mới nhất ở trên.",
        "shown": "Hiển thị {n} mục mới nhất.",
        "users": "Người dùng", "name": "Tên đăng nhập", "role": "Vai trò", "state": "Trạng thái",
        "active": "đang dùng", "disabled": "đã khóa", "created": "Ngày tạo", "create": "Tạo người dùng",
        "password": "Mật khẩu (ít nhất 10 ký tự)", "disable": "Khóa", "enable": "Mở khóa",
        "reset": "Đặt lại mật khẩu", "new_password": "Mật khẩu mới", "done": "Đã lưu.",
    },
    "en": {
        "index": "Data administration", "current": "Data in use", "kind": "Kind", "revision": "Revision",
        "when": "When", "who": "Who", "note": "Note", "file": "File", "counts": "Counts",
        "boundaries": "Boundaries", "status": "NTM status",
        "audit": "Audit log", "action": "Action", "target": "Target", "detail": "Detail",
        "address": "Address", "user": "User", "any": "Any", "filter": "Filter", "csv": "Download CSV",
        "audit_intro": "The log is append-only: nothing in it is ever changed or deleted. Newest first.",
        "shown": "Showing the newest {n} entries.",
        "users": "Users", "name": "User name", "role": "Role", "state": "State",
        "active": "active", "disabled": "disabled", "created": "Created", "create": "Create user",
        "password": "Password (at least 10 characters)", "disable": "Disable", "enable": "Enable",
        "reset": "Reset password", "new_password": "New password", "done": "Saved.",
    },
}


class CreateUserForm(FlaskForm):
    name = StringField(validators=[InputRequired(), Length(max=64)])
    role = SelectField(choices=list(ROLES))
    password = PasswordField(validators=[InputRequired(), Length(max=1024)])


class UserActionForm(FlaskForm):
    password = PasswordField(validators=[Length(max=1024)])


@bp.app_context_processor
def admin_helpers() -> dict:
    def admin_menu(lang: str) -> list[tuple[str, str]]:
        shown = []
        for endpoint, vi, en in MENU:
            if endpoint not in current_app.view_functions:
                continue
            if endpoint == "admin.users" and not (current_user.is_authenticated and current_user.is_admin):
                continue
            shown.append((endpoint, en if lang == "en" else vi))
        return shown
    return {"admin_menu": admin_menu}


def _strings() -> tuple[str, dict]:
    lang = page_lang()
    return lang, STRINGS[lang]


def _lang_args(lang: str) -> dict:
    return {"lang": "en"} if lang == "en" else {}


@bp.get("/")
@editor_required
def index():
    lang, t = _strings()
    store().dataset()  # a first run seeds the store before anyone compares against it
    heads = store().revisions.heads()
    return render_template("admin/index.html", lang=lang, t=t, page_title=t["index"],
                           heads=[heads[k] for k in ("status", "boundaries") if k in heads], **index_extras(lang))


def index_extras(lang: str) -> dict:
    """What the upload part of the index page needs (see the workflow below)."""
    return {}


# ---------------------------------------------------------------- audit log


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
                           detail_text=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True))


@bp.get("/audit.csv")
@editor_required
def audit_csv():
    action, user = _audit_filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "user", "address", "action", "target", "detail"])
    for e in store().revisions.audit_entries(action, user):
        writer.writerow([e["id"], e["at"], e["user"], e["address"], e["action"], _csv_safe(e["target"]),
                         _csv_safe(json.dumps(e["detail"], ensure_ascii=False, sort_keys=True))])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="ntm-audit.csv"'})


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
            error = str(exc)
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
                raise StoreError("you cannot disable your own account; ask another admin")
            users().set_active(name, what == "enable", current_user.name, client_address())
    except StoreError as exc:
        return render_template("admin/users.html", lang=lang, t=t, page_title=t["users"], form=CreateUserForm(),
                               action_form=form, people=users().list(), message="", error=str(exc)), 400
    return redirect(url_for("admin.users", **_lang_args(lang)))
