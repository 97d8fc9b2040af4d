"""Facilitator links on the rooms page: one link per room, to copy or to scan (QR), and to revoke."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from facilitation.access import gate
from facilitation.files import qr
from facilitation.meetings import schedule

from . import auth
from .common import act_on_click, config, esc, session, show_table, viewer


def base_url() -> str:
    """The app's address as people reach it: [facilitation] public_url, else this browser's URL."""
    configured = config().public_url
    if configured:
        return configured
    url = st.context.url or "http://localhost:8501"
    parts = urlsplit(url)
    base_path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{base_path}" if base_path else "")


def link_url(token: str) -> str:
    return f"{base_url()}/roster?token={token}"


def room_link(room_id: int, room_name: str, *, key_prefix: str = "link") -> None:
    """One room's link: issue (or re-issue), copy, QR, revoke."""
    v = viewer()
    secret = auth.link_secret()
    with session() as s:
        link = gate.current_link(s, room_id, secret)
    if link is None:
        st.caption("まだ有効なリンクがありません。")
        st.button("リンクを発行", key=f"{key_prefix}_issue_{room_id}", **act_on_click(
            lambda s: gate.issue_link(s, v, room_id, secret), f"{esc(room_name)} のリンクを発行しました。"))
        return
    url = link_url(link.token)
    st.code(url, language=None)
    st.caption(f"有効期限: {link.expires_text}　右上のボタンでコピーできます。")
    cols = st.columns([1, 1, 2])
    cols[0].button("無効にする", key=f"{key_prefix}_revoke_{room_id}",
                   help="このルームのリンクをすべて使えなくします（新しいリンクを発行できます）", **act_on_click(
                       lambda s: gate.revoke_links(s, v, room_id=room_id), f"{esc(room_name)} のリンクを無効にしました。"))

    def renew(s):
        gate.revoke_links(s, v, room_id=room_id)
        return gate.issue_link(s, v, room_id, secret)
    cols[1].button("新しいリンクに替える", key=f"{key_prefix}_renew_{room_id}", **act_on_click(
        renew, f"{esc(room_name)} のリンクを新しいものに替えました（前のリンクは使えません）。"))
    if phone_reachable(url):
        st.image(qr.png(url, scale=5), caption=f"{esc(room_name)} のQRコード（スマートフォンで読み取れます）", width=180)
    else:
        local_only_notice("QRコードは表示していません。")


LOCAL_ONLY = ("このリンクは、このパソコンの中でしか開けないアドレスになっています。スマートフォンや他のパソコンでは"
              "開けません。ファシリテーターのスマートフォンで開けるようにするには、アプリをサーバーで動かし、"
              "設定ファイルに公開するアドレスを次のように書いてください（手順は README の「サーバーで動かす」にあります）。")
PUBLIC_URL_EXAMPLE = '[facilitation]\npublic_url = "https://facilitation.example.org"'


def local_only_notice(lead: str = "") -> None:
    """Say that links point at this computer, and what to set so that phones can open them."""
    st.warning(lead + LOCAL_ONLY)
    st.code(PUBLIC_URL_EXAMPLE, language="toml")


def phone_reachable(url: str) -> bool:
    """False for an address only this computer can open (localhost, 127.x, ::1, 0.0.0.0)."""
    import ipaddress

    host = (urlsplit(url).hostname or "").lower()
    if host in ("", "localhost") or host.endswith(".localhost"):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return True
    return not (ip.is_loopback or ip.is_unspecified)


def render(meeting_id: int) -> None:
    """Links of a meeting's rooms: pick a room, copy or show its link; the list of links issued.

    No expanders inside: the rooms page shows this inside its own expander (they cannot nest).
    """
    v = viewer()
    if not v.is_secretariat:
        return
    st.caption("リンクを開いた方は、そのルームの名簿とメモだけを見られます（ログイン不要・期限付き）。"
               "メールやチャットで担当のファシリテーターだけに送ってください。")
    if not (auth.auth_configured() or auth.link_secret_configured()):
        st.info("いまはローカルモードのため、リンクはこのパソコンでしか開けません。"
                "スマートフォンで開けるようにするには、設定ファイルに link_secret を書いてください。")
    with session() as s:
        rooms = {r.id: r.name for r in schedule.list_rooms(s, meeting_id)}
        issued = gate.links_frame(s, v, meeting_id)
    if not rooms:
        st.info("この会にはまだルームがありません。")
        return
    room_id = st.selectbox("ルーム", list(rooms), format_func=rooms.get, key=f"link_room_{meeting_id}")
    with st.container(border=True):
        room_link(room_id, rooms[room_id])
    if not issued.empty:
        st.caption("発行済みのリンク（リンクそのものは表示しません）")
        show_table(issued.drop(columns=["id"]), labels=gate.LINK_LABELS, hide_index=True, width="stretch")
        sure = st.checkbox("この会のリンクをすべて無効にする", key=f"revoke_all_sure_{meeting_id}")
        st.button("すべて無効にする", disabled=not sure, key=f"revoke_all_{meeting_id}", **act_on_click(
            lambda s: gate.revoke_links(s, v, meeting_id=meeting_id), lambda n: f"{n} 件のリンクを無効にしました。"))
