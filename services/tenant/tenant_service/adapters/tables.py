"""The tenant service's tables (SQLAlchemy Core); the schema itself is built by migrations."""

from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, Table, Text, func

metadata = MetaData()

estates = Table(
    "estates",
    metadata,
    Column("estate_code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("district_code", Text, nullable=False),
    Column("community_code", Text, nullable=False),
    Column("fee_rate_fen_per_sqm_month", Numeric(12, 4), nullable=False),
    Column("remuneration_share_bps", Integer, nullable=False),
    Column("donation_share_bps", Integer, nullable=False),
    Column("time_zone", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("directory_id", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
