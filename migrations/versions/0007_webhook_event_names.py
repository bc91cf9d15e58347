"""Webhooks choose their event names: webhooks.event_names ("current" or "jomres_legacy")

Revision ID: 0007_webhook_event_names
Revises: 0004_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_webhook_event_names"
down_revision = "0004_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event_names", sa.String(length=20), server_default="current", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("event_names")
