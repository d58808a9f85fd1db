"""issue 15: answer drafts and answer templates

An official's answer written in the messenger is a draft with a guid fixed at creation (sent
with every VK attempt, so VK publishes it once whatever crashes in between); templates are
kept per topic and agency.

Revision ID: i0011_answers
Revises: i0010_urgent
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0011_answers"
down_revision: str | None = "i0010_urgent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("check_reasons", sa.JSON(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("guid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("vk_comment_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_answer_drafts_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_drafts")),
        sa.UniqueConstraint("guid", name=op.f("uq_answer_drafts_guid")),
    )
    op.create_index("ix_answer_drafts_complaint", "answer_drafts", ["complaint_id"])
    op.create_index("ix_answer_drafts_state", "answer_drafts", ["state"])
    op.create_table(
        "answer_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("agency_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_answer_templates_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_templates")),
    )
    op.create_index("ix_answer_templates_scope", "answer_templates", ["agency_id", "topic"])


def downgrade() -> None:
    op.drop_index("ix_answer_templates_scope", table_name="answer_templates")
    op.drop_table("answer_templates")
    op.drop_index("ix_answer_drafts_state", table_name="answer_drafts")
    op.drop_index("ix_answer_drafts_complaint", table_name="answer_drafts")
    op.drop_table("answer_drafts")
