"""District status rows keep the name of the file they were imported from, as commune rows do, so each year's
map names the files its rows came from.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("district_status", sa.Column("source_file", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # (no table rebuild: it would drop the append-only triggers)
        op.execute("ALTER TABLE district_status DROP COLUMN source_file")
    else:
        op.drop_column("district_status", "source_file")
