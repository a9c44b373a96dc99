"""Editors and admins: accounts (argon2id password hashes), sign-in sessions, and sign-in throttling.

Sessions live in the store: the signed cookie only carries a random token whose SHA-256 is a row here, so a
sign-in always starts a new session id, signing out ends it everywhere the cookie was copied, and disabling a
user or resetting a password ends all of that user's sessions. Throttling counts the audit log's recent
`login_failed` entries per account and per address, so every worker and process shares one count.
No Flask here.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from geo_app.domain.messages import phrase as _p
from geo_app.store.revisions import RevisionStore, StoreError, now
from geo_app.store.schema import audit_log, user_sessions, users

ROLES = ("editor", "admin")
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"^[\w.@-]{2,64}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against for unknown names (same time either way); made on first sign-in, not at import."""
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool
    created_at: str = ""
    updated_at: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Throttle:
    """Limits on failed sign-ins within a window (seconds), per account and per address."""

    per_account: int = 5
    per_address: int = 20
    window: int = 15 * 60


def normal_name(name: str) -> str:
    """Account names are NFC, trimmed and lower-case (looked up the same way)."""
    return unicodedata.normalize("NFC", (name or "").strip()).lower()


def check_name(name: str) -> str:
    name = normal_name(name)
    if not NAME_PATTERN.match(name):
        raise StoreError(_p("a user name is 2-64 letters, digits, '.', '_', '-' or '@' (no spaces)"))
    return name


MIN_DISTINCT_CHARACTERS = 5


def check_password(password: str, name: str = "") -> None:
    """At least MIN_PASSWORD_LENGTH characters, and not one a guesser tries first: only digits ("1234567890"),
    few different characters ("aaaaaaaaaa", "abababab12") or the user's own name in it."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreError(_p("the password must have at least {n} characters", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or len(set(password.lower())) < MIN_DISTINCT_CHARACTERS or (
            len(name) >= 3 and normal_name(name) in password.lower()):
        raise StoreError(_p("the password is too easy to guess (only digits, few different characters, or the "
                            "user name in it); use a few words or a mix of letters and digits"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _user(row) -> User:
    return User(row.id, row.name, row.role, bool(row.active), row.created_at, row.updated_at)


class AccountDisabled(Exception):
    """The right password for an account an admin has disabled."""


class UserStore:
    """Accounts and sessions in the revision store's database; every change is audited."""

    def __init__(self, store: RevisionStore):
        self.store = store

    # ------------------------------------------------------------ accounts

    def create(self, name: str, role: str, password: str, by: str, address: str = "") -> User:
        name = check_name(name)
        if role not in ROLES:
            raise StoreError(_p("role must be one of {roles}", roles=", ".join(ROLES)))
        check_password(password, name)
        digest = _hasher.hash(password)
        with self.store.writing() as conn:
            if conn.execute(select(users.c.id).where(users.c.name == name)).first():
                raise StoreError(_p("there is already a user named {name}", name=name))
            stamp = now()
            conn.execute(insert(users).values(name=name, role=role, password_hash=digest, active=1,
                                              created_at=stamp, updated_at=stamp))
            self.store._audit(conn, by, "user_created", name, {"role": role}, address)
        return self.get(name)

    def get(self, name: str) -> User | None:
        with self.store.reading() as conn:
            row = conn.execute(select(users).where(users.c.name == normal_name(name))).first()
        return _user(row) if row else None

    def list(self) -> list[User]:
        with self.store.reading() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]

    def set_active(self, name: str, active: bool, by: str, address: str = "") -> User:
        with self.store.writing() as conn:
            row = self._row(conn, name)
            conn.execute(update(users).where(users.c.id == row.id).values(active=int(active), updated_at=now()))
            if not active:
                conn.execute(delete(user_sessions).where(user_sessions.c.user_id == row.id))
            self.store._audit(conn, by, "user_enabled" if active else "user_disabled", row.name, {}, address)
        return self.get(row.name)

    def reset_password(self, name: str, password: str, by: str, address: str = "") -> User:
        check_password(password, name)
        digest = _hasher.hash(password)
        with self.store.writing() as conn:
            row = self._row(conn, name)
            conn.execute(update(users).where(users.c.id == row.id).values(password_hash=digest, updated_at=now()))
            conn.execute(delete(user_sessions).where(user_sessions.c.user_id == row.id))
            self.store._audit(conn, by, "password_reset", row.name, {}, address)
        return self.get(row.name)

    @staticmethod
    def _row(conn, name: str):
        row = conn.execute(select(users).where(users.c.name == normal_name(name))).first()
        if row is None:
            raise StoreError(_p("there is no user named {name}; see `flask --app app users list`",
                                name=normal_name(name)))
        return row

    # ------------------------------------------------------------ sign-in

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user with this name and password, else None (the same work and answer either way);
        AccountDisabled when the password is right but the account is disabled (only its owner learns that)."""
        with self.store.reading() as conn:
            row = conn.execute(select(users).where(users.c.name == normal_name(name))).first()
        digest = row.password_hash if row is not None else _dummy_hash()
        try:
            _hasher.verify(digest, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if not row.active:
            raise AccountDisabled(row.name)
        if _hasher.check_needs_rehash(digest):
            with self.store.writing() as conn:
                conn.execute(update(users).where(users.c.id == row.id).values(password_hash=_hasher.hash(password)))
        return _user(row)

    def throttled(self, name: str, address: str, limits: Throttle) -> bool:
        """True when this account or this address had too many failed sign-ins within the window."""
        since = _iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=limits.window))
        name = normal_name(name)
        with self.store.reading() as conn:
            last_ok = conn.execute(select(func.max(audit_log.c.at)).where(
                audit_log.c.action == "login", audit_log.c.user == name)).scalar()
            account_since = max(since, last_ok or "")
            by_account = conn.execute(select(func.count()).where(
                audit_log.c.action == "login_failed", audit_log.c.user == name,
                audit_log.c.at >= account_since)).scalar()
            by_address = conn.execute(select(func.count()).where(
                audit_log.c.action == "login_failed", audit_log.c.address == address,
                audit_log.c.at >= since)).scalar() if address else 0
        return by_account >= limits.per_account or by_address >= limits.per_address

    # ------------------------------------------------------------ sessions

    def start_session(self, user: User, lifetime: dt.timedelta, address: str = "") -> str:
        """A new session token for `user` (its hash is stored); audited as a sign-in."""
        token = secrets.token_urlsafe(32)
        moment = dt.datetime.now(dt.timezone.utc)
        with self.store.writing() as conn:
            conn.execute(delete(user_sessions).where(user_sessions.c.expires_at < _iso(moment)))
            conn.execute(insert(user_sessions).values(token_hash=token_hash(token), user_id=user.id,
                                                      created_at=_iso(moment), expires_at=_iso(moment + lifetime),
                                                      address=address))
            self.store._audit(conn, user.name, "login", user.name, {"role": user.role}, address)
        return token

    def session_user(self, token: str) -> User | None:
        """The active user of a live session, else None."""
        if not token:
            return None
        with self.store.reading() as conn:
            row = conn.execute(
                select(users).join(user_sessions, user_sessions.c.user_id == users.c.id)
                .where(user_sessions.c.token_hash == token_hash(token), user_sessions.c.expires_at > now())).first()
        return _user(row) if row is not None and row.active else None

    def end_session(self, token: str, user: str, address: str = "") -> None:
        with self.store.writing() as conn:
            conn.execute(delete(user_sessions).where(user_sessions.c.token_hash == token_hash(token)))
            self.store._audit(conn, user, "logout", user, {}, address)
