"""Who is looking: a facilitator link, a signed-in account (st.login), or local mode on this computer.

- `?token=...` (a facilitator link): the roster of one room of one meeting, re-checked on every run
  so an expired or revoked link stops working at once.
- `[auth]` in secrets: sign-in with st.login (OIDC, e.g. Google); the role comes from the table in
  設定, and `[facilitation] admin_emails` are always 事務局 (the first accounts).
- Neither: local mode. Only a browser on this computer (loopback, no proxy) gets in, as 事務局;
  anyone else is told how to configure sign-in.

The secretariat can switch on 「委員会の表示で確認」 in the sidebar: the app then runs as a committee
Viewer (role 委員会, read-only, the committee's page list and the same domain checks as a real
committee account) under a banner with the way back. Nobody else can switch it on.
"""

from __future__ import annotations

import streamlit as st

from facilitation.access import gate
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.storage.models import Room

from .common import config, esc, leave_legacy_pages_mode, secrets_section, session

LINK_PREFIX = "link:"
PREVIEW_KEY = "committee_preview"  # the secretariat previews as the committee (plain state: it
PREVIEW_TOGGLE = "committee_preview_toggle"  # outlives page switches; the toggle only mirrors it)
REAL_VIEWER_KEY = "real_viewer"  # who is really looking while the preview is on
PREVIEW_BANNER = "委員会の表示で確認中です（読み取り専用）"


def auth_configured() -> bool:
    """True when `[auth]` is in secrets (sign-in with st.login is then required)."""
    return bool(secrets_section("auth"))


def admin_emails() -> list[str]:
    return list(config().admin_emails)


def link_secret_configured() -> bool:
    return bool(config().link_secret)


def link_secret() -> bytes:
    """The key that signs facilitator links (secrets, environment, or the local file)."""
    return gate.link_secret(config().link_secret)


def is_local_request() -> bool:
    """The browser talks to this app directly over loopback (no proxy in between).

    Never when `[facilitation] behind_proxy = true` (or FACILITATION_BEHIND_PROXY=1): see gate.
    """
    try:
        headers = dict(st.context.headers)
    except Exception:
        headers = {}
    ip = st.context.ip_address
    # A real server reports a str (or None for 127.0.0.1 / ::1); AppTest's mocked runtime does not.
    return gate.is_loopback_request(ip if isinstance(ip, str) else None, headers,
                                    proxied=gate.behind_proxy(config().behind_proxy))


# --- Screens for people who cannot come in (yet) -----------------------------------------------

def _local_only_notice() -> None:
    st.title("このツールは、いまはこのパソコンからだけ使えます")
    if gate.behind_proxy(config().behind_proxy):
        st.write("このアプリはプロキシの後ろで動かす設定（`behind_proxy`）になっているため、ローカルモードは"
                 "使えません。名簿などの個人情報を守るため、ログインの設定が必要です。")
    else:
        st.write("ログインの設定がないため「ローカルモード」で動いています。名簿などの個人情報を守るため、"
                 "アプリを起動したパソコン以外からは開けません。")
    st.subheader("ほかのパソコンやスマートフォンから使うには")
    st.markdown(
        "1. Google Cloud コンソールで OAuth クライアント（ウェブアプリケーション）を作り、"
        "リダイレクト URI に `https://（このアプリのアドレス）/oauth2callback` を登録します。\n"
        "2. `.streamlit/secrets.toml` に `[auth]`（`redirect_uri`・`cookie_secret`・`client_id`・"
        "`client_secret`・`server_metadata_url`）を書きます。見本は `.streamlit/secrets.toml.example` にあります。\n"
        "3. 同じファイルの `[facilitation]` に、最初の事務局のメールアドレス（`admin_emails`）と、"
        "ファシリテーター用リンクの鍵（`link_secret`）を書きます。\n"
        "4. アプリを再起動し、事務局のアカウントでログインして、設定ページでほかの方の役割を登録します。"
    )
    st.info("この画面が出た方は、事務局にご連絡ください。")


def _login_screen() -> None:
    st.title("どうねっと 事務局ツール")
    st.write("ご利用にはログインが必要です。事務局に登録されたアカウントでログインしてください。")
    st.button("Google アカウントでログイン", type="primary", on_click=st.login)
    st.caption("ファシリテーターの方は、事務局から届いたリンクを開いてください（ログインは不要です）。")


def _no_role_screen(email: str) -> None:
    st.title("このアカウントには利用権限がありません")
    st.write(f"{esc(email) or '（メールアドレス不明）'} は、まだ事務局に登録されていません。"
             "事務局に、設定ページで役割を登録するよう依頼してください。")
    st.button("ログアウト", on_click=st.logout)


def _link_refused(message: str) -> None:
    st.title("ファシリテーター用リンク")
    st.error(message)


# --- The decision ----------------------------------------------------------------------------

def _check_token(token: str) -> gate.TokenCheck:
    with session() as s:
        return gate.check_link(s, token, link_secret())


def _from_link() -> Viewer | None:
    """The facilitator viewer from ?token= or from the link this session came in with."""
    token = st.query_params.get("token")
    if not token:
        current = st.session_state.get("viewer")
        if isinstance(current, Viewer) and current.email.startswith(LINK_PREFIX):
            token = st.session_state.get("link_token")
    if not token:
        return None
    if not (link_secret_configured() or auth_configured() or is_local_request()):
        _local_only_notice()
        st.stop()
    check = _check_token(token)
    if not check.ok:
        st.session_state.pop("viewer", None)
        st.session_state.pop("link_token", None)
        st.session_state.pop(REAL_VIEWER_KEY, None)
        _link_refused(check.message)
        st.stop()
    st.session_state["link_token"] = token
    return check.viewer()


def current_viewer() -> Viewer:
    """Decide who is looking (or show why not and stop the run); the committee preview applies."""
    real = _real_viewer()
    st.session_state[REAL_VIEWER_KEY] = real
    shown = previewed(real, bool(st.session_state.get(PREVIEW_KEY)))
    st.session_state["viewer"] = shown
    return shown


def previewed(real: Viewer, preview: bool) -> Viewer:
    """The viewer the pages get: a committee Viewer while the secretariat previews, else `real`."""
    if preview and real.is_secretariat:
        return Viewer(role=COMMITTEE, email=real.email)
    return real


def previewing() -> bool:
    """True while the secretariat looks at the app as the committee sees it."""
    real = st.session_state.get(REAL_VIEWER_KEY)
    shown = st.session_state.get("viewer")
    return (isinstance(real, Viewer) and real.is_secretariat and isinstance(shown, Viewer)
            and shown.role == COMMITTEE)


def _real_viewer() -> Viewer:
    viewer = _from_link()
    if viewer is not None:
        return viewer
    if auth_configured():
        if not st.user.is_logged_in:
            _login_screen()
            st.stop()
        email = str(st.user.get("email") or "")
        if st.user.get("email_verified") is False:
            _no_role_screen(email)
            st.stop()
        with session() as s:
            viewer = gate.viewer_for(s, email, admin_emails())
        if viewer is None:
            _no_role_screen(email)
            st.stop()
        return viewer
    if not is_local_request():
        _local_only_notice()
        st.stop()
    current = st.session_state.get(REAL_VIEWER_KEY) or st.session_state.get("viewer")
    if not isinstance(current, Viewer) or current.email.startswith(LINK_PREFIX):
        current = SECRETARIAT_LOCAL
    return current


def page_viewer() -> Viewer:
    """The viewer for a page: the one streamlit_app.py decided, never a default.

    Right after a restart Streamlit treats an app with a pages/ folder as a legacy multipage app
    until st.navigation has run once, and runs a page opened directly (/registrations) WITHOUT the
    entry point: nobody decided who is looking, and a link revoked since is not checked again.
    Then switch to st.navigation mode (what st.navigation itself does) and rerun, so the run goes
    through streamlit_app.py's gate. (AppTest resets that mode before every run, so it shows there.)
    """
    leave_legacy_pages_mode()  # this run may have skipped the entry point: go through it
    current = st.session_state.get("viewer")
    if isinstance(current, Viewer):
        return current
    return current_viewer()


def _set_preview(on: bool | None = None) -> None:
    """The toggle or the way back changed the preview (a callback: the next run sees it)."""
    st.session_state[PREVIEW_KEY] = bool(st.session_state.get(PREVIEW_TOGGLE)) if on is None else on


def sidebar(viewer: Viewer) -> None:
    """Who is signed in, the way out, and (for the secretariat) the committee preview."""
    real = st.session_state.get(REAL_VIEWER_KEY)
    real = real if isinstance(real, Viewer) else viewer
    with st.sidebar:
        if viewer.role == FACILITATOR:
            with session() as s:
                room = s.get(Room, viewer.room_id) if viewer.room_id else None
                name = room.name if room else ""
            st.caption(f"ファシリテーター用リンクで表示中（{esc(name)}）")
        elif auth_configured() and st.user.is_logged_in:
            st.caption(f"{esc(real.email)}（{real.role}）")
            st.button("ログアウト", on_click=st.logout)
        else:
            st.caption(f"ローカルモード（このパソコンだけ）・{real.role}")
        if real.is_secretariat:
            st.session_state[PREVIEW_TOGGLE] = bool(st.session_state.get(PREVIEW_KEY))
            st.toggle("委員会の表示で確認", key=PREVIEW_TOGGLE, on_change=_set_preview,
                      help="委員会の方に見えるページと内容（件数のみ・読み取り専用）で表示します。")
    if previewing():
        with st.container(border=True):
            st.warning(PREVIEW_BANNER, icon=":material/visibility:")
            st.button("事務局の表示に戻る", key="committee_preview_back", on_click=_set_preview, args=(False,),
                      icon=":material/undo:")
