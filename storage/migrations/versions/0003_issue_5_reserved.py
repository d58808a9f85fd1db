"""issue 5: who marked a complaint answered by hand; an invite's region

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:20:54.037587
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("answered_by", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("region", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("region")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("answered_by")
