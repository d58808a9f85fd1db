"""issue 3: collector coverage per page

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collector_pages",
        sa.Column("group_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lag_s", sa.Float(), nullable=True),
        sa.Column("watched_posts", sa.Integer(), nullable=False),
        sa.Column("unreachable_posts", sa.Integer(), nullable=False),
        sa.Column("wall_get_calls", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("longpoll", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_collector_pages")),
    )


def downgrade() -> None:
    op.drop_table("collector_pages")
