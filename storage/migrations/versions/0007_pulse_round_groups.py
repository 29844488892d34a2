"""pulse round groups (frozen per round) and chat workspace states

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pulse_round_groups',
    sa.Column('cycle_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pulse_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('round', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('audience', sa.Integer(), nullable=False),
    sa.Column('closes_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('cycle_id', 'pulse_id', 'round', 'unit_id')
    )
    op.create_table('chat_workspaces',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('state', sa.Enum('active', 'uninstalled', 'tokens_revoked', name='workspacestate', native_enum=False, create_constraint=False, length=16), nullable=False),
    sa.Column('changed_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('chat_workspaces')
    op.drop_table('pulse_round_groups')
