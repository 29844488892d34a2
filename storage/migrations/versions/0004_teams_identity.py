"""teams identity: Entra object id, tenant and preferred platform on people; 1:1 conversations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teams_aad_object_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('teams_tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('preferred_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_people_teams_aad_object_id'), ['teams_aad_object_id'], unique=False)

    op.create_table(
        'teams_conversations',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('conversation_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('service_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
        sa.PrimaryKeyConstraint('person_id'),
    )


def downgrade() -> None:
    op.drop_table('teams_conversations')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_teams_aad_object_id'))
        batch_op.drop_column('preferred_platform')
        batch_op.drop_column('teams_tenant_id')
        batch_op.drop_column('teams_aad_object_id')
