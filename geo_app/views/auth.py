"""Sign-in for editors (Flask-Login sessions, Flask-WTF CSRF on every form, argon2 passwords in the store).

Anonymous visitors read every public page; only a signed-in editor or admin may write. Every POST of the
application needs a CSRF token (400 without); every /admin write answers 401 without a session, checked before
the request body is read. The session secret is generated into the instance folder on first run.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from geo_app.domain.messages import mark as _l
from geo_app.domain.messages import translator
from geo_app.i18n import select_locale
from geo_app.store.users import AccountDisabled, Throttle, User, UserStore, normal_name
from .common import store

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MULTIPART_SLACK = 64 * 1024  # an upload's form fields and multipart headers around its file
DEFAULT_SESSION_HOURS = 8
SECRET_KEY_NAME = "secret_key"
TRUE = ("1", "true", "yes", "on")

STRINGS = {  # key -> catalog message
    "title": _l("Editors' sign-in"),
    "name": _l("User name"),
    "password": _l("Password"),
    "submit": _l("Sign in"),
    "intro": _l("For NTM office staff who update the data. Readers do not need to sign in."),
    "failed": _l("Wrong user name or password."),
    "disabled": _l("This account has been disabled by an admin; ask an admin of the NTM office to enable it."),
    "throttled": _l("Too many failed sign-ins. Try again in {minutes} minutes."),
    "signed_out": _l("Signed out."),
}


class SignInForm(FlaskForm):
    name = StringField(validators=[InputRequired(), Length(max=100)])
    password = PasswordField(validators=[InputRequired(), Length(max=1024)])
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Only the CSRF token: signing out is a write."""


class SignedInUser(UserMixin):
    """The Flask-Login user: a store user and the token of this session (its `get_id`)."""

    def __init__(self, user: User, token: str):
        self.user, self.token = user, token

    def get_id(self) -> str:
        return self.token

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @property
    def is_active(self) -> bool:
        return self.user.active


# ---------------------------------------------------------------- set-up


def init_app(app: Flask) -> None:
    configure_secret_key(app)
    configure_session_cookie(app)
    app.before_request(guard_admin_writes)  # before CSRFProtect's hook: 401 and body limits come first
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.context_processor(lambda: {"sign_out_form": SignOutForm})
    for code in (401, 403, 409, 413, 429):
        app.register_error_handler(code, _error_page(code))
    app.register_error_handler(CSRFError, stale_form)


def configure_secret_key(app: Flask) -> None:
    """SECRET_KEY from the config, else the instance folder's generated key (never a built-in default)."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.config.get("SECRET_KEY_FILE") or os.environ.get("NTM_SECRET_KEY_FILE")
                or os.path.join(app.instance_path, SECRET_KEY_NAME))
    app.config["SECRET_KEY"] = read_or_create_secret(path)


def read_or_create_secret(path: Path) -> str:
    """The key in `path`, created (mode 0600, exclusively, so concurrent workers agree) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it this instant
            key = path.read_text(encoding="ascii", errors="replace").strip()
            if len(key) >= 32:
                return key
            time.sleep(0.1)
        raise RuntimeError(f"{path} holds no usable secret key (at least 32 characters); delete it and a new one "
                           "is generated at the next start (everyone signed in is signed out)")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def configure_session_cookie(app: Flask) -> None:
    """HttpOnly, SameSite=Lax, Secure when served over HTTPS (HTTPS / NTM_HTTPS), expiring (NTM_SESSION_HOURS)."""
    https = app.config.get("HTTPS")
    if https is None:
        https = os.environ.get("NTM_HTTPS", "").strip().lower() in TRUE
    hours = float(app.config.get("SESSION_HOURS") or os.environ.get("NTM_SESSION_HOURS") or DEFAULT_SESSION_HOURS)
    app.config.setdefault("SESSION_COOKIE_NAME", "ntm_session")
    app.config["SESSION_COOKIE_NAME"] = app.config.get("SESSION_COOKIE_NAME") or "ntm_session"
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=bool(https), PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=hours),
                      WTF_CSRF_TIME_LIMIT=int(hours * 3600))
    app.config.setdefault("LOGIN_THROTTLE", Throttle())


def users() -> UserStore:
    return UserStore(store().revisions)


def load_user(token: str) -> SignedInUser | None:
    user = users().session_user(token)
    return SignedInUser(user, token) if user is not None else None


def client_address() -> str:
    return (request.remote_addr or "")[:64]


def page_lang() -> str:
    return "en" if request.args.get("lang") == "en" or request.form.get("lang") == "en" else "vi"


def guard_admin_writes():
    """/admin writes: the upload size limit before anything reads the body; 401 without a session."""
    if request.blueprint != "admin":
        return None
    limits = current_app.config.get("ADMIN_UPLOAD_LIMITS", {})
    if request.endpoint in limits:
        request.max_content_length = limits[request.endpoint]
    if request.method not in SAFE_METHODS and not current_user.is_authenticated:
        abort(401)
    return None


def unauthorized():
    """Pages: to the sign-in form (and back afterwards); writes: 401."""
    if request.method in SAFE_METHODS:
        params = {"next": request.full_path if request.query_string else request.path}
        if page_lang() == "en":
            params["lang"] = "en"
        return redirect(url_for("auth.signin", **params))
    abort(401)


def editor_required(view):
    """A signed-in editor or admin."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized()
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    """A signed-in admin (user management)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None) -> str | None:
    """A local path to go to after signing in, else None (no other host, scheme or protocol-relative URL)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# The refusals' pages, in the request's language (lang=en, as every page); a 409's reason is the refusal's own.
_ERRORS = {
    401: (_l("Sign-in required"), _l("Only signed-in editors may do this.")),
    403: (_l("Forbidden"), _l("Your account may not do this.")),
    413: (_l("File too large"), _l("The upload is over the size limit; nothing was kept.")),
    409: (_l("Conflict"), ""),
    429: (_l("Too many requests"), _l("Try again later.")),
}
SIGNED_OUT_WRITE = _l("You are no longer signed in (signed out in another tab, or the session ended), so nothing was "
                      "saved. Sign in again: you come back to the page you were on, where an upload waiting for its "
                      "preview still waits.")
TOO_LARGE = _l("The file is larger than this upload's limit of {mb} MB; nothing was kept. Make it smaller (a status "
               "workbook with only its data sheets; a boundary layer zipped), or ask the server's administrator to "
               "raise the limit.")
STALE_FORM_TITLE = _l("This form has expired")
STALE_FORM = _l("This form belongs to an earlier sign-in (you signed out or in again in another tab, or the page was "
                "open for very long), so nothing was saved. Open the page again and repeat the last step; anything "
                "you typed into the form must be typed again.")
SIGN_IN_AGAIN = _l("Sign in again")
OPEN_AGAIN = _l("Open the page again")
UPLOADS_PAGE = _l("Upload")  # the editors' page, as the menu names it


def _error_page(code: int):
    def handler(exc):
        lang = select_locale()
        _ = translator(lang)
        title, message = _ERRORS[code]
        message = _(message) if message else getattr(exc, "description", "") or _(title)
        links = []
        if code == 401 and request.method not in SAFE_METHODS:  # a form sent after signing out elsewhere
            message = _(SIGNED_OUT_WRITE)
            links = [(sign_in_url(form_page(), lang), _(SIGN_IN_AGAIN))]
        elif code == 413 and upload_limit_mb():
            message = _(TOO_LARGE).format(mb=upload_limit_mb())
            links = [(url_for("admin.index", **_lang_arg(lang)), _(UPLOADS_PAGE))]
        return render_template("error.html", status=code, title=_(title), message=message, lang=lang,
                               links=links), code
    return handler


def stale_form(exc: CSRFError):
    """A form whose CSRF token no longer matches the session (signed out or in again elsewhere, or expired): what
    happened and a way back, in the page's language, instead of Flask-WTF's English reason."""
    lang = select_locale()
    _ = translator(lang)
    page = form_page()
    if current_user.is_authenticated:
        links = [(page or url_for("admin.index", **_lang_arg(lang)), _(OPEN_AGAIN))]
    else:
        links = [(sign_in_url(page, lang), _(SIGN_IN_AGAIN))]
    return render_template("error.html", status=400, title=_(STALE_FORM_TITLE), message=_(STALE_FORM), lang=lang,
                           links=links), 400


def _lang_arg(lang: str) -> dict:
    return {"lang": "en"} if lang == "en" else {}


def form_page() -> str | None:
    """The local page the submitted form was on (from the same-origin Referer), else None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else "")) if referrer.path else None


def sign_in_url(back_to: str | None, lang: str) -> str:
    params = {"next": back_to} if back_to else {}
    return url_for("auth.signin", **params, **_lang_arg(lang))


def upload_limits_mb() -> dict[str, int]:
    """{kind: the largest file an upload of that kind takes, in MB} (the settings', as enforced)."""
    limits = current_app.config["ADMIN_UPLOAD_LIMITS"]
    return {kind: max(1, round((limits[f"admin.upload_{kind}"] - MULTIPART_SLACK) / 2**20))
            for kind in ("status", "boundaries")}


def upload_limit_mb() -> int | None:
    """The refused upload's limit in MB (the file, without the form's own bytes), or None for other requests."""
    kind = (request.endpoint or "").removeprefix("admin.upload_")
    return upload_limits_mb().get(kind) if request.endpoint != kind else None


# ---------------------------------------------------------------- pages


@bp.after_request
def never_stored(response):
    """The sign-in form carries a CSRF token bound to this browser's session: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    lang = page_lang()
    t = {key: translator(lang)(message) for key, message in STRINGS.items()}
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated and form.next.data:
            return redirect(form.next.data)
        return render_template("admin/signin.html", form=form, t=t, lang=lang, message="")
    if not form.validate_on_submit():  # a CSRF failure never gets here (400); empty fields do
        return render_template("admin/signin.html", form=form, t=t, lang=lang, message=t["failed"]), 401
    address, name = client_address(), normal_name(form.name.data)
    limits: Throttle = current_app.config["LOGIN_THROTTLE"]
    accounts = users()
    if accounts.throttled(name, address, limits):
        accounts.store.audit("login_throttled", name[:100], name[:100], {}, address)
        message = t["throttled"].format(minutes=max(1, limits.window // 60))
        return render_template("admin/signin.html", form=form, t=t, lang=lang, message=message), 429
    try:
        user = accounts.authenticate(name, form.password.data)
    except AccountDisabled:  # the password was right: its owner may know why they cannot sign in
        accounts.store.audit("login_failed", name[:100], name[:100], {"reason": "account disabled"}, address)
        return render_template("admin/signin.html", form=form, t=t, lang=lang, message=t["disabled"]), 403
    if user is None:
        accounts.store.audit("login_failed", name[:100], name[:100], {}, address)
        return render_template("admin/signin.html", form=form, t=t, lang=lang, message=t["failed"]), 401
    session.clear()  # nothing from before the sign-in survives it (session fixation)
    token = accounts.start_session(user, current_app.permanent_session_lifetime, address)
    session.permanent = True
    login_user(SignedInUser(user, token))
    return redirect(safe_next(form.next.data) or url_for("admin.index", **({"lang": "en"} if lang == "en" else {})))


@bp.post("/signout")
def signout():
    lang = page_lang()
    if current_user.is_authenticated:
        users().end_session(current_user.token, current_user.name, client_address())
    logout_user()
    session.clear()
    return redirect(url_for("maps.index", **({"lang": "en"} if lang == "en" else {})))
