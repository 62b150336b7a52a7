"""appeal subtype («вопрос») and the origin of a review-book entry (the «Задать вопрос» form)

Revision ID: 0014_appeal_subtype
Revises: 0013_knowledge_base
Create Date: 2026-12-03 06:40:00

A question to a specialist is an application (kind "application") with subtype "question": the
regulator's form does not count it as a service request. Questions take their registration numbers and
check codes from the review book's entries (origin "ask"), so the status page, the burst check and the
answer mail serve them unchanged.
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_appeal_subtype'
down_revision = "0013_knowledge_base"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appeal') as batch:
        batch.add_column(sa.Column('subtype', sa.String(length=16), nullable=True))
    with op.batch_alter_table('review_entry') as batch:
        batch.add_column(sa.Column('origin', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('review_entry') as batch:
        batch.drop_column('origin')
    with op.batch_alter_table('appeal') as batch:
        batch.drop_column('subtype')
