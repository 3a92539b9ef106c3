"""用户管理 (管理员): every account with its role, scope and state; new accounts, password resets (which also
lift a lock), disabling and enabling. Every change goes through :mod:`dashboard.accounts`, which checks that the
signed-in account is a 管理员 and writes the audit log in the same transaction."""

import streamlit as st

from dashboard import accounts, months, signed_in, ui
from dashboard.scope import require

st.title("用户管理")


def _new_account(who, ver) -> None:
    st.subheader("新建账号")
    counties = ui.counties(ver)
    plan = ui.plan_view(ver)
    with st.form("new_account", clear_on_submit=False):
        a, b, c = st.columns(3)
        username = a.text_input("账号", placeholder="英文字母、数字或 _ . -,如 yixi_li", key="na_username")
        name = b.text_input("姓名", key="na_name")
        role = c.selectbox("角色", list(accounts.ROLES.values()), key="na_role")
        d, e, f = st.columns(3)
        county = d.selectbox("所属县(市、区)(县级填报员)", list(counties), format_func=counties.get, index=None,
                             placeholder="县级填报员须选择", key="na_county")
        unit = e.selectbox("所在单位(单位填报员)", plan.units if plan else [], index=None,
                           placeholder="单位填报员须选择", key="na_unit")
        email = f.text_input("邮箱(可选,统一身份认证用)", key="na_email")
        g, h = st.columns(2)
        password = g.text_input("初始密码", type="password", key="na_password",
                                help=f"至少 {accounts.account_rules()['min_password_chars']} 个字符;请当面或电话告知本人,首次登录后由管理员协助修改")
        again = h.text_input("再次输入初始密码", type="password", key="na_again")
        if st.form_submit_button("新建账号", type="primary", icon=":material/person_add:"):
            if password != again:
                st.error("两次输入的密码不一致,未新建。")
                return
            key = accounts.role_key(role)
            try:
                made = accounts.add(ui.engine(), username, password, role, name or None,
                                    county if key == "county" else None, unit if key == "unit" else None,
                                    by=who, email=email or None)
            except accounts.AccountError as exc:
                st.error(ui.plain(exc))
                return
            st.session_state["users_notice"] = f"已新建账号 {made.username}({made.display_name},{made.role_label})。"
            st.rerun()


def _change_account(who, names: list[str]) -> None:
    st.subheader("重设密码 / 停用 / 启用")
    target = st.selectbox("选择账号", names, index=None, placeholder="请选择账号", key="ch_user")
    if target is None:
        return
    with st.form("reset_password"):
        a, b = st.columns(2)
        password = a.text_input("新密码", type="password", key="ch_password")
        again = b.text_input("再次输入新密码", type="password", key="ch_again")
        if st.form_submit_button("重设密码(同时解除锁定)", icon=":material/key:"):
            if password != again:
                st.error("两次输入的密码不一致,未修改。")
            else:
                _apply(lambda: accounts.set_password(ui.engine(), target, password, by=who),
                       f"已重设账号 {target} 的密码;该账号已登录的浏览器须重新登录。")
    left, right, _ = st.columns([1, 1, 4])
    if left.button("停用账号", key="ch_disable", icon=":material/person_off:"):
        _apply(lambda: accounts.set_active(ui.engine(), target, False, by=who), f"已停用账号 {target},其已登录的浏览器随即退出。")
    if right.button("启用账号", key="ch_enable", icon=":material/person_check:"):
        _apply(lambda: accounts.set_active(ui.engine(), target, True, by=who), f"已启用账号 {target}。")


def _apply(change, done: str) -> None:
    try:
        change()
    except accounts.AccountError as exc:
        st.error(ui.plain(exc))
        return
    st.session_state["users_notice"] = done
    st.rerun()


with ui.guarded("用户管理"):
    who = signed_in.account()
    require(who, "accounts")
    ver = ui.version()
    if notice := st.session_state.pop("users_notice", None):
        st.success(ui.plain(notice), icon=":material/check_circle:")
    table = accounts.listing(ui.engine())
    st.caption(f"共 {len(table)} 个账号。角色:领导(查看全部)、管理员(全部功能)、县级填报员(上报本县、查看全市)、"
               "单位填报员(上报本单位措施)。连续输错密码会锁定账号,重设密码即可解锁。")
    ui.table(table, "账号列表", None, "accounts", stamp=f"生成于 {months.now():%Y-%m-%d %H:%M}")
    _new_account(who, ver)
    _change_account(who, table["账号"].tolist())
