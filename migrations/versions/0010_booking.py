"""booking: structured centre data (services, windows, hours, phone) and appointments by time unit

Revision ID: 0010_booking
Revises: 0009_kiosk_survey
Create Date: 2026-12-02 16:12:29

A booking occupies one booking_unit row per 5-minute unit of one window; the unique constraint
(window_id, unit_start) makes overlapping bookings impossible on both databases. Cancelling deletes
the units. Existing centres get an empty phone.
"""

import sqlalchemy as sa
from alembic import op


revision = "0010_booking"
down_revision = "0009_kiosk_survey"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "booking_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_service")),
        sa.UniqueConstraint("code", name=op.f("uq_booking_service_code")),
    )
    op.create_table(
        "centre_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("break_start", sa.Time(), nullable=True),
        sa.Column("break_end", sa.Time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["center_id"], ["organisation.id"], name=op.f("fk_centre_hours_center_id_organisation"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_hours")),
        sa.UniqueConstraint("center_id", "weekday", name="uq_centre_hours_weekday"),
    )
    op.create_table(
        "centre_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["organisation.id"],
            name=op.f("fk_centre_service_center_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["booking_service.id"],
            name=op.f("fk_centre_service_service_id_booking_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_service")),
        sa.UniqueConstraint("center_id", "service_id", name="uq_centre_service"),
    )
    op.create_table(
        "centre_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"], ["organisation.id"], name=op.f("fk_centre_window_center_id_organisation"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_window")),
        sa.UniqueConstraint("center_id", "number", name="uq_centre_window_number"),
    )
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=32), nullable=True),
        sa.Column("check_code_hash", sa.String(length=128), nullable=False),
        sa.Column("client_request_id", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["center_id"], ["organisation.id"], name=op.f("fk_booking_center_id_organisation")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_booking_contact_id_contact"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["booking_service.id"], name=op.f("fk_booking_service_id_booking_service")
        ),
        sa.ForeignKeyConstraint(["window_id"], ["centre_window.id"], name=op.f("fk_booking_window_id_centre_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("client_request_id", name=op.f("uq_booking_client_request_id")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_booking_registration_number")),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_center_start", ["center_id", "start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "booking_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("unit_start", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_unit_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["centre_window.id"], name=op.f("fk_booking_unit_window_id_centre_window")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_unit")),
        sa.UniqueConstraint("window_id", "unit_start", name="uq_booking_unit_window_start"),
    )
    with op.batch_alter_table("booking_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_unit_booking_id"), ["booking_id"], unique=False)

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=False, server_default=""))


def downgrade():
    # Not batch mode: a batch rebuild of organisation on SQLite drops the table, which its references refuse;
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place.
    op.drop_column("organisation", "phone")

    with op.batch_alter_table("booking_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_unit_booking_id"))

    op.drop_table("booking_unit")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_contact_id"))
        batch_op.drop_index("ix_booking_center_start")

    op.drop_table("booking")
    op.drop_table("centre_window")
    op.drop_table("centre_service")
    op.drop_table("centre_hours")
    op.drop_table("booking_service")
