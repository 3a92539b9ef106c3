"""Monthly intake against the store: preview (read + validate + diff, no writes), then commit.

A commit writes the upload record, supersedes the earlier active version and inserts the rows in one
transaction, serialised per kind/period/scope (SQLite write lock, PostgreSQL advisory lock). Earlier
versions are never deleted and can be restored. The page and the CLI both call these functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

from sqlalchemy import Engine, and_, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from dashboard import audit, facts, models, months, rollups
from dashboard.accounts import Account
from dashboard.catalog import active_plan
from dashboard.sandbox import SandboxFailure, sandbox
from dashboard.scope import ScopeError, read_scope, readable, write_scope
from dashboard.store import StoreError, describe_url, make_engine, store_fault
from loaders import reader
from loaders.cells import norm_text, parse_period
from loaders.errors import CellError, IntakeError, Issue
from loaders.refusals import REFUSALS
from loaders.schema import BOUNDARY_KIND, KIND_LABELS, KINDS
from loaders.validate import Context, Result, kind_module, validate
from loaders.villages import Village, VillageIndex

log = logging.getLogger("qinglian.intake")
U = models.Upload
R = models.Region
FACT_TABLE = {"demo_sites": models.DemoSite, "village_monthly": models.VillageReport,
              "measure_progress": models.MeasureReport, "county_brands": models.CountyBrand}


@dataclass
class Preview:
    """Everything the user sees of one file before committing, and everything a commit needs.

    A file of one scope is committed as one version. A county file without a chosen county that covers
    several counties (the city office's consolidated file) is validated as a whole and then ``split``
    into one part per county: each part is a Preview of its own (its rows, warnings, diff against that
    county's active version, roster coverage) and becomes one version; the file itself only carries the
    errors and the totals.
    """

    kind: str
    period: str
    scope: str | None
    file_name: str
    data: bytes
    user: str
    result: Result | None = None
    file_error: Issue | None = None
    diff: dict = field(default_factory=lambda: {"added": 0, "changed": 0, "unchanged": 0, "missing": 0})
    diff_names: dict = field(default_factory=dict)  # added/changed/missing -> some row names
    roster_total: int | None = None  # roster villages of the county (village reports only)
    roster_missing: list[tuple[str, str, str]] = field(default_factory=list)  # (township, village, code) left out
    split: list[Preview] = field(default_factory=list)  # one part per county, for a file of several counties
    scope_name: str | None = None  # the county's (or unit's) name, looked up by the server

    @property
    def parts(self) -> list[Preview]:
        """What a commit writes, one version each: the county parts, or the file itself."""
        return self.split or [self]

    @property
    def partial(self) -> bool:
        """A village report that leaves out villages of a county's roster (committing it needs a tick)."""
        return any(part.roster_missing for part in self.parts)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def errors(self) -> list[Issue]:
        return [self.file_error] if self.file_error else list(self.result.errors if self.result else [])

    @property
    def warnings(self) -> list[Issue]:
        return list(self.result.warnings) if self.result else []

    @property
    def ok(self) -> bool:
        return not self.errors and all(part.scope is not None for part in self.parts)

    @property
    def rows(self) -> int:
        return self.result.rows_read if self.result else 0

    @property
    def label(self) -> str:
        """The scope as people say it: the county's or unit's name."""
        return self.scope_name or self.scope or "未确定"

    def to_json(self) -> dict:
        return {"ok": self.ok, "kind": self.kind, "period": self.period, "rows": self.rows,
                "errors": [i.to_dict() for i in self.errors], "warnings": [i.to_dict() for i in self.warnings],
                "diff": dict(self.diff), "roster_total": self.roster_total,
                "roster_missing": _missing_json(self.roster_missing),
                "parts": [{"scope": p.scope, "name": p.label, "rows": p.rows, "warnings": len(p.warnings),
                           "diff": dict(p.diff), "roster_total": p.roster_total,
                           "roster_missing": _missing_json(p.roster_missing)} for p in self.parts] if self.ok else []}


def _missing_json(missing: list[tuple[str, str, str]]) -> list[dict]:
    return [{"township": t, "village": v, "code": c} for t, v, c in missing]


_INDEX_CACHE: dict[tuple, VillageIndex] = {}


def village_index(engine: Engine) -> VillageIndex:
    """The roster lookups, rebuilt only when regions change (count, or a newer roster upload)."""
    with engine.connect() as conn:
        key = (str(engine.url), *conn.execute(select(func.count(), func.sum(func.length(R.name)))).one(),
               conn.scalar(select(func.max(U.id)).where(U.kind == "roster", U.outcome == "accepted")))
    if key not in _INDEX_CACHE:
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = _build_village_index(engine)
    return _INDEX_CACHE[key]


def _build_village_index(engine: Engine) -> VillageIndex:
    county, town = R.__table__.alias("c"), R.__table__.alias("t")
    query = (select(R.code, R.name, town.c.code, town.c.name, county.c.code, county.c.name, R.lon, R.lat)
             .join(town, town.c.code == R.parent_code).join(county, county.c.code == town.c.parent_code)
             .where(R.level == "village").order_by(R.code))
    with engine.connect() as conn:
        return VillageIndex([Village(*row) for row in conn.execute(query)])


def county_code(engine: Engine, name: str) -> str | None:
    """The code of the county called ``name`` (suffix-tolerant), or None."""
    from loaders.villages import county_stem

    with engine.connect() as conn:
        for code, county in conn.execute(select(R.code, R.name).where(R.level == "county")):
            if county_stem(county) == county_stem(name) or code == name:
                return code
    return None


def active_records(engine: Engine, kind: str, period: str, scope: str) -> dict[tuple, dict]:
    """Records of the active version for kind/period/scope (for snapshot kinds: the latest up to
    ``period``), keyed like the kind's rows."""
    return active_records_of(engine, kind, period, [scope])[scope]


def active_records_of(engine: Engine, kind: str, period: str, scopes: list[str]) -> dict[str, dict[tuple, dict]]:
    """:func:`active_records` of several scopes (a consolidated file's counties) in two queries."""
    if kind == "roster":
        return {scope: _roster_records(engine, scope) for scope in scopes}
    table = FACT_TABLE.get(kind, models.ReportRow)
    keys = KINDS[kind].key_columns
    # snapshot kinds (ledger, brands) compare against the latest snapshot up to this period
    period_rule = U.period <= period if KINDS[kind].snapshot else U.period == period
    out: dict[str, dict[tuple, dict]] = {scope: {} for scope in scopes}
    with engine.connect() as conn:
        latest: dict[str, tuple[str, int]] = {}
        for scope, upload_period, upload_id in conn.execute(
                select(U.scope, U.period, U.id).where(U.kind == kind, period_rule, U.scope.in_(scopes), U.active)):
            latest[scope] = max(latest.get(scope, (upload_period, upload_id)), (upload_period, upload_id))
        if not latest:
            return out
        scope_of = {upload_id: scope for scope, (_, upload_id) in latest.items()}
        cols = [c for c in table.__table__.c if c.key not in ("id", "upload_id", "period")]
        rows = conn.execute(select(table.upload_id, *cols).where(table.upload_id.in_(list(scope_of)))).all()
    names = [c.key for c in cols]
    for upload_id, *values in rows:
        record = json.loads(values[0]) if table is models.ReportRow else dict(zip(names, values))
        out[scope_of[upload_id]][tuple(record[k] for k in keys)] = record
    return out


def _roster_records(engine: Engine, scope: str) -> dict[tuple, dict]:
    """The county's villages as the roster stands now, with the 撤并 marks of its latest roster version."""
    town, county = R.__table__.alias("t"), R.__table__.alias("c")
    RV = models.RosterVillage
    with engine.connect() as conn:
        latest = conn.scalar(select(U.id).where(U.kind == "roster", U.scope == scope, U.active)
                             .order_by(U.period.desc()).limit(1))
        marks = {code: (change, month, into) for code, change, month, into in conn.execute(
            select(RV.village_code, RV.change, RV.change_month, RV.merged_into).where(RV.upload_id == latest))}
        query = (select(R.code, R.name, town.c.name, county.c.name, R.lon, R.lat)
                 .join(town, town.c.code == R.parent_code).join(county, county.c.code == town.c.parent_code)
                 .where(R.level == "village", R.county_code == scope))
        out = {}
        for c, n, t, k, lon, lat in conn.execute(query):
            change, month, into = marks.get(c, (None, None, None))
            out[(c,)] = {"code": c, "name": n, "township": t, "county": k, "lon": lon, "lat": lat,
                         "change": change, "change_month": month, "merged_into": into}
        return out


def build_context(engine: Engine, kind: str, period: str, scope: str | None) -> Context:
    plan = active_plan(engine)
    measures = {m["number"]: m for m in plan.measures} if plan else {}
    villages = village_index(engine)
    lons = [v.lon for v in villages.villages if v.lon is not None]
    lats = [v.lat for v in villages.villages if v.lat is not None]
    bbox = (min(lons) - 0.3, min(lats) - 0.3, max(lons) + 0.3, max(lats) + 0.3) if lons else None
    load_previous = None
    if kind == "village_monthly":
        before = months.previous(period)
        # no county chosen: the file may hold many, so last month of all of them is read in one query
        everywhere = cache(lambda: previous_counts(engine, before))
        load_previous = (lambda s: previous_counts(engine, before, s)) if scope else (lambda s: everywhere())
    removed = facts.removed_villages(engine, period) if kind == "village_monthly" else {}
    return Context(period, scope, villages, measures, load_previous, bbox, removed)


def previous_counts(engine: Engine, period: str, scope: str | None = None) -> dict[str, dict]:
    """Village code -> {"legal_persons": n} of the active village report(s) of ``period`` — of ``scope``, or
    of every county (for fall warnings)."""
    V = models.VillageReport
    query = (select(V.village_code, V.legal_persons).join(U, U.id == V.upload_id)
             .where(U.kind == "village_monthly", U.period == period, U.active))
    if scope is not None:
        query = query.where(U.scope == scope)
    with engine.connect() as conn:  # fetched in one go: row-by-row fetching costs more than the query
        rows = conn.execute(query).all()
    return {code: {"legal_persons": n} for code, n in rows}


def clean_field(text: str, limit: int) -> str:
    """An uploader's or operator's name as stored: cleaned like every text cell, and cut to ``limit``."""
    return norm_text(text)[:limit] or "未署名"


def clean_file_name(name: str, limit: int) -> str:
    """A file name as stored: cleaned, and cut to ``limit`` keeping its extension (the reader needs it)."""
    name = norm_text(name) or "未命名"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 8:
        return name[:limit]
    return stem[:max(1, limit - len(ext) - 1)] + "." + ext


def prepare(engine: Engine, data: bytes, file_name: str, kind: str, period: str,
            scope: str | None = None, *, who: Account, on_wait=None) -> Preview:
    """Read, validate and diff a file in the parse sandbox for ``who`` (its uploader). Writes nothing.

    A county's or unit's staff upload for their own county or unit only (:func:`scope.write_scope`; another
    raises :class:`ScopeError`, and rows of another county in their file are errors).
    ``on_wait(n)`` is called while the file waits behind ``n`` others. Raises :class:`StoreError` when the
    store cannot be read; a file that exhausts the sandbox becomes a refusal like any other bad file.
    """
    scope = write_scope(who, kind, scope)
    lim = reader.limits()
    preview = Preview(kind, period, scope, clean_file_name(file_name, lim["max_file_name_chars"]), data,
                      clean_field(who.signature, lim["max_user_chars"]))
    try:
        parse_period(period)
    except CellError as exc:
        preview.file_error = Issue(None, None, None, period, f"{exc}。请选择正确的报送期")
        return preview
    job = {"op": "prepare", "url": engine.url.render_as_string(hide_password=False), "data": data,
           "file_name": preview.file_name, "kind": kind, "period": period, "scope": scope, "lim": lim}
    try:
        reply = sandbox().run(job, on_wait)
    except SandboxFailure as failure:
        key = "crashed" if failure.reason == "crash" else "capacity"  # memory, timeout or died: the file's doing
        (log.error if key == "crashed" else log.warning)(
            "校验「%s」未完成(%s):%s", preview.file_name, failure.reason, failure.detail)
        preview.file_error = Issue(None, None, None, None, REFUSALS[key]())
        return preview
    if "store_error" in reply:
        raise StoreError(reply["store_error"], describe_url(engine.url))
    _from_wire(preview, reply)
    if not _consistent(preview, scope):
        log.error("校验「%s」的结果与所选范围不符,已拒收", preview.file_name)
        preview.result, preview.split = None, []
        preview.file_error = Issue(None, None, None, None, REFUSALS["crashed"]())
    _name_scopes(engine, preview)
    return preview


def _consistent(preview: Preview, chosen: str | None) -> bool:
    """The worker's answer fits what the server asked for: its scope, and each part's rows only of its scope.

    The server does not re-validate the rows (that is the worker's job), but it never takes a worker's
    word for which county or unit the rows belong to."""
    if chosen is not None and (preview.split or preview.scope not in (None, chosen)):
        return False
    if preview.split:
        if preview.scope is not None or KINDS[preview.kind].scope != "county" or preview.result is None:
            return False
        scopes = [part.scope for part in preview.split]
        if None in scopes or len(set(scopes)) != len(scopes):
            return False
        if any(part.split or part.result is None for part in preview.split):
            return False
        if sum(len(part.result.records) for part in preview.split) != len(preview.result.records):
            return False
    return all(_rows_in_scope(part) for part in preview.parts)


def _rows_in_scope(preview: Preview) -> bool:
    result = preview.result
    if result is None or not result.records or preview.scope is None:
        return True
    if KINDS[preview.kind].scope == "unit":
        return all(r["unit_name"] == preview.scope for r in result.records)
    if "county_code" in result.records[0]:
        return all(r["county_code"] == preview.scope for r in result.records)
    prefix = preview.scope[:6]  # a village's 统计用区划代码 starts with its county's
    return all(str(r.get("village_code") or r.get("code"))[:6] == prefix for r in result.records)


def _name_scopes(engine: Engine, preview: Preview) -> None:
    """Each part's county name, from the store (a unit's name is its scope)."""
    scopes = {part.scope for part in preview.parts if part.scope is not None}
    if not scopes:
        return
    if KINDS[preview.kind].scope == "county":
        with engine.connect() as conn:
            names = dict(conn.execute(select(R.code, R.name).where(R.level == "county", R.code.in_(scopes))).all())
    else:
        names = {scope: scope for scope in scopes}
    for part in preview.parts:
        part.scope_name = names.get(part.scope)


def prepare_job(url: str, data: bytes, file_name: str, kind: str, period: str, scope: str | None, lim: dict) -> dict:
    """The sandboxed half of :func:`prepare` (runs in :mod:`dashboard.sandbox_worker`)."""
    engine = _worker_engine(url)
    try:
        preview = prepare_here(engine, data, file_name, kind, period, scope, lim)
    except SQLAlchemyError as exc:
        fault = store_fault(exc, engine.url)
        if fault is None:
            raise
        return {"store_error": fault.kind}
    return _to_wire(preview)


_WORKER_ENGINES: dict[str, Engine] = {}


def _worker_engine(url: str) -> Engine:
    """One engine per store URL inside the worker (a few at most; the oldest is disposed)."""
    if url not in _WORKER_ENGINES:
        if len(_WORKER_ENGINES) >= 4:
            _WORKER_ENGINES.pop(next(iter(_WORKER_ENGINES))).dispose()
        _WORKER_ENGINES[url] = make_engine(url)
    return _WORKER_ENGINES[url]


def prepare_here(engine: Engine, data: bytes, file_name: str, kind: str, period: str,
                 scope: str | None = None, lim: dict | None = None) -> Preview:
    """Read, validate and diff in this process — only for the sandbox worker and benchmarks."""
    preview = Preview(kind, period, scope, file_name, b"", "")
    try:
        table = reader.read_table(data, file_name, KINDS[kind], lim)
    except IntakeError as exc:
        preview.file_error = exc.issue
        return preview
    ctx = build_context(engine, kind, period, scope)
    preview.result = validate(KINDS[kind], table, ctx)
    if kind not in FACT_TABLE and kind != "roster":  # stored as JSON: compared and kept as JSON reads them back
        preview.result.records = [json.loads(json.dumps(r, ensure_ascii=False, default=str))
                                  for r in preview.result.records]
    preview.scope = preview.result.scope
    if preview.result.errors:
        return preview
    if preview.scope is None:
        preview.split = _split(preview, ctx)
        if len(preview.split) == 1:  # the rows name several counties but all belong to one
            preview.scope, preview.split = preview.split[0].scope, []
        elif not preview.split:
            preview.file_error = Issue(table.sheet, None, None, None,
                                       "无法确定上报范围(县或单位)。请在上报时选择所属县(市、区)或填报单位")
            return preview
    current = active_records_of(engine, kind, period, [part.scope for part in preview.parts])
    rosters = _county_rosters(ctx.villages) if preview.split else {}
    for part in preview.parts:
        _diff(engine, part, ctx.villages, current[part.scope])
        if kind == "village_monthly":
            _roster_coverage(part, rosters.get(part.scope, ctx.villages), ctx.removed)
    if preview.split:
        _add_up(preview)
    return preview


_ROSTERS: list[tuple[VillageIndex, dict[str, VillageIndex]]] = []


def _county_rosters(index: VillageIndex) -> dict[str, VillageIndex]:
    """The roster of each county on its own (so that covering 110 counties reads 15,000 villages, not 110×);
    kept while the roster index is the same one (see :func:`village_index`)."""
    if not _ROSTERS or _ROSTERS[0][0] is not index:
        by_county: dict[str, list[Village]] = {}
        for village in index.villages:
            by_county.setdefault(village.county_code, []).append(village)
        _ROSTERS[:] = [(index, {county: VillageIndex(villages) for county, villages in by_county.items()})]
    return _ROSTERS[0][1]


def _split(preview: Preview, ctx: Context) -> list[Preview]:
    """One preview per county of a clean file that names several (kinds without a ``split`` rule: none)."""
    split = getattr(kind_module(KINDS[preview.kind]), "split", None)
    if split is None or not preview.result.records:
        return []
    return [Preview(preview.kind, preview.period, part.scope, preview.file_name, preview.data, preview.user, part)
            for part in split(preview.result, ctx)]


def _add_up(preview: Preview) -> None:
    """The file's totals over its county parts (what the file as a whole adds, changes, leaves out)."""
    for key in preview.diff:
        preview.diff[key] = sum(part.diff[key] for part in preview.split)
    preview.diff_names = {key: [name for part in preview.split for name in part.diff_names.get(key, [])][:50]
                          for key in ("added", "changed", "missing")}
    totals = [part.roster_total for part in preview.split if part.roster_total is not None]
    preview.roster_total = sum(totals) if totals else None
    preview.roster_missing = [m for part in preview.split for m in part.roster_missing]


def _roster_coverage(preview: Preview, index: VillageIndex, removed: dict[str, str]) -> None:
    """Which of the county's roster villages (those not 撤销/合并 by the period) the file leaves out."""
    county = [v for v in index.villages if v.county_code == preview.scope and v.code not in removed]
    reported = {r["village_code"] for r in preview.result.records}
    preview.roster_total = len(county)
    preview.roster_missing = [(v.township, v.name, v.code) for v in county if v.code not in reported]


def _to_wire(preview: Preview) -> dict:
    """What the parent needs of a sandboxed preview: plain data only (see dashboard.sandbox).

    Parts share their record dicts with the file's result, and pickle sends a shared object once."""
    result = preview.result
    return {
        "scope": preview.scope, "diff": preview.diff, "diff_names": preview.diff_names,
        "roster_total": preview.roster_total, "roster_missing": preview.roster_missing,
        "file_error": tuple(preview.file_error.to_dict().values()) if preview.file_error else None,
        "result": None if result is None else {
            "kind": result.kind, "sheet": result.sheet, "scope": result.scope, "rows_read": result.rows_read,
            "records": result.records, "errors": [tuple(i.to_dict().values()) for i in result.errors],
            "warnings": [tuple(i.to_dict().values()) for i in result.warnings]},
        "parts": [_to_wire(part) for part in preview.split],
    }


def _from_wire(preview: Preview, wire: dict) -> None:
    preview.scope, preview.diff, preview.diff_names = wire["scope"], wire["diff"], wire["diff_names"]
    preview.roster_total, preview.roster_missing = wire["roster_total"], [tuple(m) for m in wire["roster_missing"]]
    preview.file_error = Issue(*wire["file_error"]) if wire["file_error"] else None
    result = wire["result"]
    if result is not None:
        preview.result = Result(result["kind"], result["sheet"], result["scope"], result["rows_read"],
                                result["records"], [Issue(*i) for i in result["errors"]],
                                [Issue(*i) for i in result["warnings"]])
    preview.split = []
    for part_wire in wire["parts"]:
        part = Preview(preview.kind, preview.period, None, preview.file_name, preview.data, preview.user)
        _from_wire(part, part_wire)
        preview.split.append(part)


def _label(kind: str, record: dict, index: VillageIndex) -> str:
    """A row's name for the diff lists: 乡镇+村, 措施N, or the brand/county."""
    if "village_code" in record or kind == "roster":
        village = index.by_code.get(record.get("village_code") or record.get("code"))
        return f"{village.township}{village.name}" if village else str(record.get("name") or "")
    if kind == "measure_progress":
        return f"措施{record['measure_number']}"
    return str(record.get("name") or record.get("county_code") or "")


def _diff(engine: Engine, preview: Preview, index: VillageIndex, current: dict | None = None) -> None:
    """Count added / changed / unchanged / missing rows against the active version (``current``, read here
    when not given); name up to 50 of each."""
    if current is None:
        current = active_records(engine, preview.kind, preview.period, preview.scope)
    records = preview.result.records
    keys = KINDS[preview.kind].key_columns
    key_of = itemgetter(*keys) if len(keys) > 1 else (lambda record, get=itemgetter(keys[0]): (get(record),))
    sample = next(iter(current.values()), {})
    shared = [k for k in (records[0] if records else ()) if k in sample]
    values = itemgetter(*shared) if shared else (lambda record: ())  # one C-level tuple per record
    rows: dict[str, list[dict]] = {"added": [], "changed": [], "missing": []}
    seen = set()
    for record in records:
        key = key_of(record)
        seen.add(key)
        before = current.get(key)
        if before is None:
            rows["added"].append(record)
        elif values(before) != values(record):
            rows["changed"].append(record)
        else:
            preview.diff["unchanged"] += 1
    rows["missing"] = [before for key, before in current.items() if key not in seen]
    for status, found in rows.items():
        preview.diff[status] = len(found)
    preview.diff_names = {status: [_label(preview.kind, r, index) for r in found[:50]] for status, found in rows.items()}


def _lock(conn, kind: str, period: str, scope: str) -> None:
    """Serialise commits of the same kind/period/scope (and, on SQLite, all writers)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"{kind}|{period}|{scope}".encode()) - 2**31
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    else:  # a write as the first statement takes SQLite's write lock before anything is read
        conn.execute(update(U).where(U.id == -1).values(active=False))


def _issues_json(preview: Preview) -> str:
    return json.dumps([i.to_dict() for i in preview.errors + preview.warnings][:500], ensure_ascii=False)


def _target(preview: Preview) -> str:
    """What an upload is about, for the audit log: 村级指标月报 2025-11 义溪区."""
    return f"{KIND_LABELS.get(preview.kind, preview.kind)} {preview.period} {preview.label}"


def record_refusal(engine: Engine, preview: Preview, outcome: str = "refused", message: str | None = None) -> int | None:
    """Record a refused (or failed) attempt without its bytes; returns the upload id, or None when the
    store itself refuses the write (read-only, full, unreachable — logged, never raised)."""
    summary = preview.errors[0].text() if preview.errors else "未通过校验"
    try:
        with engine.begin() as conn:
            audit.record(conn, preview.user, "upload_refused", _target(preview),
                         f"文件 {preview.file_name}:{message or f'共 {len(preview.errors)} 处错误。{summary}'}", ok=False)
            return conn.execute(insert(U).values(
                kind=preview.kind, period=preview.period, scope=preview.scope or "未确定",
                file_name=preview.file_name, sha256=preview.sha256, content=None, uploaded_by=preview.user,
                uploaded_at=months.now(), rows=preview.rows, errors=len(preview.errors),
                warnings=len(preview.warnings), outcome=outcome,
                message=message or f"共 {len(preview.errors)} 处错误。{summary}", issues=_issues_json(preview),
                active=False, is_demo=False,
            ).returning(U.id)).scalar_one()
    except SQLAlchemyError as exc:
        if store_fault(exc, engine.url) is None:
            raise
        log.warning("无法记录上报尝试「%s」:%s", preview.file_name, store_fault(exc, engine.url).kind)
        return None


class PartialNotConfirmed(ValueError):
    """A partial village report was committed without saying so (确认部分报送 / --allow-partial)."""


class BatchConflict(ValueError):
    """Two files of one upload give the same county (or unit) for the same report and period."""


def conflicts(previews: list[Preview]) -> list[str]:
    """Why files uploaded together cannot be committed together: each scope given by two of them, named."""
    first: dict[tuple, Preview] = {}
    out = []
    for preview in previews:
        for part in preview.parts if preview.ok else []:
            key = (part.kind, part.period, part.scope)
            other = first.setdefault(key, preview)
            if other is not preview:
                out.append(f"文件「{other.file_name}」和「{preview.file_name}」都含有{part.label}的"
                           f"{KIND_LABELS[part.kind]}({months.label(part.period)}),同一次上报中每个范围只能有一份。"
                           "请去掉其中一个文件(或其中重复的行)后重新上传")
    return out


def partial_text(previews: list[Preview]) -> str:
    """Which counties leave out roster villages, e.g. 北亭县 78/115 村、下溪县 100/120 村."""
    parts = [part for preview in previews for part in preview.parts if part.roster_missing]
    return "、".join(f"{part.label} {part.rows}/{part.roster_total} 村" for part in parts)


def commit(engine: Engine, preview: Preview, hook=None, allow_partial: bool = False, *, who: Account) -> int:
    """Write an accepted preview of one scope in one transaction; returns the new active upload's id.

    A file of several counties, or several files, go through :func:`commit_batch`."""
    if preview.split:
        raise ValueError("文件含多个县的数据,请用 commit_batch 提交")
    return commit_batch(engine, [preview], hook, allow_partial, who=who)[0]


def commit_batch(engine: Engine, previews: list[Preview], hook=None, allow_partial: bool = False, *,
                 who: Account) -> list[int]:
    """Write every part of every preview in ONE transaction (all or nothing): one version per county or
    unit, each superseding that scope's active version. Returns the new upload ids in order.

    A partial village report (villages of a roster left out) is written only with ``allow_partial``;
    two files giving the same scope raise :class:`BatchConflict`.

    A store fault (read-only, disk full, unreachable, locked) leaves the store as it was and raises
    :class:`StoreError`; the failed attempt is recorded when the store still takes that one small write.
    ``hook(stage)`` is called between the steps (tests use it to simulate crashes).
    """
    if not previews or not all(preview.ok for preview in previews):
        raise ValueError("预览未通过校验,不能提交")
    for preview in previews:  # checked again at the write: a preview is only data, whoever made it
        for part in preview.parts:
            if write_scope(who, part.kind, part.scope) != part.scope:
                raise ScopeError(f"{who.role_label}只能提交本县或本单位的数据。")
            part.user = preview.user = clean_field(who.signature, reader.limits()["max_user_chars"])
    clash = conflicts(previews)
    if clash:
        raise BatchConflict(";".join(clash))
    partial = [part for preview in previews for part in preview.parts if part.partial]
    if partial and not allow_partial:
        if len(previews) == 1 and not previews[0].split:
            raise PartialNotConfirmed(f"文件缺少本县 {len(partial[0].roster_missing)} 个村的数据;"
                                      "确属部分报送时请勾选“确认部分报送”后提交")
        raise PartialNotConfirmed(f"以下县只报送了名录中的部分村:{partial_text(previews)};"
                                  "确属部分报送时请勾选“确认部分报送”后提交")
    try:
        return _commit(engine, previews, hook or (lambda stage: None))
    except SQLAlchemyError as exc:
        fault = store_fault(exc, engine.url)
        if fault is None:
            raise
        for preview in previews:
            record_refusal(engine, preview, "failed", fault.commit_text())
        raise fault from None


def _commit(engine: Engine, previews: list[Preview], hook) -> list[int]:
    now = months.now()
    # (part, the file's sha256, the file's bytes on its first part only — shared by sha256, see original_file)
    versions = [(part, sha256, preview.data if n == 0 else None, len(preview.parts))
                for preview, sha256 in ((p, p.sha256) for p in previews) for n, part in enumerate(preview.parts)]
    scopes = sorted({(part.kind, part.period, part.scope) for part, *_ in versions})
    with engine.begin() as conn:
        _lock_all(conn, scopes)
        hook("locked")
        for kind, period in sorted({(kind, period) for kind, period, _ in scopes}):
            conn.execute(update(U).where(U.kind == kind, U.period == period, U.active,
                                         U.scope.in_([s for k, p, s in scopes if (k, p) == (kind, period)]))
                         .values(active=False, superseded_at=now))
        hook("superseded")
        ids = conn.execute(insert(U).returning(U.id, sort_by_parameter_order=True),
                           [_version_row(*version, now) for version in versions]).scalars().all()
        hook("upload")
        _activate_all(conn, [(upload_id, part.kind, part.period, part.scope)
                             for upload_id, (part, *_) in zip(ids, versions)], now, "commit")
        for upload_id, (part, *_) in zip(ids, versions):
            audit.record(conn, part.user, "roster" if part.kind == "roster" else "upload", _target(part),
                         f"文件 {part.file_name},{part.rows} 行,版本号 {upload_id}", at=now)
        for upload_id, (part, *_) in zip(ids, versions):
            if part.kind == "roster":
                _apply_roster(conn, part.result.records)
                _bulk_insert(conn, models.RosterVillage.__table__, [
                    {"village_code": r["code"], "change": r["change"], "change_month": r["change_month"],
                     "merged_into": r["merged_into"]} for r in part.result.records], {"upload_id": upload_id}, hook)
            elif part.kind in FACT_TABLE:
                _bulk_insert(conn, FACT_TABLE[part.kind].__table__, part.result.records,
                             {"upload_id": upload_id, "period": part.period}, hook)
            else:  # a kind without a table of its own: each row as JSON (records were made JSON-plain)
                _bulk_insert(conn, models.ReportRow.__table__,
                             [{"data": json.dumps(r, ensure_ascii=False)} for r in part.result.records],
                             {"upload_id": upload_id, "period": part.period}, hook)
            hook("part")
        rollups.fill(conn, [upload_id for upload_id, (part, *_) in zip(ids, versions) if part.kind in FACT_TABLE])
    return ids


def _lock_all(conn, scopes: list[tuple[str, str, str]]) -> None:
    """:func:`_lock` every kind/period/scope, in one order for every writer (no deadlock between batches);
    on SQLite the first takes the one write lock there is."""
    for kind, period, scope in scopes if conn.dialect.name == "postgresql" else scopes[:1]:
        _lock(conn, kind, period, scope)


def _version_row(part: Preview, sha256: str, content: bytes | None, of: int, now) -> dict:
    """The ``uploads`` row of one accepted version (one county or unit)."""
    records, diff = part.result.records, part.diff
    message = (f"新增 {diff['added']},修改 {diff['changed']},未变 {diff['unchanged']},缺少 {diff['missing']}"
               + (f";部分报送 {len(records)}/{part.roster_total} 村" if part.partial else "")
               + (f";汇总文件(共 {of} 个县),本县为其中之一" if of > 1 else ""))
    return {"kind": part.kind, "period": part.period, "scope": part.scope, "file_name": part.file_name,
            "sha256": sha256, "content": content, "uploaded_by": part.user, "uploaded_at": now,
            "rows": len(records), "expected_rows": part.roster_total, "errors": 0, "warnings": len(part.warnings),
            "outcome": "accepted", "message": message, "issues": _issues_json(part), "active": True,
            "is_demo": False, "superseded_at": None}


def _bulk_insert(conn, table, records: list[dict], extra: dict, hook, chunk: int = 5000) -> None:
    """Plain DBAPI executemany (several times faster than Core for 15k rows); values are already typed."""
    if not records:
        return
    cols = [c for c in records[0] if c in table.c] + list(extra)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    fixed = tuple(extra.values())
    keys = cols[:len(cols) - len(extra)]
    values = itemgetter(*keys) if len(keys) > 1 else (lambda record, get=itemgetter(keys[0]): (get(record),))
    for start in range(0, len(records), chunk):
        conn.exec_driver_sql(sql, [values(r) + fixed for r in records[start:start + chunk]])
        hook("rows")


def _apply_roster(conn, records: list[dict]) -> None:
    """Upsert the county, townships and villages of a roster (villages are never deleted: facts refer to them)."""
    existing = set(conn.scalars(select(R.code)))
    city = conn.scalar(select(R.code).where(R.level == "city").limit(1))
    for rec in records:
        code = rec["code"]
        county, town = code[:6] + "000000", code[:9] + "000"
        if county not in existing:
            conn.execute(insert(R).values(code=county, name=rec["county"], level="county", parent_code=city,
                                          county_code=county, is_demo=False))
            existing.add(county)
        if town not in existing:
            conn.execute(insert(R).values(code=town, name=rec["township"], level="township", parent_code=county,
                                          county_code=county, is_demo=False))
            existing.add(town)
        values = {"name": rec["name"], "parent_code": town, "county_code": county, "lon": rec["lon"],
                  "lat": rec["lat"]}
        if code in existing:
            conn.execute(update(R).where(R.code == code).values(**values))
        else:
            conn.execute(insert(R).values(code=code, level="village", is_demo=False, **values))
            existing.add(code)


def restore(engine: Engine, upload_id: int, *, who: Account) -> int:
    """Make an earlier accepted version active again (rows are kept, so nothing is re-read), as ``who``:
    a county's or unit's staff only their own county's or unit's versions (else :class:`ScopeError`).

    A store fault leaves everything as it was and raises :class:`StoreError`."""
    try:
        return _restore(engine, upload_id, who)
    except SQLAlchemyError as exc:
        fault = store_fault(exc, engine.url)
        if fault is None:
            raise
        raise fault from None


def _restore(engine: Engine, upload_id: int, who: Account) -> int:
    user = clean_field(who.signature, reader.limits()["max_user_chars"])
    with engine.begin() as conn:
        row = conn.execute(select(U).where(U.id == upload_id)).mappings().one_or_none()
        if row is None:
            raise ValueError(f"版本号 {upload_id} 不存在")
        if row["kind"] == BOUNDARY_KIND:  # a boundary layer: 管理员 only, drawn again from its own rows
            from dashboard import boundaries

            return boundaries.restore_in(conn, row, who, user)
        if write_scope(who, row["kind"], row["scope"]) != row["scope"]:
            raise ScopeError(f"{who.role_label}只能恢复本县或本单位的版本。")
        if row["outcome"] != "accepted":
            raise ValueError("只能恢复已接收的版本")
        if row["kind"] == "roster":
            raise ValueError("村级名录请重新上传该版本文件以恢复")
        _lock(conn, row["kind"], row["period"], row["scope"])
        now = months.now()
        conn.execute(update(U).where(U.kind == row["kind"], U.period == row["period"], U.scope == row["scope"],
                                     U.active).values(active=False, superseded_at=now))
        conn.execute(update(U).where(U.id == upload_id).values(
            active=True, superseded_at=None, message=f"{row['message']}(于 {now:%Y-%m-%d %H:%M} 由{user}恢复)"))
        _activate(conn, upload_id, row["kind"], row["period"], row["scope"], now, "restore")
        audit.record(conn, user, "restore", f"{KIND_LABELS.get(row['kind'], row['kind'])} {row['period']} {row['scope']}",
                     f"恢复版本号 {upload_id}(文件 {row['file_name']})", at=now)
    return upload_id


def _activate(conn, upload_id: int, kind: str, period: str, scope: str, at, action: str) -> None:
    """Record that ``upload_id`` became the version in effect at ``at`` (views of past months read these)."""
    _activate_all(conn, [(upload_id, kind, period, scope)], at, action)


def _activate_all(conn, versions: list[tuple[int, str, str, str]], at, action: str) -> None:
    """:func:`_activate` for each (upload id, kind, period, scope): the activation in effect until now ends at
    ``at``; a report with none before gets its first."""
    A = models.Activation
    rows = []
    for upload_id, kind, period, scope in versions:
        ended = conn.execute(update(A).where(A.kind == kind, A.period == period, A.scope == scope,
                                             A.ended_at.is_(None)).values(ended_at=at)).rowcount
        rows.append({"upload_id": upload_id, "kind": kind, "period": period, "scope": scope, "activated_at": at,
                     "action": action, "first": not ended})
    conn.execute(insert(A), rows)


def history(engine: Engine, kind: str | None = None, period: str | None = None, scope: str | None = None,
            limit: int = 200, *, who: Account) -> list[dict]:
    """Upload attempts, newest first, without file bytes: of every scope for 领导 and 管理员, of their own
    county or unit only for its staff (asking for another gives nothing)."""
    mine = read_scope(who)
    if mine is not None:
        if scope not in (None, mine):
            return []
        scope = mine
    cols = [c for c in U.__table__.columns if c.key not in ("content", "issues")]
    query = select(*cols).order_by(U.id.desc()).limit(limit)
    for column, value in ((U.kind, kind), (U.period, period), (U.scope, scope)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def original_file(engine: Engine, upload_id: int, *, who: Account) -> tuple[str, bytes] | None:
    """(file name, original bytes) of an upload, or None when no bytes were kept (refused or demo).
    A county's or unit's staff get only their own county's or unit's files (else :class:`ScopeError`).

    The parts of a consolidated file share the bytes kept with the first of them (same sha256)."""
    with engine.connect() as conn:
        row = conn.execute(select(U.file_name, U.content, U.sha256, U.outcome, U.scope)
                           .where(U.id == upload_id)).one_or_none()
        if row is not None and not readable(who, row[4]):
            raise ScopeError(f"{who.role_label if who else '未登录用户'}只能下载本县或本单位上报的原始文件。")
        if row is not None and read_scope(who) is not None and conn.scalar(  # a city-wide file holds other counties
                select(func.count(func.distinct(U.scope))).where(U.sha256 == row[2], U.outcome == "accepted")) > 1:
            raise ScopeError("该版本来自市级汇总上报的文件,文件中含其他县(市、区)的数据;请向市级管理员索取原件。")
        if row is None or (row[1] is None and row[3] != "accepted"):
            return None
        content = row[1] if row[1] is not None else conn.scalar(
            select(U.content).where(U.sha256 == row[2], U.outcome == "accepted", U.content.is_not(None)).limit(1))
    return (row[0], content) if content is not None else None


def check_store(engine: Engine) -> list[str]:
    """Integrity problems of the store (empty when sound): DB checks, one active version, row counts."""
    problems = []
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            if conn.exec_driver_sql("PRAGMA integrity_check").scalar() != "ok":
                problems.append("SQLite integrity_check 未通过")
            if conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                problems.append("存在外键不一致")
        dup = conn.execute(select(U.kind, U.period, U.scope).where(U.active)
                           .group_by(U.kind, U.period, U.scope).having(func.count() > 1)).all()
        problems += [f"{k}/{p}/{s} 有多个生效版本" for k, p, s in dup]
        for kind in KINDS.keys() - {"roster"}:
            table = FACT_TABLE.get(kind, models.ReportRow)
            counts = conn.execute(
                select(U.id, U.rows, func.count(table.id)).outerjoin(table, table.upload_id == U.id)
                .where(and_(U.kind == kind, U.outcome == "accepted")).group_by(U.id, U.rows)).all()
            problems += [f"上报 {uid} 应有 {rows} 行,实有 {n} 行" for uid, rows, n in counts if rows != n]
    return problems
