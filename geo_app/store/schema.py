"""Tables of the revisioned store (SQLAlchemy Core). Alembic migrations create and change them.

Nothing here hard-wires a criteria set or a unit list: status is stored per unit, year, criteria set and
criterion; criteria sets and their criteria are rows; boundary features carry their vintage.
"""
from __future__ import annotations

from sqlalchemy import (Column, ForeignKey, Integer, LargeBinary, MetaData, PrimaryKeyConstraint, String, Table,
                        Text)

metadata = MetaData()

revisions = Table(
    "revisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the revision number shown to people
    Column("kind", String(20), nullable=False, index=True),  # boundaries | status
    Column("created_at", String(32), nullable=False),  # ISO 8601, UTC
    Column("user", String(100), nullable=False),  # a user name, or "cli" / "setup"
    Column("file_name", Text, nullable=False, default=""),
    Column("file_size", Integer, nullable=False, default=0),
    Column("sha256", String(64), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("data_revision", Integer, nullable=False),  # whose rows this revision serves (itself unless a rollback)
    Column("rollback_of", Integer, nullable=True),  # the revision a rollback restored
    Column("counts", Text, nullable=False, default="{}"),  # JSON
    Column("changes", Text, nullable=False, default="{}"),  # JSON: change summary against the previous revision
    Column("provenance", String(20), nullable=False, default=""),  # official | documented | illustrative | mixed
)

boundary_features = Table(
    "boundary_features", metadata,
    Column("revision_id", Integer, ForeignKey("revisions.id"), nullable=False),
    Column("unit_code", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("unit_type", Text, nullable=False),
    Column("district_code", String(10), nullable=False),
    Column("district_name", Text, nullable=False),
    Column("vintage", String(20), nullable=False),
    Column("geometry", LargeBinary, nullable=False),  # full-detail WKB, EPSG:4326
    PrimaryKeyConstraint("revision_id", "unit_code"),
)

criteria_sets = Table(
    "criteria_sets", metadata,
    Column("key", String(40), primary_key=True),  # e.g. ntm-2021-2025
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("first_year", Integer, nullable=False),
    Column("last_year", Integer, nullable=False),
)

criteria = Table(
    "criteria", metadata,
    Column("set_key", String(40), ForeignKey("criteria_sets.key"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("group", String(10), nullable=False, default=""),
    PrimaryKeyConstraint("set_key", "number"),
)

commune_status = Table(
    "commune_status", metadata,
    Column("revision_id", Integer, ForeignKey("revisions.id"), nullable=False),
    Column("unit_code", String(10), nullable=False),
    Column("year", Integer, nullable=False),
    Column("criteria_set", String(40), ForeignKey("criteria_sets.key"), nullable=False),
    Column("level", String(40), nullable=False),
    Column("year_recognised", Integer, nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("provenance", String(20), nullable=False),
    Column("source_url", Text, nullable=False, default=""),
    Column("source_file", Text, nullable=False, default=""),
    PrimaryKeyConstraint("revision_id", "unit_code", "year"),
)

criterion_status = Table(
    "criterion_status", metadata,
    Column("revision_id", Integer, ForeignKey("revisions.id"), nullable=False),
    Column("unit_code", String(10), nullable=False),
    Column("year", Integer, nullable=False),
    Column("criteria_set", String(40), ForeignKey("criteria_sets.key"), nullable=False),
    Column("criterion", Integer, nullable=False),
    Column("met", Integer, nullable=True),  # 1 met, 0 not met, NULL not assessed
    PrimaryKeyConstraint("revision_id", "unit_code", "year", "criterion"),
)

district_status = Table(
    "district_status", metadata,
    Column("revision_id", Integer, ForeignKey("revisions.id"), nullable=False),
    Column("district_code", String(10), nullable=False),
    Column("year", Integer, nullable=False),
    Column("level", String(40), nullable=False),
    Column("decision", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("provenance", String(20), nullable=False),
    Column("source_url", Text, nullable=False, default=""),
    Column("source_file", Text, nullable=False, default="", server_default=""),  # migration 0003
    PrimaryKeyConstraint("revision_id", "district_code", "year"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("user", String(100), nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Column("action", String(40), nullable=False, index=True),
    Column("target", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),  # JSON
)

derived = Table(
    "derived", metadata,
    Column("data_revision", String(40), nullable=False),  # Dataset.revision
    Column("key", String(200), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
    PrimaryKeyConstraint("data_revision", "key"),
)

# ---------------------------------------------------------------- editors (migration 0002)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),  # NFC, as typed; looked up case-insensitively
    Column("role", String(20), nullable=False),  # editor | admin
    Column("password_hash", Text, nullable=False),  # argon2id (argon2-cffi)
    Column("active", Integer, nullable=False, default=1),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

user_sessions = Table(
    "user_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the token in the signed cookie
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("address", String(64), nullable=False, default=""),
)

uploads = Table(
    "uploads", metadata,
    Column("id", String(64), primary_key=True),  # random token; also the upload's folder name
    Column("kind", String(20), nullable=False),  # boundaries | status
    Column("user", String(100), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("file_name", Text, nullable=False),  # sanitised name as uploaded
    Column("file_size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # preview | committed | discarded | expired
    Column("revision", Integer, nullable=True),  # the revision a commit made
)
