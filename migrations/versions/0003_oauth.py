"""OAuth2 clients (app keys) and tokens

Revision ID: 0003_oauth
Revises: 0002_webhooks
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0003_oauth"
down_revision = "0002_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
