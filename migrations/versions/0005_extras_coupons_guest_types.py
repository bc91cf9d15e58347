"""Optional extras, coupons and guest types; their use on bookings (booking_extras, booking_guest_types,
bookings.coupon_id and bookings.discount)

Revision ID: 0005_extras_coupons_guest_types
Revises: 0007_webhook_event_names
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_extras_coupons_guest_types"
down_revision = "0007_webhook_event_names"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("is_percentage", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("booking_valid_from", sa.Date(), nullable=True),
        sa.Column("booking_valid_to", sa.Date(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_coupons_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_property_id"), ["property_id"], unique=False)

    op.create_table(
        "extras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("room_type", sa.String(length=80), nullable=False),
        sa.Column("auto_select", sa.Boolean(), nullable=False),
        sa.Column("include_in_property_lists", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_extras_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extras")),
    )
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extras_property_id"), ["property_id"], unique=False)

    op.create_table(
        "guest_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("is_percentage", sa.Boolean(), nullable=False),
        sa.Column("posneg", sa.Boolean(), nullable=False),
        sa.Column("variance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("is_child", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_guest_types_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_types")),
    )
    with op.batch_alter_table("guest_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guest_types_property_id"), ["property_id"], unique=False)

    op.create_table(
        "booking_extras",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("extra_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_extras_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extra_id"], ["extras.id"], name=op.f("fk_booking_extras_extra_id_extras"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("booking_id", "extra_id", name=op.f("pk_booking_extras")),
    )
    op.create_table(
        "booking_guest_types",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("guest_type_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_guest_types_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guest_type_id"],
            ["guest_types.id"],
            name=op.f("fk_booking_guest_types_guest_type_id_guest_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", "guest_type_id", name=op.f("pk_booking_guest_types")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coupon_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("discount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_bookings_coupon_id"), ["coupon_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_coupon_id_coupons"), "coupons", ["coupon_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_bookings_coupon_id_coupons"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_bookings_coupon_id"))
        batch_op.drop_column("discount")
        batch_op.drop_column("coupon_id")

    op.drop_table("booking_guest_types")
    op.drop_table("booking_extras")
    with op.batch_alter_table("guest_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guest_types_property_id"))

    op.drop_table("guest_types")
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extras_property_id"))

    op.drop_table("extras")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_property_id"))

    op.drop_table("coupons")
