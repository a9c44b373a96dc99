"""Open the store's database: an engine with SQLite's safety settings, migrated to the newest schema."""
from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from geo_app.domain.criteria import criteria_sets

if TYPE_CHECKING:  # SQLAlchemy is imported when a database is opened (not by every command that loads the app)
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000


def database_url(database: str | Path) -> str:
    """A SQLAlchemy URL for a setting that is either a URL or a file path."""
    text = str(database)
    if text == ":memory:":
        return "sqlite://"
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def make_engine(database: str | Path) -> Engine:
    from sqlalchemy import create_engine

    url = database_url(database)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """WAL (readers never block on, or see, a half-written revision) and BEGIN IMMEDIATE for writers."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (serialised between processes by the write lock).
    A database already there is left as it is without loading Alembic (every process opens the store)."""
    if at_newest_schema(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(write=True) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(?:None|['\"]([^'\"]+)['\"])", re.M)


@functools.cache
def newest_schema() -> str | None:
    """The head of the migrations (the revision no other one follows), read from their files; None when that
    is not one plain revision (Alembic decides)."""
    revisions, followed = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text("utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1):
            followed.add(down.group(1))
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None


def at_newest_schema(engine: Engine) -> bool:
    """True if the database records the newest migration (False when it has none or cannot say)."""
    from sqlalchemy.exc import DBAPIError

    newest = newest_schema()
    if newest is None:
        return False
    try:
        with engine.connect() as conn:
            versions = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except DBAPIError:  # a new database: no version table yet
        return False
    return versions == [newest]


def seed_criteria_sets(engine: Engine) -> None:
    """Criteria sets are data: add any set (and its criteria) that the database does not hold yet."""
    from sqlalchemy import insert, select

    from geo_app.store.schema import criteria, criteria_sets as criteria_sets_table

    with engine.connect().execution_options(write=True) as conn, conn.begin():
        known = set(conn.execute(select(criteria_sets_table.c.key)).scalars())
        for key, s in criteria_sets().items():
            if key in known:
                continue
            conn.execute(insert(criteria_sets_table).values(
                key=key, name_vi=s["name_vi"], name_en=s["name_en"], legal_basis=s["legal_basis"],
                first_year=s["first_year"], last_year=s["last_year"]))
            conn.execute(insert(criteria), [
                {"set_key": key, "number": c["number"], "name_vi": c["name_vi"], "name_en": c["name_en"],
                 "group": c.get("group", "")} for c in s["criteria"]])


def open_engine(database: str | Path) -> Engine:
    """An engine on a migrated, seeded database (created on first use)."""
    engine = make_engine(database)
    migrate(engine)
    seed_criteria_sets(engine)
    return engine


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class ChangeStamp:
    """A cheap "has the database changed?" stamp for in-process caches of what it holds (e.g. the heads).

    SQLite: `PRAGMA data_version` on a connection of its own, which never writes (the number changes whenever
    another connection, in this process or any other, commits), plus the file's identity (a database file that
    is replaced gets a new stamp). Other databases: None, meaning "unknown: read again".
    """

    def __init__(self, database: str | Path):
        url = database_url(database)
        self.path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._opened: tuple | None = None  # (pid, device, inode) the connection was opened for

    def current(self) -> tuple | None:
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        identity = (os.getpid(), st.st_dev, st.st_ino)
        with self._lock:
            try:
                if self._conn is None or self._opened != identity:
                    self._reopen(identity)
                version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:
                self._conn = None
                return None
        return (*identity, version)

    def _reopen(self, identity: tuple) -> None:
        if self._conn is not None and self._opened is not None and self._opened[0] == identity[0]:
            self._conn.close()  # (a connection inherited through fork is left alone)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._opened = identity
