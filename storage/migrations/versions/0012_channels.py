"""issue 13: messenger channels on outbox rows and card refs

Every outbox row names its messenger (``channel``, ``telegram`` for all rows stored before),
and a card's message id becomes a text ``ref`` (MAX message ids are strings, ``mid.…``),
unique per complaint, channel and chat: a person on both messengers may hold a card on each.

Revision ID: i0012_channels
Revises: i0011_answers
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0012_channels"
down_revision: str | None = "i0011_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="telegram")
        )
    with op.batch_alter_table("alert_messages") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="telegram")
        )
        batch.add_column(sa.Column("ref", sa.String(128), nullable=True))
    op.execute("UPDATE alert_messages SET ref = CAST(message_id AS VARCHAR(128))")
    with op.batch_alter_table("alert_messages") as batch:
        batch.alter_column("ref", existing_type=sa.String(128), nullable=False)
        batch.drop_constraint(op.f("uq_alert_messages_complaint_id"), type_="unique")
        batch.drop_column("message_id")
    with op.batch_alter_table("alert_messages") as batch:
        batch.create_unique_constraint(
            op.f("uq_alert_messages_complaint_id"), ["complaint_id", "channel", "chat_id"]
        )


def downgrade() -> None:
    # Telegram-only storage cannot keep another messenger's rows or cards.
    op.execute("DELETE FROM alert_messages WHERE channel <> 'telegram'")
    op.execute("DELETE FROM outbox WHERE channel <> 'telegram'")
    with op.batch_alter_table("alert_messages") as batch:
        batch.drop_constraint(op.f("uq_alert_messages_complaint_id"), type_="unique")
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE alert_messages SET message_id = CAST(ref AS BIGINT)")
    with op.batch_alter_table("alert_messages") as batch:
        batch.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("ref")
        batch.drop_column("channel")
    with op.batch_alter_table("alert_messages") as batch:
        batch.create_unique_constraint(
            op.f("uq_alert_messages_complaint_id"), ["complaint_id", "chat_id"]
        )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel")
