"""issue 15: answer drafts, templates and VK writes (placeholder until filled)

Revision ID: i0011_answers
Revises: i0010_urgent
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

revision: str = "i0011_answers"
down_revision: str | None = "i0010_urgent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
