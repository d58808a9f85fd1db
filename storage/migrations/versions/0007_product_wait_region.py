"""product: the wait reason and per-clock pause base of a complaint; an agency's region

Revision ID: p0007_wait_region
Revises: 0006
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0007_wait_region"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("waiting_reason", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("paused_before_clock_s", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("region", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("region")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("paused_before_clock_s")
        batch.drop_column("waiting_reason")
