"""issue 7: near-duplicate index of complaint texts; complaints by post and by author

Ingest used to compare every new complaint with every complaint of the last 30 days.  Now a
complaint is listed in ``complaint_keys`` under a few shingles of its text
(``matcher.followup.repeat_keys``), and the two indexes serve ingest's per-batch look-ups.
Complaints already stored are indexed here, so none is missed as a repeat target.

Revision ID: i0008_complaint_keys
Revises: p0007_wait_region
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0008_complaint_keys"
down_revision: str | None = "p0007_wait_region"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000


def upgrade() -> None:
    keys = op.create_table(
        "complaint_keys",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("complaint_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("key", "size", "complaint_id", name=op.f("pk_complaint_keys")),
    )
    with op.batch_alter_table("complaints") as batch:
        batch.create_index("ix_complaints_post", ["owner_id", "post_id"], unique=False)
        batch.create_index("ix_complaints_author", ["author_id", "created_at"], unique=False)

    # Index the complaints already stored (their comments' current texts), as ingest does.
    from storage.repeats import key_rows

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT complaints.id, comments.text FROM complaints "
            "JOIN comments ON comments.id = complaints.comment_pk ORDER BY complaints.id"
        )
    )
    pending: list[dict[str, int]] = []
    for complaint_id, text in rows.all():
        pending.extend(
            {"key": k, "size": size, "complaint_id": cid}
            for k, size, cid in key_rows(complaint_id, text or "")
        )
        if len(pending) >= CHUNK:
            bind.execute(keys.insert(), pending)
            pending = []
    if pending:
        bind.execute(keys.insert(), pending)


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index("ix_complaints_author")
        batch.drop_index("ix_complaints_post")
    op.drop_table("complaint_keys")
