"""Revisioned store: revisions, boundary features, criteria sets, status per criterion, audit log, derived data.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data_revision", sa.Integer, nullable=False),
        sa.Column("rollback_of", sa.Integer, nullable=True),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("provenance", sa.String(20), nullable=False),
    )
    op.create_table(
        "boundary_features",
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit_type", sa.Text, nullable=False),
        sa.Column("district_code", sa.String(10), nullable=False),
        sa.Column("district_name", sa.Text, nullable=False),
        sa.Column("vintage", sa.String(20), nullable=False),
        sa.Column("geometry", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("revision_id", "unit_code"),
    )
    op.create_table(
        "criteria_sets",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("name_vi", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("first_year", sa.Integer, nullable=False),
        sa.Column("last_year", sa.Integer, nullable=False),
    )
    op.create_table(
        "criteria",
        sa.Column("set_key", sa.String(40), sa.ForeignKey("criteria_sets.key"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name_vi", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("group", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("set_key", "number"),
    )
    op.create_table(
        "commune_status",
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("criteria_set", sa.String(40), sa.ForeignKey("criteria_sets.key"), nullable=False),
        sa.Column("level", sa.String(40), nullable=False),
        sa.Column("year_recognised", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("provenance", sa.String(20), nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("revision_id", "unit_code", "year"),
    )
    op.create_table(
        "criterion_status",
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("criteria_set", sa.String(40), sa.ForeignKey("criteria_sets.key"), nullable=False),
        sa.Column("criterion", sa.Integer, nullable=False),
        sa.Column("met", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("revision_id", "unit_code", "year", "criterion"),
    )
    op.create_table(
        "district_status",
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), nullable=False),
        sa.Column("district_code", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("level", sa.String(40), nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("provenance", sa.String(20), nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("revision_id", "district_code", "year"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "derived",
        sa.Column("data_revision", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("data_revision", "key"),
    )
    if op.get_bind().dialect.name == "sqlite":  # the audit log is append-only, enforced by the database
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        for table in ("revisions", "boundary_features", "commune_status", "criterion_status", "district_status"):
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       "BEGIN SELECT RAISE(ABORT, 'revisions are immutable; make a new one'); END")


def downgrade() -> None:
    for table in ("derived", "audit_log", "district_status", "criterion_status", "commune_status", "criteria",
                  "criteria_sets", "boundary_features", "revisions"):
        op.drop_table(table)
