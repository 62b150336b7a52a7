"""booking operations: closures of a day or a window, who cancelled and why, marks and reminders

Revision ID: 0011_booking_ops
Revises: 0010_text_themes
Create Date: 2026-12-03 06:30:00

A closure row makes the slots of its day (or of one window on that day) disappear; the bookings it
cancelled keep its reason in ``cancel_reason``. ``reminded_at`` makes ``flask booking remind``
idempotent; ``marked_at`` is when an operator marked a booking arrived or no-show.
"""

import sqlalchemy as sa
from alembic import op


revision = "0011_booking_ops"
down_revision = "0010_text_themes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "booking_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"], ["organisation.id"], name=op.f("fk_booking_closure_center_id_organisation"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["centre_window.id"], name=op.f("fk_booking_closure_window_id_centre_window"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_booking_closure_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_closure")),
    )
    op.create_index("ix_booking_closure_center_day", "booking_closure", ["center_id", "day"], unique=False)
    # Plain ADD COLUMN (no batch rebuild): booking is referenced by booking_unit, and both databases add a
    # column in place; the server defaults fill the existing rows.
    op.add_column("booking", sa.Column("cancelled_by", sa.String(length=16), nullable=False, server_default=""))
    op.add_column("booking", sa.Column("cancel_reason", sa.String(length=300), nullable=False, server_default=""))
    op.add_column("booking", sa.Column("marked_at", sa.DateTime(), nullable=True))
    op.add_column("booking", sa.Column("reminded_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("booking", "reminded_at")
    op.drop_column("booking", "marked_at")
    op.drop_column("booking", "cancel_reason")
    op.drop_column("booking", "cancelled_by")
    op.drop_index("ix_booking_closure_center_day", table_name="booking_closure")
    op.drop_table("booking_closure")
