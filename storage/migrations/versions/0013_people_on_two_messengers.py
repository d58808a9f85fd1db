"""issue 13: a person may be on Telegram, MAX or both

``people.telegram_id`` was the primary key.  It becomes ``people.id`` (the person), keeping
every value, so every reference to a person (``taken_by``, ``invites.created_by``, outbox
recipients, audit actors) stays valid; a new ``telegram_id`` column holds the Telegram user id
(the same value for everyone stored before), beside ``max_user_id``, the preferred channel
and whether the person stopped the bot on MAX.

Revision ID: i0013_people_ids
Revises: i0012_channels
Create Date: 2026-12-05 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i0013_people_ids"
down_revision: str | None = "i0012_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.alter_column("telegram_id", new_column_name="id")
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("telegram_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("max_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column(
                "preferred_channel", sa.String(16), nullable=False, server_default="telegram"
            )
        )
        batch.add_column(
            sa.Column("max_unreachable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE people SET telegram_id = id")
    with op.batch_alter_table("people") as batch:
        batch.create_unique_constraint(op.f("uq_people_telegram_id"), ["telegram_id"])
        batch.create_unique_constraint(op.f("uq_people_max_user_id"), ["max_user_id"])


def downgrade() -> None:
    # People who joined without Telegram cannot be kept under a Telegram-keyed table.
    op.execute("DELETE FROM people WHERE telegram_id IS NULL")
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint(op.f("uq_people_max_user_id"), type_="unique")
        batch.drop_constraint(op.f("uq_people_telegram_id"), type_="unique")
        batch.drop_column("max_unreachable")
        batch.drop_column("preferred_channel")
        batch.drop_column("max_user_id")
        batch.drop_column("telegram_id")
    with op.batch_alter_table("people") as batch:
        batch.alter_column("id", new_column_name="telegram_id")
