"""The gate in front of the whole app: nothing of it — pages, the websocket, ``/_stcore/upload_file``, media —
answers a browser that is not signed in. Streamlit's own login does not guard its upload endpoint, so the
gate is ASGI middleware of the ``st.App`` that ``streamlit_app.py`` builds, and runs before Streamlit sees the
request. It also serves the sign-in page (plain HTML, no script, nothing fetched from elsewhere), which sets
the HttpOnly signed session cookie, and ``/signout``.

Who a request is comes from :func:`dashboard.sessions.identify`, the same function the router calls on every
rerun; idle timeouts, sign-outs and disabled accounts therefore end the session for both at once.
"""

from __future__ import annotations

import html
import logging
import threading
from urllib.parse import quote, urlparse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard import accounts, sessions
from dashboard.settings import session_rules

log = logging.getLogger("qinglian")
OPEN_PATHS = {"/signin", "/signout", "/_stcore/health"}
OIDC_PATHS = ("/auth/login", "/auth/logout", "/oauth2callback")  # Streamlit's own single sign-on routes
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}


_ENGINE: list = []
_ENGINE_LOCK = threading.Lock()


def engine():
    """The store, migrated (the gate may answer before any page has run) — made once, however many requests
    arrive together at a server just started."""
    if not _ENGINE:
        with _ENGINE_LOCK:
            if not _ENGINE:
                from dashboard.catalog import ready
                from dashboard.store import make_engine

                eng = make_engine()
                ready(eng)
                _ENGINE.append(eng)
    return _ENGINE[0]


def _cookies(scope) -> dict[str, str]:
    """The request's cookies, parsed as Starlette (and so st.context.cookies) parses them: one odd cookie of
    another intranet application does not hide ours."""
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            found |= cookie_parser(value.decode("latin-1"))
    return found


def _headers(scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _client(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def who(scope) -> sessions.Check:
    """Who the request of ``scope`` is (blocking: call it in a thread)."""
    return sessions.identify(engine(), _cookies(scope), _headers(scope), _client(scope))


class Gate:
    """ASGI middleware: lets a request through only for a signed-in account (or to the sign-in routes)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self._open(scope["path"]):
            return await self.app(scope, receive, send)
        try:
            check = await run_in_threadpool(who, scope)
        except Exception:  # the store cannot be read: nobody is let in, the page says why
            log.exception("登录检查失败")
            check = sessions.Check(None, "store")
        if check.account is not None:
            scope.setdefault("state", {})["account"] = check.account
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":  # closing before accepting answers the handshake with 403
            return await send({"type": "websocket.close", "code": 1008})
        path = scope["path"]
        if path == "/" or not path.startswith(("/_stcore/", "/media/", "/component/", "/static/", "/app/")):
            target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
            response: Response = RedirectResponse(f"/signin?next={quote(target)}&why={check.reason}", 303,
                                                  headers={"Cache-Control": "no-store"})
        else:
            response = PlainTextResponse("未登录或登录已超时,请重新登录。", 401, headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)

    @staticmethod
    def _open(path: str) -> bool:
        return path in OPEN_PATHS or (session_rules()["oidc"] and path in OIDC_PATHS)


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//elsewhere`` or ``https://…``)."""
    value = value or "/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _page(message: str = "", next_path: str = "/", username: str = "", status: int = 200,
          notice: str = "") -> HTMLResponse:
    rules = session_rules()
    sso = ('<p class="sso"><a href="/auth/login">使用统一身份认证登录</a></p>' if rules["oidc"] else "")
    first = ("" if _has_accounts() else
             '<p class="notice">尚未建立任何账号。请在服务器上运行<br><code>qinglian user add 账号 --role 管理员 --name 姓名</code>'
             "<br>建立第一个管理员。</p>")
    body = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 清廉乡村建设监测看板</title>
<style>
body{{margin:0;background:#f6f4f1;font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222}}
main{{max-width:380px;margin:12vh auto;background:#fff;border-top:4px solid #b22222;padding:32px 36px;box-shadow:0 2px 8px rgba(0,0,0,.08)}}
h1{{font-size:22px;margin:0 0 4px}} p.sub{{color:#666;margin:0 0 24px;font-size:14px}}
label{{display:block;font-size:14px;margin:14px 0 6px}}
input{{width:100%;box-sizing:border-box;font-size:16px;padding:9px 10px;border:1px solid #bbb;border-radius:4px}}
button{{margin-top:22px;width:100%;font-size:16px;padding:10px;background:#b22222;color:#fff;border:0;border-radius:4px;cursor:pointer}}
.error{{background:#fdecea;color:#8a1c1c;padding:10px 12px;border-radius:4px;font-size:14px}}
.notice{{background:#eef4fb;color:#1d3f66;padding:10px 12px;border-radius:4px;font-size:14px}}
.sso{{text-align:center;margin-top:18px}} code{{font-size:13px}}
footer{{color:#888;font-size:12px;margin-top:22px}}
</style></head>
<body><main>
<h1>清廉乡村建设监测看板</h1><p class="sub">请使用本人账号登录</p>
{f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ''}
{f'<p class="notice">{html.escape(notice)}</p>' if notice else ''}{first}
<form method="post" action="/signin" autocomplete="on">
<input type="hidden" name="next" value="{html.escape(next_path)}">
<label for="username">账号</label><input id="username" name="username" value="{html.escape(username)}" required autofocus maxlength="40" autocomplete="username">
<label for="password">密码</label><input id="password" name="password" type="password" required maxlength="200" autocomplete="current-password">
<button type="submit">登录</button>
</form>{sso}
<footer>连续输错密码 {accounts.account_rules()['max_failures']} 次将锁定账号;忘记密码请联系管理员重设。</footer>
</main></body></html>"""
    return HTMLResponse(body, status, headers=HEADERS)


def _has_accounts() -> bool:
    try:
        return accounts.count(engine()) > 0
    except Exception:
        return True  # the store cannot be read: do not claim there are no accounts


def _secure(request: Request) -> bool:
    """Whether the browser reached us over TLS (directly, or through the nginx in front)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def _signed_in(response: Response, cookie: str, request: Request) -> Response:
    response.set_cookie(sessions.COOKIE, cookie, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin(request: Request) -> bool:
    """A sign-in form posted from this site. The Origin header names our host; when it is "null" — which a
    browser sends for a form of a page served with ``Referrer-Policy: no-referrer`` (as behind the shipped
    nginx), but also from a sandboxed frame or after cross-site redirects — the browser's Sec-Fetch-Site must
    say same-origin. Without an Origin (older clients, scripts) Sec-Fetch-Site must not name another site."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if origin == "null":
        return site == "same-origin"
    if origin is not None:
        return urlparse(origin).netloc == request.headers.get("host", "")
    return (site or "none") in ("same-origin", "none")


async def signin(request: Request) -> Response:
    next_path = _next(request.query_params.get("next"))
    if request.method == "GET":
        reason = request.query_params.get("why", "")
        # after the provider's callback the gate sends the browser here with why=none; never after a sign-out or
        # an idle timeout, so that those are not undone by the provider's cookie
        fresh = reason == "none" and not request.query_params.get("bye")
        bridged = await run_in_threadpool(_single_sign_on, request) if fresh else None
        if bridged:
            return _signed_in(RedirectResponse(next_path, 303), bridged, request)
        notice = sessions.Check(None, reason).message() if reason in ("idle", "ended") else (
            "已退出登录。" if request.query_params.get("bye") else "")
        return _page(next_path=next_path, notice=notice)
    if not _same_origin(request):
        return PlainTextResponse("登录请求来自其他网站,已拒绝。", 403, headers=HEADERS)
    form = await request.form()
    username, password = str(form.get("username", ""))[:40], str(form.get("password", ""))[:200]
    next_path = _next(str(form.get("next", "/")))
    try:
        account = await run_in_threadpool(accounts.authenticate, engine(), username, password)
    except accounts.SignInError as exc:
        return _page(str(exc), next_path, username, 401)
    cookie = await run_in_threadpool(sessions.open_session, engine(), account)
    return _signed_in(RedirectResponse(next_path, 303), cookie, request)


def _single_sign_on(request: Request) -> str | None:
    """With ``[session] oidc`` on: after Streamlit's own OIDC callback, the account whose email the identity
    provider reported gets a session of ours (cookie value), else None."""
    if not session_rules()["oidc"]:
        return None
    from streamlit.web.server.starlette.starlette_websocket import (  # the decoder Streamlit itself uses
        USER_COOKIE_NAME,
        _get_signed_cookie_with_chunks,
    )

    try:
        import json

        raw = _get_signed_cookie_with_chunks(dict(request.cookies), USER_COOKIE_NAME)
        email = json.loads(raw.decode("utf-8")).get("email") if raw else None
    except Exception:  # no, or an unreadable, single sign-on cookie
        return None
    account = accounts.by_email(engine(), email)
    return sessions.open_session(engine(), account, via="oidc") if account else None


async def signout(request: Request) -> Response:
    await run_in_threadpool(sessions.sign_out, engine(), request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/signin?bye=1", 303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(sessions.COOKIE, path="/")
    for name in request.cookies:  # single sign-on's own cookie (and its chunks): signing out means both
        if name.startswith("_streamlit_user"):
            response.delete_cookie(name, path="/")
    return response


def routes() -> list[Route]:
    return [Route("/signin", signin, methods=["GET", "POST"]), Route("/signout", signout, methods=["GET", "POST"])]
