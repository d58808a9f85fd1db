"""issue 12: urgent complaints; issue 14: the first answer survives a reopen

Urgent complaints carry a flag and the matcher's reasons, and agencies an urgent target
(calendar seconds, round the clock).  A reopen no longer erases the first answer: it stays in
``answered_at`` and the figures beside it, the first deadline in ``first_due_at``, and the
answer to a reopen gets columns of its own (``reopen_*``).

Complaints stored before: the first deadline is the stored one where no reopen replaced it.
An answer stored after a reopen (the old code cleared the first answer and wrote the next one
in its place) is the reopen's answer; its times, measured from the complaint, are not the
reopen's figure, so they are left empty, and the first answer is unknown.

Revision ID: i0010_urgent
Revises: i0009_page_first_look
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0010_urgent"
down_revision: str | None = "i0009_page_first_look"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _reopen_columns() -> list[sa.Column[object]]:
    """The answer to the latest reopen (fresh objects: a Column belongs to one table)."""
    return [
        sa.Column("reopen_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_answer_comment_pk", sa.Integer(), nullable=True),
        sa.Column("reopen_answered_by", sa.BigInteger(), nullable=True),
        sa.Column("reopen_response_seconds", sa.Integer(), nullable=True),
        sa.Column("reopen_business_seconds", sa.Integer(), nullable=True),
        sa.Column("reopen_otpiska", sa.Boolean(), nullable=True),
        sa.Column("reopen_quality", sa.Integer(), nullable=True),
        sa.Column("reopen_quality_reasons", sa.JSON(), nullable=False, server_default="[]"),
    ]


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(
            sa.Column("urgent_s", sa.Integer(), nullable=False, server_default="7200")
        )
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("urgent_reasons", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("first_due_at", sa.DateTime(timezone=True), nullable=True))
        for column in _reopen_columns():
            batch.add_column(column)
    complaints = sa.table(
        "complaints",
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("first_due_at", sa.DateTime(timezone=True)),
        sa.column("reopened_at", sa.DateTime(timezone=True)),
        sa.column("answered_at", sa.DateTime(timezone=True)),
        sa.column("answer_comment_pk", sa.Integer()),
        sa.column("answered_by", sa.BigInteger()),
        sa.column("response_seconds", sa.Integer()),
        sa.column("business_seconds", sa.Integer()),
        sa.column("otpiska", sa.Boolean()),
        sa.column("quality", sa.Integer()),
        sa.column("quality_reasons", sa.JSON()),
        *(sa.column(col.name, col.type) for col in _reopen_columns()),
    )
    c = complaints.c
    op.execute(
        complaints.update().where(c.reopened_at.is_(None)).values(first_due_at=c.due_at)
    )
    op.execute(
        complaints.update()
        .where(c.reopened_at.is_not(None), c.answered_at >= c.reopened_at)
        .values(
            reopen_answered_at=c.answered_at,
            reopen_answer_comment_pk=c.answer_comment_pk,
            reopen_answered_by=c.answered_by,
            reopen_otpiska=c.otpiska,
            reopen_quality=c.quality,
            reopen_quality_reasons=c.quality_reasons,
            answered_at=None,
            answer_comment_pk=None,
            answered_by=None,
            response_seconds=None,
            business_seconds=None,
            otpiska=None,
            quality=None,
            quality_reasons=[],
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for column in reversed(_reopen_columns()):
            batch.drop_column(column.name)
        batch.drop_column("first_due_at")
        batch.drop_column("urgent_reasons")
        batch.drop_column("urgent")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("urgent_s")
