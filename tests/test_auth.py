"""Sign-in, sessions, CSRF, throttling, users CLI and user management (issue 8)."""
from __future__ import annotations

import os
import stat

import pytest

from editor_support import PASSWORD, add_user, csrf_token, make_app, page_token, sign_in, user_store
from geo_app.store.users import Throttle


@pytest.fixture()
def app(default_settings, tmp_path):
    return make_app(default_settings, tmp_path)


@pytest.fixture()
def client(app):
    return app.test_client()


def session_data(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_secret_key_is_generated_once_into_the_instance_folder(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path)
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert make_app(default_settings, tmp_path).config["SECRET_KEY"] == app.config["SECRET_KEY"]
    other = tmp_path / "other"
    assert make_app(default_settings, other).config["SECRET_KEY"] != app.config["SECRET_KEY"]


def test_session_cookie_flags(default_settings, tmp_path, client, app):
    add_user(app)
    response = sign_in(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie and "Secure" not in cookie
    https = make_app(default_settings, tmp_path / "https", HTTPS=True)
    add_user(https)
    assert "Secure" in sign_in(https.test_client()).headers["Set-Cookie"]


def test_admin_pages_need_a_session(client, app):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/signin?next=/admin/audit" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302


def test_sign_in_and_out(client, app):
    add_user(app)
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    page = client.get("/admin/")
    assert page.status_code == 200 and "editor1" in page.get_data(as_text=True)
    token = page_token(client)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302
    actions = [e["action"] for e in user_store(app).store.audit_entries()]
    assert actions[0] == "logout" and "login" in actions


def test_failed_sign_in_says_nothing_about_which_part(client, app):
    add_user(app)
    wrong_password = sign_in(client, "editor1", "not the password")
    unknown_user = sign_in(client, "nobody", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong_password.get_data(as_text=True) and message in unknown_user.get_data(as_text=True)
    entries = user_store(app).store.audit_entries("login_failed")
    assert {e["user"] for e in entries} == {"editor1", "nobody"} and all(e["address"] for e in entries)


def test_disabled_user_cannot_sign_in_and_loses_open_sessions(client, app):
    add_user(app)
    assert sign_in(client).status_code == 302
    user_store(app).set_active("editor1", False, "test")
    assert client.get("/admin/").status_code == 302  # the open session ended
    # The right password is told the account is disabled (it read "wrong user name or password", and its owner
    # tried again into the lockout); a wrong one learns nothing.
    right = sign_in(app.test_client())
    assert right.status_code == 403 and "Tài khoản này đã bị quản trị viên khóa" in right.get_data(as_text=True)
    wrong = sign_in(app.test_client(), password="not-the-password-at-all")
    assert wrong.status_code == 401 and "khóa" not in wrong.get_data(as_text=True)
    assert app.test_client().get("/admin/").status_code == 302


def test_session_id_changes_at_sign_in_and_old_cookie_is_dead_after_sign_out(client, app):
    add_user(app)
    client.get("/signin")
    before = session_data(app, client)
    assert "_user_id" not in before and "csrf_token" in before
    sign_in(client)
    after = session_data(app, client)
    assert after["_user_id"] and after.get("csrf_token") != before.get("csrf_token")
    first_session = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    # the same user signing in again gets another session id
    second = app.test_client()
    sign_in(second)
    assert session_data(app, second)["_user_id"] != after["_user_id"]
    # a copied cookie stops working once its session signs out
    token = page_token(client)
    client.post("/signout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], first_session)
    assert replay.get("/admin/").status_code == 302
    assert second.get("/admin/").status_code == 200  # other sessions go on


def test_csrf_is_required_for_sign_in_and_every_write(client, app):
    add_user(app)
    refused = client.post("/signin", data={"name": "editor1", "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302  # not signed in
    sign_in(client)
    assert client.post("/signout").status_code == 400
    assert client.get("/admin/").status_code == 200  # still signed in
    bad = client.post("/signout", data={"csrf_token": "forged"})
    assert bad.status_code == 400


def test_anonymous_writes_get_401_even_with_a_token(client, app):
    token = csrf_token(client.get("/signin").get_data(as_text=True))
    for path in ("/admin/users", "/admin/users/x/disable"):
        assert client.post(path, data={"csrf_token": token}).status_code == 401
        assert client.post(path).status_code == 401


def test_brute_force_is_throttled_per_account_and_per_address(default_settings, tmp_path):
    app = make_app(default_settings, tmp_path, LOGIN_THROTTLE=Throttle(per_account=3, per_address=6, window=600))
    add_user(app)
    add_user(app, "editor2")
    client = app.test_client()
    for _ in range(3):
        assert sign_in(client, "editor1", "wrong password").status_code == 401
    refused = sign_in(client, "editor1", PASSWORD)  # even the right password, while throttled
    assert refused.status_code == 429 and "Hãy thử lại sau 10 phút" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # another account from the same address still works until the address limit
    assert sign_in(app.test_client(), "editor2", PASSWORD).status_code == 302
    for _ in range(3):
        sign_in(client, "someone", "wrong password")
    assert sign_in(app.test_client(), "editor2", PASSWORD).status_code == 429  # 6 failures from this address
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert sign_in(other_address, "editor2", PASSWORD).status_code == 302
    assert user_store(app).store.audit_entries("login_throttled")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil",
                                    "javascript:alert(1)", "/\r\nLocation: https://evil.example"])
def test_open_redirect_after_sign_in_is_refused(client, app, target):
    add_user(app)
    response = sign_in(client, next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/admin/") and "evil" not in location


def test_next_inside_the_app_is_kept(client, app):
    add_user(app)
    assert sign_in(client, next="/admin/audit?action=login").headers["Location"] == "/admin/audit?action=login"


def test_users_cli(app, tmp_path):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["users", "create", "Lan.Nguyen", "--role", "editor"],
                            input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    mismatch = runner.invoke(args=["users", "create", "other", "--role", "editor"],
                             input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "match" in mismatch.output
    short = tmp_path / "short.txt"
    short.write_text("short\n")
    refused = runner.invoke(args=["users", "create", "third", "--role", "admin", "--password-file", str(short)])
    assert refused.exit_code == 1 and "at least 10" in refused.output
    for easy in ("1234567890", "aaaaaaaaaaaa", "abab1212abab", "third.admin.2026"):  # "1234567890" was accepted
        short.write_text(easy + "\n")
        refused = runner.invoke(args=["users", "create", "third", "--role", "admin", "--password-file", str(short)])
        assert refused.exit_code == 1 and "too easy to guess" in refused.output, easy
    dup = runner.invoke(args=["users", "create", "lan.nguyen", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert dup.exit_code == 1 and "already" in dup.output
    listing = runner.invoke(args=["users", "list"])
    assert "lan.nguyen" in listing.output and "editor" in listing.output and "active" in listing.output
    assert sign_in(app.test_client(), "Lan.Nguyen").status_code == 302
    assert runner.invoke(args=["users", "disable", "lan.nguyen"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    assert sign_in(app.test_client(), "lan.nguyen").status_code == 403  # disabled (the password is right)
    runner.invoke(args=["users", "enable", "lan.nguyen"])
    new = tmp_path / "new.txt"
    new.write_text("another long password\n")
    reset = runner.invoke(args=["users", "reset-password", "lan.nguyen", "--password-file", str(new)])
    assert reset.exit_code == 0, reset.output
    assert sign_in(app.test_client(), "lan.nguyen").status_code == 401
    assert sign_in(app.test_client(), "lan.nguyen", "another long password").status_code == 302
    assert runner.invoke(args=["users", "disable", "ghost"]).exit_code == 1
    actions = [e["action"] for e in user_store(app).store.audit_entries(user="cli")]
    assert {"user_created", "user_disabled", "user_enabled", "password_reset"} <= set(actions)


def test_passwords_are_argon2id_hashes(app):
    add_user(app)
    from sqlalchemy import select

    from geo_app.store.schema import users

    with user_store(app).store.reading() as conn:
        digest = conn.execute(select(users.c.password_hash)).scalar()
    assert digest.startswith("$argon2id$") and PASSWORD not in digest


def test_admins_manage_users_on_the_web_and_editors_cannot(client, app):
    add_user(app, "boss", "admin")
    add_user(app)
    editor = app.test_client()
    sign_in(editor)
    assert editor.get("/admin/users").status_code == 403
    token = page_token(editor)
    assert editor.post("/admin/users", data={"csrf_token": token, "name": "x1", "role": "admin",
                                              "password": PASSWORD}).status_code == 403
    sign_in(client, "boss")
    token = page_token(client, "/admin/users")
    created = client.post("/admin/users", data={"csrf_token": token, "name": "new.editor", "role": "editor",
                                                 "password": PASSWORD})
    assert created.status_code == 302
    assert user_store(app).get("new.editor").role == "editor"
    assert client.post("/admin/users/editor1/disable", data={"csrf_token": token}).status_code == 302
    assert editor.get("/admin/").status_code == 302  # the editor's session ended
    entries = user_store(app).store.audit_entries(user="boss")
    assert {"user_created", "user_disabled"} <= {e["action"] for e in entries}
    assert all(e["address"] for e in entries if e["action"] != "login")


def test_an_admin_is_told_why_in_the_pages_language(client, app):
    """The store's refusals (a short password, a name taken, one's own account) were English on the Vietnamese page."""
    add_user(app, "boss", "admin")
    sign_in(client, "boss")
    token = page_token(client, "/admin/users")
    short = client.post("/admin/users", data={"csrf_token": token, "name": "x1", "role": "editor", "password": "ngan"})
    assert short.status_code == 400 and "mật khẩu phải có ít nhất 10 ký tự" in short.get_data(as_text=True)
    taken = client.post("/admin/users?lang=en", data={"csrf_token": token, "name": "boss", "role": "editor",
                                                       "password": PASSWORD})
    assert taken.status_code == 400 and "there is already a user named boss" in taken.get_data(as_text=True)
    own = client.post("/admin/users/boss/disable", data={"csrf_token": token})
    assert own.status_code == 400
    assert "không thể tự khóa tài khoản của mình; hãy nhờ một quản trị viên khác" in own.get_data(as_text=True)
    assert user_store(app).get("boss").active


def test_refusal_pages_speak_the_pages_language(client, app):
    """They were written in both languages at once ("Không có quyền / Forbidden")."""
    add_user(app)
    sign_in(client)
    vi = client.get("/admin/users").get_data(as_text=True)
    assert "<h1>Không có quyền</h1>" in vi and "Forbidden" not in vi and 'lang="vi"' in vi
    en = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "<h1>Forbidden</h1>" in en and "Your account may not do this." in en and "quyền" not in en
    assert '<a href="/?lang=en">Map</a>' in en


def test_admin_pages_in_english(client, app):
    add_user(app)
    sign_in(client)
    text = client.get("/admin/?lang=en").get_data(as_text=True)
    assert "Data in use" in text and "Sign out" in text
    assert "Số liệu đang dùng" in client.get("/admin/").get_data(as_text=True)
