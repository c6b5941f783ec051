"""The application database as wave 1 left it (created by metadata.create_all until then).

Revision ID: 0001_initial
Revises:
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotations",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=255), nullable=True),
        sa.Column("intent", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("exported_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(op.f("ix_annotations_sender_id"), "annotations", ["sender_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "conv_index",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("partner_id", sa.String(length=100), nullable=True),
        sa.Column("first_ts", sa.Float(), nullable=False),
        sa.Column("last_ts", sa.Float(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("n_user", sa.Integer(), nullable=False),
        sa.Column("n_bot", sa.Integer(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=True),
        sa.Column("distress", sa.Boolean(), nullable=False),
        sa.Column("request_human", sa.Boolean(), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=True),
        sa.Column("departement", sa.String(length=3), nullable=True),
        sa.Column("first_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sender_id"),
    )
    op.create_index(op.f("ix_conv_index_commune"), "conv_index", ["commune"], unique=False)
    op.create_index(op.f("ix_conv_index_day"), "conv_index", ["day"], unique=False)
    op.create_index(op.f("ix_conv_index_departement"), "conv_index", ["departement"], unique=False)
    op.create_index(op.f("ix_conv_index_first_ts"), "conv_index", ["first_ts"], unique=False)
    op.create_index(op.f("ix_conv_index_last_ts"), "conv_index", ["last_ts"], unique=False)
    op.create_index(op.f("ix_conv_index_partner_id"), "conv_index", ["partner_id"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("partner_id", sa.String(length=100), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_session_id"), "feedback", ["session_id"], unique=False)
    op.create_table(
        "index_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_login_attempts_email"), "login_attempts", ["email"], unique=False)
    op.create_index(op.f("ix_login_attempts_ip"), "login_attempts", ["ip"], unique=False)
    op.create_table(
        "message_index",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("norm_text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=255), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("partner_id", sa.String(length=100), nullable=True),
        sa.Column("commune", sa.String(length=5), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(op.f("ix_message_index_day"), "message_index", ["day"], unique=False)
    op.create_index(op.f("ix_message_index_intent"), "message_index", ["intent"], unique=False)
    op.create_index(
        op.f("ix_message_index_partner_id"), "message_index", ["partner_id"], unique=False
    )
    op.create_index(
        op.f("ix_message_index_sender_id"), "message_index", ["sender_id"], unique=False
    )
    op.create_index(op.f("ix_message_index_ts"), "message_index", ["ts"], unique=False)
    op.create_table(
        "reviews",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=254), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("author", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id", "tag", name="uq_tags_sender_tag"),
    )
    op.create_index(op.f("ix_tags_sender_id"), "tags", ["sender_id"], unique=False)
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["console_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("tags")
    op.drop_table("reviews")
    op.drop_table("message_index")
    op.drop_table("login_attempts")
    op.drop_table("index_state")
    op.drop_table("feedback")
    op.drop_table("conv_index")
    op.drop_table("console_users")
    op.drop_table("audit_log")
    op.drop_table("annotations")
