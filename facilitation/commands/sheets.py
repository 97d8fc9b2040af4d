"""`sheets-emulator`: a local Google Sheets API with demo sheets, to try the sync screen offline."""

from __future__ import annotations

import time
from pathlib import Path

from facilitation.storage import db


def register(sub) -> None:
    p = sub.add_parser("sheets-emulator",
                       help="Google スプレッドシートの代わりになるローカルサーバー（デモ用シート入り）を起動します")
    p.add_argument("--port", type=int, default=8765, help="待ち受けるポート（既定 8765）")
    p.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）")
    p.set_defaults(func=cmd_emulator)


def cmd_emulator(args) -> int:
    from facilitation.demo.sheets import DEMO_URL, REGISTRATION_TAB, SURVEY_TAB, serve_demo

    url = db.resolve_url(args.db)
    exists = not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()
    emulator = serve_demo(args.port, args.host, db_url=url if exists else None)
    print(f"Google スプレッドシートの代わりのサーバーを起動しました: {emulator.url}")
    print("アプリはこの環境変数を付けて起動してください:")
    print(f"  FACILITATION_SHEETS_ENDPOINT={emulator.url} streamlit run streamlit_app.py")
    print(f"申込管理ページに貼り付けるシートのURL: {DEMO_URL}")
    print(f"タブ: 「{REGISTRATION_TAB}」（申込）、「{SURVEY_TAB}」（アンケート）")
    print("終了するには Ctrl+C を押してください。", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()
        print("終了しました。")
    return 0
