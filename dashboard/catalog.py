"""Loading the plan document into the store and reading it back for the pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from dashboard import models, months
from dashboard.accounts import Account
from dashboard.plan import Plan, parse_plan
from dashboard.scope import require
from dashboard.settings import DEFAULT_PLAN_FILE
from dashboard.store import upgrade


def load_plan(engine: Engine, text: str, source_name: str, by: str = "系统(首次启动载入默认方案)",
              plan: Plan | None = None, note: str | None = None) -> int:
    """Store ``text`` as a new plan version and make it the active one (earlier versions are kept, inactive);
    recorded as loaded by ``by``. ``plan``: the parse of ``text`` already shown for review (parsed here if None),
    or the plan as corrected by hand (``note``: what was changed, for the audit log)."""
    from dashboard import audit

    plan = plan or parse_plan(text)
    with Session(engine) as session, session.begin():
        session.execute(update(models.Plan).values(active=False))
        row = models.Plan(
            title=plan.title,
            source_name=source_name,
            source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            source_text=text,
            loaded_at=months.now(),
            active=True,
            loaded_by=by,
        )
        session.add(row)
        session.flush()
        _store_plan(session, row.id, plan)
        audit.record(session.connection(), by, "plan", source_name,
                     (f"{note}(方案版本 {row.id})" if note else
                      f"载入实施方案:{len(plan.measures)} 项措施,{len(plan.targets)} 个目标节点(方案版本 {row.id})"))
        return row.id


def plan_versions(engine: Engine) -> list[dict]:
    """Every plan version ever loaded, newest first: id, title, source_name, loaded_at, loaded_by, active,
    measures (how many)."""
    P, M = models.Plan, models.Measure
    count = select(func.count(M.id)).where(M.plan_id == P.id).scalar_subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(P.id, P.title, P.source_name, P.loaded_at, P.loaded_by, P.active,
                                   count.label("measures")).order_by(P.id.desc())).all()
    return [dict(r._mapping) | {"loaded_at": months.local(r.loaded_at)} for r in rows]


class PlanVersionError(ValueError):
    """A plan version that cannot be made active, said in Chinese."""


def add_plan_version(engine: Engine, who: Account, text: str, source_name: str, plan: Plan | None = None) -> int:
    """:func:`load_plan` for a person: only a 管理员 may change the plan (ScopeError otherwise, nothing saved)."""
    require(who, "plan")
    return load_plan(engine, text, source_name, by=who.signature, plan=plan)


def activate_plan(engine: Engine, plan_id: int, who: Account) -> None:
    """Make the kept version ``plan_id`` the active plan again (the dashboards follow it); only a 管理员 may."""
    from dashboard import audit

    require(who, "plan")
    by = who.signature
    with Session(engine) as session, session.begin():
        row = session.get(models.Plan, plan_id)
        if row is None:
            raise PlanVersionError(f"没有编号为 {plan_id} 的方案版本;可用 `qinglian plan list` 查看全部版本。")
        if row.active:
            raise PlanVersionError(f"方案版本 {plan_id}「{row.title}」已经是当前方案。")
        session.execute(update(models.Plan).values(active=False))
        row.active = True
        audit.record(session.connection(), by, "plan", row.source_name,
                     f"重新启用实施方案版本 {plan_id}「{row.title}」")


def _store_plan(session: Session, plan_id: int, plan: Plan) -> None:
    units = {u.name: u.id for u in session.scalars(select(models.Unit))}
    for name in plan.units():
        if name not in units:
            unit = models.Unit(name=name)
            session.add(unit)
            session.flush()
            units[name] = unit.id
    session.add_all(
        models.PlanSection(plan_id=plan_id, number=s.number, title=s.title) for s in plan.sections
    )
    for m in plan.measures:
        measure = models.Measure(
            plan_id=plan_id,
            number=m.number,
            section=m.section,
            title=m.title,
            body=m.body,
            counties_responsible=m.counties_responsible,
            deadline=date.fromisoformat(m.deadline) if m.deadline else None,
            flags="、".join(m.flags),
        )
        session.add(measure)
        session.flush()
        names = ([m.lead_unit] if m.lead_unit else []) + list(m.co_units)
        session.add_all(
            models.MeasureUnit(
                measure_id=measure.id,
                unit_id=units[name],
                role="牵头" if i == 0 and m.lead_unit else "配合",
                position=i,
            )
            for i, name in enumerate(names)
        )
    session.add_all(
        models.Target(
            plan_id=plan_id,
            key=t.key,
            metric=t.metric,
            text=t.text,
            value=t.value,
            unit=t.unit,
            comparator=t.comparator,
            deadline=date.fromisoformat(t.deadline),
            deadline_configured=t.deadline_configured,
            source=t.source,
            measure_number=t.measure,
        )
        for t in plan.targets
    )


def ready(engine: Engine) -> str:
    """Every migration applied and a plan active (the shipped data/plan.txt on a fresh store): what any
    entry point — server, CLI verb, page — needs before it reads. Returns the schema revision. One thread at a
    time: two would both find no plan and load it twice."""
    from dashboard.store import MIGRATION_LOCK

    with MIGRATION_LOCK:
        revision = upgrade(engine)
        ensure_default_plan(engine)
    return revision


def ensure_default_plan(engine: Engine, path: Path = DEFAULT_PLAN_FILE) -> int:
    """Load the shipped plan document unless a plan is already active; returns its id."""
    with Session(engine) as session:
        active = session.scalar(select(models.Plan.id).where(models.Plan.active))
    if active is not None:
        return active
    return load_plan(engine, path.read_text(encoding="utf-8"), source_name=path.name)


@dataclass(frozen=True)
class PlanView:
    """The active plan as the pages show it."""

    id: int
    title: str
    source_name: str
    sections: list[models.PlanSection]
    measures: list[dict]
    targets: list[models.Target]

    @property
    def units(self) -> list[str]:
        """Every unit named in the plan, lead units first seen first."""
        names = [m["lead_unit"] for m in self.measures if m["lead_unit"]]
        names += [u for m in self.measures for u in m["co_units"]]
        return list(dict.fromkeys(names))


def active_plan(engine: Engine) -> PlanView | None:
    """The active plan with each measure's lead unit and co-units, or None if none is loaded."""
    with Session(engine, expire_on_commit=False) as session:
        plan = session.scalar(select(models.Plan).where(models.Plan.active))
        if plan is None:
            return None
        sections = list(
            session.scalars(
                select(models.PlanSection)
                .where(models.PlanSection.plan_id == plan.id)
                .order_by(models.PlanSection.number)
            )
        )
        roles = session.execute(
            select(models.MeasureUnit.measure_id, models.MeasureUnit.role, models.Unit.name)
            .join(models.Unit)
            .join(models.Measure)
            .where(models.Measure.plan_id == plan.id)
            .order_by(models.MeasureUnit.measure_id, models.MeasureUnit.position)
        ).all()
        measures = []
        for m in session.scalars(
            select(models.Measure)
            .where(models.Measure.plan_id == plan.id)
            .order_by(models.Measure.number)
        ):
            mine = [(role, name) for mid, role, name in roles if mid == m.id]
            measures.append(
                {
                    "number": m.number,
                    "section": m.section,
                    "title": m.title,
                    "body": m.body,
                    "lead_unit": next((n for r, n in mine if r == "牵头"), None),
                    "co_units": [n for r, n in mine if r == "配合"],
                    "counties_responsible": m.counties_responsible,
                    "deadline": m.deadline,
                    "flags": [f for f in m.flags.split("、") if f],
                }
            )
        targets = list(
            session.scalars(
                select(models.Target)
                .where(models.Target.plan_id == plan.id)
                .order_by(models.Target.deadline, models.Target.id)
            )
        )
        return PlanView(plan.id, plan.title, plan.source_name, sections, measures, targets)

