"""milestone date overrides

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('milestone_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('milestone_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('set_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'milestone_id', name='uq_milestone_override')
    )


def downgrade() -> None:
    op.drop_table('milestone_overrides')
