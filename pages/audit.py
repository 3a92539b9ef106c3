"""审计日志 (管理员): who did what and when — sign-ins and failed sign-ins, uploads accepted or refused, restores,
roster and plan changes, freezes, exports, account changes, backups — filtered by account, action and dates."""

from datetime import datetime, time, timedelta

import streamlit as st

from dashboard import audit, months, signed_in, ui

st.title("审计日志")

with ui.guarded("审计日志"):
    who = signed_in.account()
    today = months.today()
    a, b, c, d = st.columns(4)
    account = a.text_input("账号(留空为全部)", key="au_account").strip() or None
    action = b.selectbox("操作", list(audit.ACTIONS), format_func=audit.ACTIONS.get, index=None,
                         placeholder="全部操作", key="au_action")
    since = c.date_input("起始日期", today - timedelta(days=30), key="au_since")
    until = d.date_input("截止日期", today, key="au_until")
    zone = months.zone()
    log = audit.entries(ui.engine(), account, action, datetime.combine(since, time(), zone),
                        datetime.combine(until + timedelta(days=1), time(), zone), limit=2000, who=who)
    failed = int((log["结果"] == "未成功").sum()) if not log.empty else 0
    st.caption(f"共 {len(log)} 条(最多显示 2000 条),其中未成功 {failed} 条。命令行:`qinglian audit --account 账号 --action 操作`。")
    if log.empty:
        st.info("所选范围内没有审计记录。")
    else:
        ui.table(log, "审计日志", None, "audit", stamp=f"{since:%Y-%m-%d} 至 {until:%Y-%m-%d};生成于 "
                                                       f"{months.now():%Y-%m-%d %H:%M}")
