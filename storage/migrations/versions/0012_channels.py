"""issue 13: messenger channels on people, outbox rows and card refs (placeholder until filled)

Revision ID: i0012_channels
Revises: i0011_answers
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

revision: str = "i0012_channels"
down_revision: str | None = "i0011_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
