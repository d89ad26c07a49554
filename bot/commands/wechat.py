"""`menu` (print / --apply the custom menu) and `fake-wechat` (the fake API server)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("menu", help="print the custom menu JSON; --apply creates it through the WeChat API")
    p.add_argument("--apply", action="store_true", help="create the menu via WECHAT_API_BASE")
    p.set_defaults(func=menu)

    f = sub.add_parser("fake-wechat", help="run the fake WeChat API server on 127.0.0.1 (development)")
    f.add_argument("--port", type=int, default=9000)
    f.add_argument("--expires-in", type=int, default=7200, help="lifetime of issued access tokens (s)")
    f.set_defaults(func=fake_wechat)


def menu(args: argparse.Namespace) -> int:
    from bot.wechat.menu import MENU

    print(json.dumps(MENU, ensure_ascii=False, indent=2))
    if not args.apply:
        return 0
    from bot.services import get_services
    from bot.wechat.errors import WeChatAPIError

    services = get_services()
    try:
        services.wechat.create_menu(MENU)
    except WeChatAPIError as e:
        print(f"菜单创建失败：errcode={e.errcode} {e.errmsg}")
        return 1
    print(f"菜单已创建（{services.settings.wechat_api_base}）")
    return 0


def fake_wechat(args: argparse.Namespace) -> int:
    from bot.wechat.fake_server import serve_forever

    print(f"fake WeChat API on http://127.0.0.1:{args.port}  (set WECHAT_API_BASE to this; Ctrl-C stops)")
    serve_forever(args.port, expires_in=args.expires_in)
    return 0
