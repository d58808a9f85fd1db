"""issue 11: when Otklik first looked at each page (its history is not alerted)

Ingest decides whether a comment is the page's history by the comment's own date against
``pages.first_look_at``.  Pages already watched get the time Otklik first stored one of their
comments; pages with none get it from the first ingest after the upgrade (the process start).
Complaints of comments deleted earlier, which stayed open, are closed as ``deleted``.

Revision ID: i0009_page_first_look
Revises: i0008_complaint_keys
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0009_page_first_look"
down_revision: str | None = "i0008_complaint_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("first_look_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE pages SET first_look_at = "
        "(SELECT MIN(comments.stored_at) FROM comments WHERE comments.owner_id = -pages.group_id)"
    )
    # Complaints whose comment was deleted before deletions closed them: closed now, so the
    # SLA watch never escalates them (ingest closes later ones as they are seen).
    op.execute(
        "UPDATE complaints SET status = 'deleted', closed_at = CURRENT_TIMESTAMP "
        "WHERE status IN ('open', 'in_work', 'answered') "
        "AND comment_pk IN (SELECT id FROM comments WHERE deleted)"
    )


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("first_look_at")
