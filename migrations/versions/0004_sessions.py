"""Sessions ended on the server: users.session_version, secrets shown once, failed logins

Revision ID: 0004_sessions
Revises: 0003_oauth
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sessions"
down_revision = "0003_oauth"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "shown_secrets",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_shown_secrets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_shown_secrets")),
    )
    with op.batch_alter_table("shown_secrets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shown_secrets_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shown_secrets_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failures_at"), ["at"], unique=False)
        batch_op.create_index("ix_login_failures_scope_subject_at", ["scope", "subject", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_scope_subject_at")
        batch_op.drop_index(batch_op.f("ix_login_failures_at"))
    op.drop_table("login_failures")
    with op.batch_alter_table("shown_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shown_secrets_expires_at"))
        batch_op.drop_index(batch_op.f("ix_shown_secrets_user_id"))
    op.drop_table("shown_secrets")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
