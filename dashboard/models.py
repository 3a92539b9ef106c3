"""SQLAlchemy 2 models of the shared store. Schema changes go through Alembic migrations only.

Monthly facts (demo-site ledger, village indicators, measure reports, county brands) each belong to
one upload; dashboards read only rows whose upload is active, so every earlier version stays kept.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dashboard import months

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A moment stored in UTC (PostgreSQL ``timestamptz``; SQLite, which has no zones, naive UTC text) and
    read back in the configured zone. A naive value written is taken to be in the configured zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        moment = months.local(value).astimezone(timezone.utc)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return months.local(value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value)


class Region(Base):
    """City, county, township or village; ``code`` is the 12-digit 统计用区划代码 kept as text."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10))  # city / county / township / village
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)
    lon: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lat: Mapped[float | None] = mapped_column(Float)
    boundary: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, counties and townships
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_regions_level_county", "level", "county_code"),)


class Plan(Base):
    """One loaded plan document; exactly one is active."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_by: Mapped[str | None] = mapped_column(String(100), nullable=True)  # None: before migration 0012


class PlanSection(Base):
    __tablename__ = "plan_sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("plan_id", "number"),)


class Measure(Base):
    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    section: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    counties_responsible: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[date | None] = mapped_column(Date)
    flags: Mapped[str] = mapped_column(String(200), default="")  # "、"-joined, e.g. 责任单位缺失

    __table_args__ = (UniqueConstraint("plan_id", "number"),)


class Unit(Base):
    """A 牵头/配合 unit named in the plan, e.g. 市民政局."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class MeasureUnit(Base):
    __tablename__ = "measure_units"

    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(4))  # 牵头 / 配合
    position: Mapped[int] = mapped_column(Integer)


class Target(Base):
    """One milestone of a plan target; rows sharing ``metric`` form that target's milestone ladder."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    comparator: Mapped[str] = mapped_column(String(4))
    deadline: Mapped[date] = mapped_column(Date)
    deadline_configured: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    measure_number: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("plan_id", "key"),)


class Upload(Base):
    """Every upload attempt, accepted or refused; accepted ones keep their original bytes."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    scope: Mapped[str] = mapped_column(String(100))  # county code, unit name or "city"
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    expected_rows: Mapped[int | None] = mapped_column(Integer)  # roster villages a village report should cover
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(20))  # accepted / refused / failed (store fault at commit)
    message: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[str | None] = mapped_column(Text)  # JSON list of the errors and warnings shown
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_uploads_kind_period_scope", "kind", "period", "scope", "active"),
        # At most one active version per kind, period and scope, whatever races the application has.
        Index("uq_uploads_one_active", "kind", "period", "scope", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )


class Activation(Base):
    """An upload version becoming the one in effect for its kind/period/scope: a commit or a restore.

    The view of a month uses, per report, the version of the latest activation up to the month's cut-off,
    so a restore counts from the moment it was made — and a later correction never rewrites a past view.
    """

    __tablename__ = "activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(100))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(10))  # commit / restore
    # kept at each activation: when the next one of the same report replaced it (None: still in effect), and
    # whether it is the report's first — so the version in effect at a moment is a filter, not a GROUP BY over
    # every report (:func:`dashboard.facts.effective_uploads`)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_activations_kind_period_scope", "kind", "period", "scope", "activated_at"),)


class RosterVillage(Base):
    """A village of one roster version (村级名录), possibly marked 撤销/合并 from a month on."""

    __tablename__ = "roster_villages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    change: Mapped[str | None] = mapped_column(String(4))  # None, 撤销 or 合并
    change_month: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM the change took effect
    merged_into: Mapped[str | None] = mapped_column(String(12))  # 合并: the village it joined


class BoundaryRow(Base):
    """The boundary of one county or township in one version of a boundary layer (行政区划边界): the full
    geometry (WGS-84, repaired; the checks run on it) and the simplified one the maps draw."""

    __tablename__ = "boundary_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # no foreign key: demo regions may be removed
    feature: Mapped[int] = mapped_column(Integer)  # the feature's number in the file (1-based)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, full
    drawing: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, simplified for the maps


class ReportRow(Base):
    """A row of a report kind without a table of its own (a kind added by its schema and loader only):
    the validated record as JSON. The five original kinds keep their typed tables below."""

    __tablename__ = "report_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    data: Mapped[str] = mapped_column(Text)


class DemoSite(Base):
    """A row of the 示范点台账 as uploaded for one period."""

    __tablename__ = "demo_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    level: Mapped[str] = mapped_column(String(4))  # 市级 / 县级
    status: Mapped[str] = mapped_column(String(10))
    year: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str | None] = mapped_column(String(200))
    accepted_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_demo_sites_period_village", "period", "village_code"),)


class VillageReport(Base):
    """村级指标月报: one village, one month. Indicators beyond the plan's go in ``extra`` (JSON)."""

    __tablename__ = "village_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    county_code: Mapped[str] = mapped_column(String(12))
    legal_persons: Mapped[int | None] = mapped_column(Integer)
    micro_power_list: Mapped[bool | None] = mapped_column(Boolean)
    discipline_member: Mapped[bool | None] = mapped_column(Boolean)
    affairs_disclosed: Mapped[bool | None] = mapped_column(Boolean)
    supervision_committee: Mapped[bool | None] = mapped_column(Boolean)
    clues_found: Mapped[int | None] = mapped_column(Integer)
    clues_handled: Mapped[int | None] = mapped_column(Integer)
    clues_exposed: Mapped[int | None] = mapped_column(Integer)
    disputes_received: Mapped[int | None] = mapped_column(Integer)
    disputes_resolved: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_village_reports_period_county", "period", "county_code"),)


LEGAL_BARS = range(11)  # the 法律明白人 bars counted at commit: at least 0 … at least 10


class VillageCount(Base):
    """村级月报汇总, kept at commit (:mod:`dashboard.rollups`): per village report upload, its villages, how many
    have a 小微权力清单 / a 纪检委员, and ``legal_k``: how many have at least k 法律明白人 (k in :data:`LEGAL_BARS`;
    the plan's bar may change, so every bar is kept). The target series read one row per report instead of
    every village row (17 M rows nationally)."""

    __tablename__ = "village_report_counts"

    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), primary_key=True)
    villages: Mapped[int] = mapped_column(Integer)
    micro_power_list: Mapped[int] = mapped_column(Integer)
    discipline_member: Mapped[int] = mapped_column(Integer)
    legal_0: Mapped[int] = mapped_column(Integer)
    legal_1: Mapped[int] = mapped_column(Integer)
    legal_2: Mapped[int] = mapped_column(Integer)
    legal_3: Mapped[int] = mapped_column(Integer)
    legal_4: Mapped[int] = mapped_column(Integer)
    legal_5: Mapped[int] = mapped_column(Integer)
    legal_6: Mapped[int] = mapped_column(Integer)
    legal_7: Mapped[int] = mapped_column(Integer)
    legal_8: Mapped[int] = mapped_column(Integer)
    legal_9: Mapped[int] = mapped_column(Integer)
    legal_10: Mapped[int] = mapped_column(Integer)


class LedgerCount(Base):
    """示范点台账汇总, kept at commit (:mod:`dashboard.rollups`): per ledger
    version, the townships with at least one built demo site."""

    __tablename__ = "ledger_township_counts"

    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), primary_key=True)
    townships: Mapped[int] = mapped_column(Integer)


class MeasureReport(Base):
    """措施推进月报: one unit's report on one measure for one month."""

    __tablename__ = "measure_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    measure_number: Mapped[int] = mapped_column(Integer)
    unit_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    progress: Mapped[float | None] = mapped_column(Float)
    this_month: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    reporter: Mapped[str | None] = mapped_column(String(50))

    __table_args__ = (Index("ix_measure_reports_period_measure", "period", "measure_number"),)


class CountyBrand(Base):
    """县级特色品牌: a county's signature highlight/brand."""

    __tablename__ = "county_brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # 培育中 / 已形成


class FrozenMonth(Base):
    """A month frozen for the 通报: every figure of the city and of each county as a snapshot
    (:mod:`dashboard.report`, zlib-compressed JSON), the uploads behind them, who froze it and when.

    Unfreezing keeps the row (``active`` false, with who, when and why); freezing again adds a new one, so
    the record of what was sent to a meeting is never lost.
    """

    __tablename__ = "frozen_months"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    snapshots: Mapped[bytes] = mapped_column(LargeBinary)
    upload_ids: Mapped[str] = mapped_column(Text)  # JSON list of the upload versions behind the figures
    frozen_by: Mapped[str] = mapped_column(String(100))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unfrozen_by: Mapped[str | None] = mapped_column(String(100))
    unfrozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unfreeze_reason: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("uq_frozen_months_one_active", "period", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )


class Account(Base):
    """A local account: who may sign in, with which role and scope (county or lead unit)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, with its parameters and salt
    role: Mapped[str] = mapped_column(String(10))  # leader / admin / county / unit
    county_code: Mapped[str | None] = mapped_column(String(12))  # 县级填报员: the county it may change
    unit_name: Mapped[str | None] = mapped_column(String(100))  # 单位填报员: the lead unit it reports for
    email: Mapped[str | None] = mapped_column(String(120), unique=True)  # how single sign-on (OIDC) names it
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords in a row
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One recorded action: sign-ins, uploads (accepted or refused), restores, roster and plan changes,
    freezes, exports, account changes, backups. Written in the same transaction as the action itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    ok: Mapped[bool] = mapped_column(Boolean, default=True)


class SignInSession(Base):
    """A signed-in browser: the cookie carries the token (signed), the store keeps only its SHA-256, so a copy
    of the database signs nobody in. Shared by every app process on the store; ended by sign-out, by idling
    past ``[accounts] idle_minutes`` or by disabling the account."""

    __tablename__ = "sign_in_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    via: Mapped[str] = mapped_column(String(10), default="password")  # password / oidc / proxy
