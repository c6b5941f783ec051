"""Wave 2: console throttling per account and address, trusted devices, content corrections
proposed by referents, the gateways' scheduled jobs; per-attempt login rows dropped.

Revision ID: 0002_wave2
Revises: 0001_initial
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_wave2"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _absent(table: str) -> bool:
    """Databases created with ``metadata.create_all`` while wave 2 was written may hold some of
    these tables already: each is created (or dropped) only where needed."""
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _absent("content_corrections"):
        op.create_table(
            "content_corrections",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("partner_id", sa.String(length=100), nullable=False),
            sa.Column("operator_id", sa.String(length=100), nullable=False),
            sa.Column("field", sa.String(length=20), nullable=False),
            sa.Column("old_value", sa.Text(), nullable=True),
            sa.Column("new_value", sa.Text(), nullable=False),
            sa.Column("comment", sa.Text(), nullable=True),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("author", sa.String(length=254), nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("decided_by", sa.String(length=254), nullable=True),
            sa.Column("decided_at", sa.Float(), nullable=True),
            sa.Column("exported_at", sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(
            op.f("ix_content_corrections_partner_id"),
            "content_corrections",
            ["partner_id"],
            unique=False,
        )
        op.create_index(
            op.f("ix_content_corrections_status"), "content_corrections", ["status"], unique=False
        )
    if _absent("jobs"):
        op.create_table(
            "jobs",
            sa.Column("name", sa.String(length=40), nullable=False),
            sa.Column("last_done", sa.Float(), nullable=False),
            sa.Column("started_at", sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("name"),
        )
    if _absent("login_throttle"):
        op.create_table(
            "login_throttle",
            sa.Column("key", sa.String(length=80), nullable=False),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("last_failure", sa.Float(), nullable=False),
            sa.Column("blocked_until", sa.Float(), nullable=False),
            sa.Column("reported", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
        op.create_index(
            op.f("ix_login_throttle_last_failure"), "login_throttle", ["last_failure"], unique=False
        )
    if _absent("console_devices"):
        op.create_table(
            "console_devices",
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=True),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(["user_id"], ["console_users.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("token_hash"),
        )
        op.create_index(
            op.f("ix_console_devices_expires_at"), "console_devices", ["expires_at"], unique=False
        )
    if not _absent("login_attempts"):
        op.drop_index(op.f("ix_login_attempts_email"), table_name="login_attempts")
        op.drop_index(op.f("ix_login_attempts_ip"), table_name="login_attempts")
        op.drop_table("login_attempts")


def downgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.INTEGER(), nullable=False),
        sa.Column("email", sa.VARCHAR(length=254), nullable=False),
        sa.Column("ip", sa.VARCHAR(length=64), nullable=False),
        sa.Column("at", sa.FLOAT(), nullable=False),
        sa.Column("success", sa.BOOLEAN(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_login_attempts_ip"), "login_attempts", ["ip"], unique=False)
    op.create_index(op.f("ix_login_attempts_email"), "login_attempts", ["email"], unique=False)
    op.drop_index(op.f("ix_console_devices_expires_at"), table_name="console_devices")
    op.drop_table("console_devices")
    op.drop_index(op.f("ix_login_throttle_last_failure"), table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_content_corrections_status"), table_name="content_corrections")
    op.drop_index(op.f("ix_content_corrections_partner_id"), table_name="content_corrections")
    op.drop_table("content_corrections")
