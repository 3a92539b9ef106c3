"""The ``qinglian`` command: database migrations, plan parsing, demo data and starting the app.

Exit codes: 0 success, 1 refused (e.g. store not empty), 2 usage error, unreadable input, or a store that
cannot be reached or written (one Chinese line naming the host, never the password).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from dashboard.settings import ROOT
from loaders.schema import KIND_LABELS


def _print_json(payload) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _fail(message: str, code: int) -> int:
    sys.stderr.write(message + "\n")
    return code


def cmd_db_upgrade(args) -> int:
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    revision = ready(make_engine(args.db))
    print(f"数据库已升级到版本 {revision}(已载入实施方案)")
    return 0


def _read_plan(path_text: str):
    """(source name, text, parsed plan) of a plan file, or an error message (str) to fail with."""
    from dashboard.plan import PlanParseError, parse_plan
    from dashboard.plan_files import plan_text

    path = Path(path_text)
    try:
        raw = path.read_bytes()
    except OSError:
        return f"无法读取方案文件「{path}」:文件不存在或没有读取权限。"
    try:
        text = plan_text(path.name, raw)
        return path.name, text, parse_plan(text)
    except PlanParseError as exc:
        return str(exc)


def _print_plan(plan) -> None:
    """The parse for review: sections, measures with their units and flags, targets with their sentences."""
    from dashboard import tracking
    from dashboard.plan import requirement

    for section in plan.sections:
        print(f"【{section.number}】{section.title}")
        for m in (m for m in plan.measures if m.section == section.number):
            _print_measure(m)
    for m in (m for m in plan.measures if m.section not in {s.number for s in plan.sections}):
        _print_measure(m)
    print(f"目标({len(plan.targets)} 个节点):")
    for t in plan.targets:
        note = "(期限为配置默认值)" if t.deadline_configured else ""
        print(f"  - {t.text}:{requirement(t.comparator, t.value, t.unit)},期限 {t.deadline}{note},"
              f"跟踪指标:{tracking.label_of(t.metric)}\n    原文:{t.source}")
        for flag in t.flags:
            print(f"    需核对:{flag}")
    flagged = sum(1 for m in plan.measures if m.flags) + sum(1 for t in plan.targets if t.flags)
    print(f"共 {len(plan.measures)} 项措施、{len(plan.targets)} 个目标节点" + (f";{flagged} 项需要人工核对" if flagged else ""))


def _print_measure(m) -> None:
    lead = m.lead_unit or "(缺失)"
    extra = ("  各县(市、区)负责" if m.counties_responsible else "") + (f"  期限:{m.deadline}" if m.deadline else "")
    print(f"{m.number:>3}. {m.title}  牵头:{lead}  配合:{'、'.join(m.co_units) or '无'}{extra}")
    for flag in m.flags:
        print(f"       ⚠ {flag}")


def cmd_plan_parse(args) -> int:
    from dashboard.plan import plan_to_dict

    read = _read_plan(args.file)
    if isinstance(read, str):
        return _fail(read, 2)
    _, _, plan = read
    if args.format == "json":
        _print_json(plan_to_dict(plan))
        return 0
    for m in plan.measures:
        lead = m.lead_unit or "(缺失)"
        print(f"{m.number:>2}. {m.title}  牵头:{lead}  配合:{'、'.join(m.co_units) or '无'}")
    return 0


def cmd_plan_load(args) -> int:
    """Parse a plan file, show it for review, and (without --dry-run) save it as the new active version."""
    from dashboard.catalog import add_plan_version, ready
    from dashboard.plan import plan_to_dict
    from dashboard.store import make_engine

    read = _read_plan(args.file)
    if isinstance(read, str):
        return _fail(read, 2)
    name, text, plan = read
    saved = None
    if not args.dry_run:
        engine = make_engine(args.db)
        ready(engine)
        saved = add_plan_version(engine, _cli(), text, name, plan)
    if args.format == "json":
        _print_json({**plan_to_dict(plan), "saved_version": saved})
        return 0
    _print_plan(plan)
    print("(试解析,未保存)" if saved is None else f"已保存为方案版本 {saved},并设为当前方案(此前的版本仍保留)。")
    return 0


def cmd_plan_list(args) -> int:
    from dashboard.catalog import plan_versions, ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    for v in plan_versions(engine):
        mark = "当前" if v["active"] else "    "
        print(f"{mark} 版本 {v['id']:>3}  {v['loaded_at']:%Y-%m-%d %H:%M}  {v['title']}({v['source_name']},"
              f"{v['measures']} 项措施,载入:{v['loaded_by'] or '—'})")
    return 0


def cmd_plan_activate(args) -> int:
    from dashboard.catalog import PlanVersionError, activate_plan, ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    try:
        activate_plan(engine, args.version, _cli())
    except PlanVersionError as exc:
        return _fail(str(exc), 1)
    print(f"已将方案版本 {args.version} 设为当前方案。")
    return 0


def cmd_demo(args) -> int:
    from dashboard.catalog import ready
    from dashboard.demo import remove_demo, seed_demo
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    if args.remove:
        try:
            removed = remove_demo(engine, _cli())
        except ValueError as exc:
            return _fail(str(exc), 1)
        print(f"已删除演示数据:上报记录 {removed['uploads']} 份,区划 {removed['regions']} 个,"
              f"村级月报 {removed['village_reports']} 行,示范点台账 {removed['demo_sites']} 行,"
              f"措施月报 {removed['measure_reports']} 行;本市自己上报的数据未受影响。")
        return 0
    try:
        counts = seed_demo(engine, scale=args.scale, seed=args.seed, replace=args.replace)
    except ValueError as exc:
        return _fail(str(exc), 1)
    print(
        f"已写入演示数据({args.scale}):区划 {counts['regions']} 个,上报记录 {counts['uploads']} 份,"
        f"村级月报 {counts['village_reports']} 行,示范点台账 {counts['demo_sites']} 行,"
        f"措施月报 {counts['measure_reports']} 行。"
    )
    return 0


def cmd_import(args) -> int:
    """Import one or several monthly files through the same path as the upload page, as one batch: every
    file is checked, then all of them are written in one transaction, or none."""
    from dashboard import intake
    from dashboard.scope import ScopeError
    from dashboard.store import StoreError
    from dashboard.templates import store_and_scope
    from loaders.cells import parse_period
    from loaders.errors import CellError

    if args.kind == "boundaries":
        return cmd_import_boundaries(args)
    if not args.period:
        return _fail("用法错误:缺少必填参数: --period(报送期,YYYY-MM)。", 2)
    try:
        period = parse_period(args.period)
    except CellError as exc:
        return _fail(f"报送期「{args.period}」有误:{exc}。", 2)
    files = []
    for name in args.files:
        path = Path(name)
        try:
            files.append((path, path.read_bytes()))
        except OSError:
            return _fail(f"无法读取文件「{path}」:文件不存在或没有读取权限。", 2)
    engine, scope = store_and_scope(args)
    if engine is None:
        return _fail(scope, 2)
    who = _acting(engine, args)
    if who is None:
        return _fail(f"账号「{args.as_account}」不存在或已停用。", 2)
    try:
        previews = [intake.prepare(engine, data, path.name, args.kind, period, scope, who=who) for path, data in files]
    except ScopeError as exc:
        return _fail(str(exc), 1)
    clash = intake.conflicts(previews)
    ok = all(p.ok for p in previews) and not clash
    if ok and any(p.partial for p in previews) and not args.dry_run and not args.allow_partial:
        _report(previews, clash, args, dry_run=True)
        if len(previews) == 1 and not previews[0].split:
            return _fail(f"文件缺少本县名录中 {len(previews[0].roster_missing)} 个村(共 {previews[0].roster_total} 个村),"
                         "未写入。如确属部分报送,请加 --allow-partial 重新导入。", 1)
        return _fail(f"以下县只报送了名录中的部分村:{intake.partial_text(previews)};未写入任何文件。"
                     "如确属部分报送,请加 --allow-partial 重新导入。", 1)
    if ok and not args.dry_run:
        try:
            intake.commit_batch(engine, previews, allow_partial=args.allow_partial, who=who)
        except StoreError as fault:
            return _fail(fault.commit_text() + f"({fault.where})", 2)
    elif not args.dry_run:
        for preview in previews:
            if not preview.ok:
                intake.record_refusal(engine, preview)
    _report(previews, clash, args, args.dry_run)
    return 0 if ok else 1


def cmd_import_boundaries(args) -> int:
    """``qinglian import FILE --kind boundaries``: the upload page's 行政区划边界, one file (exit 0 written or
    checked, 1 refused, 2 usage or store)."""
    from dashboard import boundaries
    from dashboard.catalog import ready
    from dashboard.scope import ScopeError
    from dashboard.store import StoreError, make_engine

    if len(args.files) != 1:
        return _fail("边界一次导入一个文件(县界、乡镇界请分别导入)。", 2)
    path = Path(args.files[0])
    try:
        data = path.read_bytes()
    except OSError:
        return _fail(f"无法读取文件「{path}」:文件不存在或没有读取权限。", 2)
    engine = make_engine(args.db)
    ready(engine)
    who = _acting(engine, args)
    if who is None:
        return _fail(f"账号「{args.as_account}」不存在或已停用。", 2)
    try:
        preview = boundaries.prepare(engine, data, path.name, args.crs, args.level, who=who)
        upload_id = boundaries.commit(engine, preview, who=who) if preview.ok and not args.dry_run else None
    except ScopeError as exc:
        return _fail(str(exc), 1)
    except StoreError as fault:
        return _fail(fault.commit_text() + f"({fault.where})", 2)
    if not preview.ok and not args.dry_run:
        boundaries.record_refusal(engine, preview)
    if args.format == "json":
        _print_json({**preview.to_json(), "version": upload_id})
    else:
        verdict = ("未通过校验,未写入" if not preview.ok else "校验通过(试运行,未写入)" if args.dry_run
                   else f"校验通过,已写入(版本号 {upload_id})")
        print(f"{verdict}:{preview.summary() if not preview.file_error else preview.file_name}。")
        for line in [preview.file_error] if preview.file_error else preview.errors[:50]:
            print("错误:" + line)
        for line in preview.warnings[:50]:
            print("提示:" + line)
        if len(preview.warnings) > 50:
            print(f"……共 {len(preview.warnings)} 条提示,完整清单见上报页面。")
    return 0 if preview.ok else 1


def _report(previews, clash: list[str], args, dry_run: bool) -> None:
    """One file as before (its preview, or its JSON); several: each under its name, then the conflicts."""
    try:
        _write_report(previews, clash, args, dry_run)
    except BrokenPipeError:  # the reader stopped (`| head`): what was done stands, the exit code still says it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write_report(previews, clash: list[str], args, dry_run: bool) -> None:
    if args.format == "json":
        if len(previews) == 1 and not clash:
            _print_json(previews[0].to_json())
        else:
            _print_json({"ok": all(p.ok for p in previews) and not clash, "conflicts": clash,
                         "files": [{"file": p.file_name, **p.to_json()} for p in previews]})
        return
    written = all(p.ok for p in previews) and not clash
    for preview in previews:
        if len(previews) > 1:
            print(f"文件「{preview.file_name}」")
        _print_preview(preview, dry_run, written)
    for line in clash:
        print("错误:" + line)
    if clash or (len(previews) > 1 and not written):
        print("本次上报未写入任何文件。")


def _print_preview(preview, dry_run: bool, written: bool = True) -> None:
    d = preview.diff
    if not preview.ok:
        verdict = "未通过校验,未写入"
    else:
        verdict = "校验通过" + ("(试运行,未写入)" if dry_run else ",已写入" if written else ",但未写入")
    print(f"{verdict}:读取 {preview.rows} 行,错误 {len(preview.errors)} 处,提示 {len(preview.warnings)} 处;"
          f"新增 {d['added']},修改 {d['changed']},未变 {d['unchanged']},缺少 {d['missing']}。")
    if preview.split:
        for part in preview.split:
            p = part.diff
            print(f"  {part.label}:{part.rows} 行;新增 {p['added']},修改 {p['changed']},未变 {p['unchanged']},"
                  f"缺少 {p['missing']}" + (f";部分报送 {part.rows}/{part.roster_total} 村" if part.partial else ""))
    for part in preview.parts:
        if part.partial:
            whose = part.label if preview.split else "本县"
            names = "、".join(f"{town}{name}" for town, name, _ in part.roster_missing[:20])
            print(f"部分报送:{whose}名录共 {part.roster_total} 个村,缺少 {len(part.roster_missing)} 个村:{names}"
                  + ("……" if len(part.roster_missing) > 20 else ""))
    for issue in preview.errors[:50]:
        print("错误:" + issue.text())
    for issue in preview.warnings[:50]:
        print("提示:" + issue.text())


def _month(text: str) -> str | None:
    from loaders.cells import parse_period
    from loaders.errors import CellError

    try:
        return parse_period(text)
    except CellError:
        return None


def _month_store(args):
    """(engine, YYYY-MM) for --month, or (None, Chinese usage message)."""
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    period = _month(args.month)
    if period is None:
        return None, f"月份「{args.month}」有误,应为 YYYY-MM,例如 2025-11。"
    engine = make_engine(args.db)
    ready(engine)
    return engine, period


def cmd_freeze(args) -> int:
    """Freeze a month for the 通报 (exit 1 when it cannot be: no data, already frozen)."""
    from dashboard import freeze

    engine, period = _month_store(args)
    if engine is None:
        return _fail(period, 2)
    try:
        done = freeze.freeze(engine, period, _cli())
    except freeze.FreezeError as exc:
        return _fail(str(exc), 1)
    print(f"已冻结{months_label(period)}:冻结人 {done.frozen_by},时间 {done.frozen_at:%Y-%m-%d %H:%M},"
          f"依据上报 {len(done.upload_ids)} 份。此后导出的会议材料均使用冻结时的数字。")
    return 0


def cmd_unfreeze(args) -> int:
    from dashboard import freeze

    engine, period = _month_store(args)
    if engine is None:
        return _fail(period, 2)
    try:
        freeze.unfreeze(engine, period, _cli(), args.reason)
    except freeze.FreezeError as exc:
        return _fail(str(exc), 1)
    print(f"已解除{months_label(period)}的冻结,原因已记录:{args.reason.strip()}")
    return 0


def cmd_export(args) -> int:
    """The month's meeting files, by the same code path as the page buttons (exit 0 written, 1 refused, 2 usage)."""
    from dashboard import meeting, queries
    from dashboard.pictures import FontMissing

    period = _month(args.month)
    if period is None:
        return _fail(f"月份「{args.month}」有误,应为 YYYY-MM,例如 2025-11。", 2)
    engine, scope = _store_and_county(args)
    if engine is None:
        return _fail(scope, 2)
    if period not in queries.periods(engine):
        return _fail(f"{months_label(period)}没有任何上报数据,无法导出。", 1)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"无法创建输出目录「{out}」:{exc.strerror or exc}。", 2)
    try:
        files = meeting.export(engine, period, args.format, scope, who=_cli())
    except FontMissing as exc:
        return _fail(str(exc), 1)
    for name, data in files:
        try:
            (out / name).write_bytes(data)
        except OSError as exc:
            return _fail(f"无法写入文件「{out / name}」:{exc.strerror or exc}。", 2)
        print(out / name)
    return 0


def cmd_backup(args) -> int:
    from dashboard.backup import BackupError, backup
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    try:
        done = backup(engine, Path(args.out))
    except BackupError as exc:
        return _fail(str(exc), exc.code)
    from dashboard import audit

    audit.log(engine, _cli_user(), "backup", str(done.path), f"{done.bytes / 1e6:.1f} MB,上报记录 {done.uploads} 份")
    print(f"已备份到 {done.path}({done.bytes / 1e6:.1f} MB,上报记录 {done.uploads} 份)。恢复:qinglian restore {done.path}")
    return 0


def cmd_restore(args) -> int:
    """Replace the store with a backup; the store as it was is saved first (exit 1 without --yes on data)."""
    from dashboard.backup import BackupError, restore
    from dashboard.catalog import ready
    from dashboard.store import is_empty, make_engine

    engine = make_engine(args.db)
    ready(engine)
    if not is_empty(engine) and not args.yes:
        return _fail("恢复会用备份替换当前数据库中的全部数据(当前数据会先另存到 var/backups/)。"
                     "请先停止看板服务,确认无误后加 --yes 重新运行。", 1)
    try:
        saved, done = restore(engine, Path(args.file))
    except BackupError as exc:
        return _fail(str(exc), exc.code)
    from dashboard import audit

    audit.log(engine, _cli_user(), "restore_store", str(done.path), f"恢复前的数据另存为 {saved.path}")
    print(f"已从 {done.path} 恢复(上报记录 {done.uploads} 份)。恢复前的数据已另存为 {saved.path}。")
    return 0


def _cli():
    """The server's command line as an account (管理员), see :func:`dashboard.scope.command_line`."""
    from dashboard.scope import command_line

    return command_line()


def _cli_user() -> str:
    """How the audit log names whoever runs the command line: 服务器命令行(cli-系统用户名)."""
    return _cli().signature


def _acting(engine, args):
    """Who an import acts as: the local account named by ``--as`` (its role and scope apply), else the
    server's command line (管理员). None when ``--as`` names no active account."""
    from dashboard import accounts

    if not args.as_account:
        return _cli()
    return accounts.find(engine, args.as_account)


def _password(args, prompt: str = "密码") -> str | None:
    """The new password: from standard input with --password-stdin (scripts), else typed twice, unseen."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"{prompt}:")
    if getpass.getpass(f"再次输入{prompt}:") != first:
        return None
    return first


def cmd_user(args) -> int:
    """Accounts: add, passwd, disable, enable, list (exit 0 done, 1 refused, 2 usage)."""

    from dashboard import accounts
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    by = _cli()
    try:
        if args.user_command == "list":
            table = accounts.listing(engine)
            if table.empty:
                print("还没有任何账号。先建管理员:qinglian user add 账号 --role 管理员 --name 姓名")
            for row in table.itertuples(index=False):
                print("  ".join(str(v) for v in row))
            return 0
        if args.user_command in ("disable", "enable"):
            accounts.set_active(engine, args.username, args.user_command == "enable", by=by)
            print(f"已{'启用' if args.user_command == 'enable' else '停用'}账号 {args.username}。")
            return 0
        password = _password(args, "新密码" if args.user_command == "passwd" else "密码")
        if password is None:
            return _fail("两次输入的密码不一致,未修改。", 1)
        if args.user_command == "passwd":
            accounts.set_password(engine, args.username, password, by=by)
            print(f"已重设账号 {args.username} 的密码(如已锁定,同时解除)。")
            return 0
        made = accounts.add(engine, args.username, password, args.role, args.name, args.county, args.unit, by=by,
                            email=args.email)
        print(f"已新建账号 {made.username}:{made.display_name},{made.role_label}。")
        return 0
    except accounts.AccountError as exc:
        return _fail(str(exc), 1)


def cmd_audit(args) -> int:
    from dashboard import audit
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    action = next((k for k, v in audit.ACTIONS.items() if args.action in (k, v)), None) if args.action else None
    if args.action and action is None:
        return _fail(f"操作「{args.action}」无效,可选:{'、'.join(audit.ACTIONS.values())}。", 2)
    for row in audit.entries(engine, args.account, action, limit=args.limit, who=_cli()).itertuples(index=False):
        print("  ".join(str(v) for v in row))
    return 0


def _store_and_county(args):
    """(engine, county code or None) for ``--county 县名``, or (None, Chinese message) for an unknown county."""
    from dashboard import queries
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    if not args.county:
        return engine, None
    codes = {name: code for code, name in queries.counties(engine).items()}
    if args.county not in codes:
        known = "、".join(codes) or "(尚无区划)"
        return None, f"未找到县(市、区)「{args.county}」。可选:{known}。"
    return engine, codes[args.county]


def months_label(period: str) -> str:
    from dashboard.months import label

    return label(period)


def cmd_serve(args) -> int:
    """Migrate, seed the demo city if the store is empty, then replace this process with Streamlit."""
    from dashboard.accounts import first_admin
    from dashboard.catalog import ready
    from dashboard.demo import seed_demo
    from dashboard.settings import ensure_cookie_secret, var_dir
    from dashboard.store import is_empty, make_engine

    engine = make_engine(args.db)
    ready(engine)
    if is_empty(engine) and not args.no_demo:
        print("数据库为空,正在写入演示数据……")
        seed_demo(engine)
    ensure_cookie_secret()  # signs the session cookies; every process of this store must share it
    password = first_admin(engine)
    if password:
        note = var_dir() / "初始管理员密码.txt"
        note.write_text(f"账号:admin\n密码:{password}\n登录后请在「用户管理」页为各位用户建立账号,并重设本密码。\n",
                        encoding="utf-8")
        note.chmod(0o600)
        print(f"尚无任何账号,已建立管理员:账号 admin,密码 {password}(已写入 {note},仅本机管理员可读)。"
              "登录后请在「用户管理」页建立其他账号。", flush=True)
    engine.dispose()
    from dashboard.pictures import FontMissing, font_check

    try:  # the dashboard runs without it, but every exported picture and the deck's map need a CJK font
        font_check()
    except FontMissing as exc:
        print(f"警告:{exc}导出图片和会议幻灯片将被拒绝,看板其余功能不受影响。", flush=True)
    where = args.address or "127.0.0.1"
    shown = "localhost" if where in ("127.0.0.1", "localhost") else where
    print(f"看板已启动:请在浏览器打开 http://{shown}:{args.port}(按 Ctrl+C 停止)"
          + ("" if args.address else ";只在本机监听,对内网开放请加 --address 0.0.0.0"), flush=True)
    argv = [sys.executable, "-m", "dashboard.server", "--server.port", str(args.port)]
    if args.address:
        argv += ["--server.address", args.address]
    os.chdir(ROOT)
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return


ARGPARSE_WORDS = {
    "the following arguments are required": "缺少必填参数",
    "invalid choice": "无效的选项",
    "choose from": "可选",
    "unrecognized arguments": "无法识别的参数",
    "expected one argument": "需要一个参数值",
    "invalid int value": "应为整数",
}


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with usage errors in Chinese (exit code 2)."""

    def error(self, message: str):
        for english, chinese in ARGPARSE_WORDS.items():
            message = message.replace(english, chinese)
        self.exit(2, f"用法错误:{message}\n请运行 `{self.prog} --help` 查看用法。\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="qinglian", description="清廉乡村建设监测看板 命令行工具")
    parser.add_argument("--db", help="数据库地址(默认读取 QINGLIAN_DB_URL、secrets 或内置 SQLite)")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="数据库维护").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="应用全部数据库迁移").set_defaults(func=cmd_db_upgrade)

    plan = sub.add_parser("plan", help="实施方案").add_subparsers(dest="plan_command", required=True)
    parse = plan.add_parser("parse", help="解析方案文本,输出章节、措施、责任单位和目标")
    parse.add_argument("file")
    parse.add_argument("--format", choices=("json", "text"), default="text")
    parse.set_defaults(func=cmd_plan_parse)
    load = plan.add_parser("load", help="载入方案文件(.txt 或 .docx):显示解析结果,并保存为新的当前版本")
    load.add_argument("file")
    load.add_argument("--dry-run", action="store_true", help="只解析并显示,不保存")
    load.add_argument("--format", choices=("json", "text"), default="text")
    load.set_defaults(func=cmd_plan_load)
    plan.add_parser("list", help="列出全部方案版本").set_defaults(func=cmd_plan_list)
    activate = plan.add_parser("activate", help="重新启用一个已保存的方案版本")
    activate.add_argument("version", type=int)
    activate.set_defaults(func=cmd_plan_activate)

    demo = sub.add_parser("demo", help="写入演示数据")
    demo.add_argument("--scale", choices=("city", "province"), default="city")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--replace", action="store_true", help="清空现有区划和上报数据后写入")
    demo.add_argument("--remove", action="store_true", help="删除全部演示数据(本市自己上报的数据不受影响)")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="导入月报表格(与上报页面同一流程;多个文件一并写入或都不写入)")
    imp.add_argument("files", nargs="+", metavar="FILE",
                     help="一个或多个文件;村级指标月报等按县填报的报表,不指定 --county 时一个文件可含多个县")
    imp.add_argument("--kind", required=True, choices=(*KIND_LABELS, "boundaries"),
                     help="报表类型;boundaries:县(市、区)或乡镇(街道)边界(GeoJSON 或 shapefile 压缩包,仅管理员)")
    imp.add_argument("--period", help="报送期,YYYY-MM(导入边界时不用)")
    imp.add_argument("--crs", choices=("WGS-84", "GCJ-02", "BD-09"), default="WGS-84",
                     help="边界文件的坐标系(默认 WGS-84;GCJ-02、BD-09 导入时转换为 WGS-84)")
    imp.add_argument("--level", choices=("county", "township"),
                     help="边界层级:county 县(市、区)界,township 乡镇(街道)界;不填则按文件识别")
    imp.add_argument("--county", help="所属县(市、区)名称;不填则按文件中的县识别,多县文件逐县各存一个版本")
    imp.add_argument("--unit", help="填报单位(措施推进月报)")
    imp.add_argument("--as", dest="as_account", metavar="ACCOUNT",
                     help="以某个本地账号的身份导入(该账号的角色和范围生效,填报人记为该账号);不填则记为服务器命令行(管理员)")
    imp.add_argument("--dry-run", action="store_true", help="只校验和预览,不写入")
    imp.add_argument("--allow-partial", action="store_true", help="村级指标月报只含某县部分村时仍然写入(部分报送)")
    imp.add_argument("--format", choices=("json", "text"), default="text")
    imp.set_defaults(func=cmd_import)

    from dashboard.templates import add_template_parser

    add_template_parser(sub)

    frz = sub.add_parser("freeze", help="冻结某月数据(通报口径):此后该月导出的材料不再随新上报变化")
    frz.add_argument("--month", required=True, help="月份,YYYY-MM")
    frz.set_defaults(func=cmd_freeze)
    unf = sub.add_parser("unfreeze", help="解除某月的冻结(须说明原因,冻结记录保留)")
    unf.add_argument("--month", required=True, help="月份,YYYY-MM")
    unf.add_argument("--reason", required=True, help="解除原因")
    unf.set_defaults(func=cmd_unfreeze)

    from dashboard.meeting import FORMATS

    exp = sub.add_parser("export", help="导出某月会议材料:幻灯片、通报稿、图片或数据表(与页面按钮同一流程)")
    exp.add_argument("--month", required=True, help="月份,YYYY-MM;已冻结的月份使用冻结时的数字")
    exp.add_argument("--format", required=True, choices=tuple(FORMATS),
                     help="pptx 幻灯片、docx 通报稿、png 全部图表和地图、xlsx 全部数据表")
    exp.add_argument("--county", help="县(市、区)名称;不填则为全市")
    exp.add_argument("--out", required=True, help="输出目录(不存在则创建)")
    exp.set_defaults(func=cmd_export)

    bak = sub.add_parser("backup", help="备份整个数据库到文件(SQLite 在线备份;PostgreSQL 用 pg_dump)")
    bak.add_argument("out", metavar="OUT", help="备份文件(不覆盖已有文件)")
    bak.set_defaults(func=cmd_backup)
    res = sub.add_parser("restore", help="用备份文件替换整个数据库(先把当前数据另存到 var/backups/)")
    res.add_argument("file", metavar="IN", help="qinglian backup 生成的备份文件")
    res.add_argument("--yes", action="store_true", help="确认替换当前数据库中的数据")
    res.set_defaults(func=cmd_restore)

    from dashboard.accounts import ROLES

    user = sub.add_parser("user", help="账号管理:新建、重设密码、停用、启用、列出").add_subparsers(
        dest="user_command", required=True)
    add = user.add_parser("add", help="新建账号(密码两次输入,不回显;脚本中用 --password-stdin)")
    add.add_argument("username", help="账号:2–40 个英文字母、数字或 _ . -")
    add.add_argument("--role", required=True, help=f"角色:{'、'.join(ROLES.values())}")
    add.add_argument("--name", help="姓名(默认同账号)")
    add.add_argument("--county", help="县级填报员所属县(市、区)")
    add.add_argument("--unit", help="单位填报员所在单位(实施方案中的责任单位)")
    add.add_argument("--email", help="邮箱(可选):启用统一身份认证(OIDC)时,按此邮箱对应本账号")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    add.set_defaults(func=cmd_user)
    pw = user.add_parser("passwd", help="重设密码(同时解除锁定)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    pw.set_defaults(func=cmd_user)
    for verb, text in (("disable", "停用账号(不能再登录,记录保留)"), ("enable", "重新启用账号")):
        one = user.add_parser(verb, help=text)
        one.add_argument("username")
        one.set_defaults(func=cmd_user)
    user.add_parser("list", help="列出全部账号(不显示密码)").set_defaults(func=cmd_user)

    aud = sub.add_parser("audit", help="查看审计记录(登录、上报、恢复、冻结、导出、账号变更等),最新在前")
    aud.add_argument("--account", help="只看某个账号")
    aud.add_argument("--action", help="只看某种操作,如 登录失败、上报(接收)、冻结")
    aud.add_argument("--limit", type=int, default=100)
    aud.set_defaults(func=cmd_audit)

    serve = sub.add_parser("serve", help="升级数据库、必要时写入演示数据并启动看板")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", help="监听地址(默认 127.0.0.1,只允许本机访问;对内网开放用 0.0.0.0 或本机内网地址)")
    serve.add_argument("--no-demo", action="store_true", help="数据库为空时也不写入演示数据")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The CLI speaks in its own printed lines: the app's log (tracebacks of a crashed parse, store details)
    # is for the server's log, not for the terminal.
    app_log = logging.getLogger("qinglian")
    app_log.addHandler(logging.NullHandler())
    app_log.propagate = False
    from sqlalchemy.exc import SQLAlchemyError

    from dashboard.settings import db_url
    from dashboard.store import StoreError, store_fault

    try:
        return args.func(args)
    except StoreError as fault:
        return _fail(fault.cli_text(), 2)
    except SQLAlchemyError as exc:
        fault = store_fault(exc, args.db or db_url())
        if fault is None:
            raise
        return _fail(fault.cli_text(), 2)


if __name__ == "__main__":
    sys.exit(main())
