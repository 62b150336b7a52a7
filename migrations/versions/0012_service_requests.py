"""service requests: the public request forms' requests and their attachments; the request topics

Revision ID: 0012_service_requests
Revises: 0011_booking_ops
Create Date: 2026-12-03 07:00:00

Attachments are stored in the database (bytes, sanitised name, checked type, size, SHA-256). The data
step adds the topics of the three request types when missing (connection usually exists); the downgrade
drops the tables and leaves the topics, which appeals may refer to.
"""

import sqlalchemy as sa
from alembic import op


revision = "0012_service_requests"
down_revision = "0011_booking_ops"
branch_labels = None
depends_on = None

REQUEST_TOPICS = [
    ("connection", "Технологическое присоединение", "Grid connection"),
    ("meter_acceptance", "Приемка прибора учета в эксплуатацию", "Meter acceptance"),
    ("meter_check", "Проверка прибора учета", "Meter check"),
]


def upgrade():
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("check_code_hash", sa.String(length=128), nullable=False),
        sa.Column("client_submission_id", sa.String(length=64), nullable=False),
        sa.Column("request_type", sa.String(length=32), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("object_address", sa.String(length=500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("check_state", sa.String(length=16), nullable=True),
        sa.Column("check_reasons", sa.JSON(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_service_request_appeal_id_appeal"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["center_id"], ["organisation.id"], name=op.f("fk_service_request_center_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["user.id"], name=op.f("fk_service_request_checked_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_service_request_contact_id_contact"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("client_submission_id", name=op.f("uq_service_request_client_submission_id")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_service_request_registration_number")),
    )
    op.create_index("ix_service_request_center_created", "service_request", ["center_id", "created_at"])
    op.create_index(op.f("ix_service_request_appeal_id"), "service_request", ["appeal_id"])
    op.create_index(op.f("ix_service_request_contact_id"), "service_request", ["contact_id"])
    op.create_table(
        "service_request_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_service_request_attachment_request_id_service_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_attachment")),
    )
    op.create_index(op.f("ix_service_request_attachment_request_id"), "service_request_attachment", ["request_id"])
    topic = sa.table(
        "topic",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name_ru", sa.String),
        sa.column("name_en", sa.String),
        sa.column("sort_order", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    connection = op.get_bind()
    existing = set(connection.execute(sa.select(topic.c.code)).scalars())
    order = int(connection.execute(sa.select(sa.func.max(topic.c.sort_order))).scalar() or 0)
    missing = [row for row in REQUEST_TOPICS if row[0] not in existing]
    if missing:
        op.bulk_insert(
            topic,
            [
                {"code": code, "name_ru": ru, "name_en": en, "sort_order": order + n, "active": True}
                for n, (code, ru, en) in enumerate(missing, start=1)
            ],
        )


def downgrade():
    op.drop_index(op.f("ix_service_request_attachment_request_id"), table_name="service_request_attachment")
    op.drop_table("service_request_attachment")
    op.drop_index(op.f("ix_service_request_contact_id"), table_name="service_request")
    op.drop_index(op.f("ix_service_request_appeal_id"), table_name="service_request")
    op.drop_index("ix_service_request_center_created", table_name="service_request")
    op.drop_table("service_request")
