"""The webhook wire format: signatures, replay window, AES (安全/兼容 modes), hardened XML.

Everything here is pure and synchronous; bot/gateway.py decides what to do with a message.
Order of checks on POST: body size → `signature` (403) → timestamp (403) → 安全模式 required
(403) → outer XML (400) → `msg_signature` (403) → AES decrypt + AppID (403) → inner XML and
field shapes (400). Nothing reaches a handler unless every check passed. (The gateway then
refuses a reused timestamp + nonce: that needs the shared store.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.settings import Settings
from bot.wechat.errors import (
    BodyTooLarge,
    InvalidAppId,
    InvalidSignature,
    MalformedMessage,
    PlaintextRefused,
    StaleTimestamp,
)
from handlers.base import Incoming

REPLAY_WINDOW_S = 300
_KINDS = {"text": "text", "voice": "voice", "image": "image", "event": "event"}
# Shapes of the fields that end up in keys, logs and database columns. WeChat's own values
# are far inside these (OpenIDs are 28 characters, MsgIds 64-bit numbers); anything else is
# not a message from WeChat.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MSG_ID = re.compile(r"[0-9]{1,32}")
MAX_FIELD_CHARS = {"MediaId": 256, "EventKey": 512, "Event": 64, "MsgType": 32}


def sign(token: str, *parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted([token, *parts])).encode("utf-8")).hexdigest()


def _same(a: str, b: str) -> bool:
    # wechatpy compares with `!=`; a constant-time comparison leaks nothing through timing.
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def parse_xml(data: bytes | str) -> dict[str, str]:
    """A flat <xml> document → {tag: text}. DTDs, entities and external references refused."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError) as e:
        raise MalformedMessage(f"bad XML: {type(e).__name__}") from None
    if root.tag != "xml":
        raise MalformedMessage("root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def cdata(text: str) -> str:
    # "]]>" inside the text would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, create_time: int | None = None) -> str:
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(create_time or time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def to_incoming(fields: Mapping[str, str]) -> Incoming:
    raw = fields.get("MsgType", "")
    kind = _KINDS.get(raw.lower(), "other")
    text = fields.get("Content", "") if kind == "text" else ""
    if kind == "voice":
        text = fields.get("Recognition", "")
    created = fields.get("CreateTime") or "0"
    if not _TIMESTAMP.fullmatch(created):
        raise MalformedMessage("CreateTime is not a number of seconds")
    create_time = int(created)
    user = fields.get("FromUserName", "")
    if not _OPENID.fullmatch(user):
        raise MalformedMessage("FromUserName missing or not an OpenID")
    if fields.get("MsgId") and not _MSG_ID.fullmatch(fields["MsgId"]):
        raise MalformedMessage("MsgId is not a number")
    for name, limit in MAX_FIELD_CHARS.items():
        if len(fields.get(name, "")) > limit:
            raise MalformedMessage(f"{name} longer than {limit} characters")
    return Incoming(user=user, kind=kind, text=text.strip(), event=fields.get("Event", ""),  # type: ignore[arg-type]
                    event_key=fields.get("EventKey", ""), media_id=fields.get("MediaId", ""),
                    msg_id=fields.get("MsgId", ""), create_time=create_time, raw_type=raw)


class WebhookCodec:
    """Verifies, decrypts and parses WeChat requests, and builds (encrypted) replies."""

    def __init__(self, settings: Settings) -> None:
        self.token = settings.wechat_token
        self.app_id = settings.wechat_app_id
        self.max_body = settings.max_body_bytes
        self.require_aes = settings.aes_required
        key = base64.b64decode(settings.wechat_aes_key + "=")
        if len(key) != 32:
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        self._key = key

    # --- checks -------------------------------------------------------------------------
    def check_signature(self, params: Mapping[str, str]) -> None:
        ts, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not _same(sign(self.token, ts, nonce), params.get("signature", "")):
            raise InvalidSignature("signature mismatch")

    @staticmethod
    def check_timestamp(params: Mapping[str, str], now: float | None = None) -> None:
        raw = params.get("timestamp", "")
        if not _TIMESTAMP.fullmatch(raw):  # also keeps a 400-digit number out of float arithmetic
            raise StaleTimestamp("timestamp missing or not a number of seconds")
        if abs((now or time.time()) - int(raw)) > REPLAY_WINDOW_S:
            raise StaleTimestamp("timestamp outside the replay window")

    def verify_get(self, params: Mapping[str, str]) -> str:
        """Server verification: the echostr, when the signature is right."""
        self.check_signature(params)
        self.check_timestamp(params)
        return params.get("echostr", "")

    def decode(self, params: Mapping[str, str], body: bytes) -> tuple[dict[str, str], bool]:
        """→ (message fields, whether the request was encrypted). Raises WebhookRejected."""
        if len(body) > self.max_body:
            raise BodyTooLarge(f"body over {self.max_body} bytes")
        self.check_signature(params)
        self.check_timestamp(params)
        encrypted = params.get("encrypt_type", "raw").lower() == "aes"
        if self.require_aes and not encrypted:
            # Plaintext mode signs only token + timestamp + nonce, not the body.
            raise PlaintextRefused("plaintext request refused: 安全模式 (encrypt_type=aes) is required")
        fields = parse_xml(body)
        if not encrypted:
            return fields, False
        encrypt = fields.get("Encrypt", "")
        if not encrypt:
            raise MalformedMessage("encrypted request without <Encrypt>")
        expected = sign(self.token, params.get("timestamp", ""), params.get("nonce", ""), encrypt)
        if not _same(expected, params.get("msg_signature", "")):
            raise InvalidSignature("msg_signature mismatch")
        try:
            plain = PrpCrypto(self._key).decrypt(encrypt, self.app_id)
        except InvalidAppIdException:
            raise InvalidAppId("AppID inside the message does not match") from None
        except Exception as e:  # bad base64 / padding / UTF-8: a forged or broken message
            raise MalformedMessage(f"cannot decrypt: {type(e).__name__}") from None
        inner = parse_xml(plain)
        return inner, True

    # --- replies ------------------------------------------------------------------------
    def encrypt(self, xml: str, nonce: str | None = None, timestamp: str | None = None) -> str:
        """Wrap a reply (or a request, for the simulator) the way WeChat's safe mode does."""
        ts = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(8)
        encrypt = PrpCrypto(self._key).encrypt(xml, self.app_id)
        encrypt = encrypt.decode() if isinstance(encrypt, bytes) else str(encrypt)
        sig = sign(self.token, ts, nonce, encrypt)
        return (f"<xml><Encrypt>{cdata(encrypt)}</Encrypt><MsgSignature>{cdata(sig)}</MsgSignature>"
                f"<TimeStamp>{ts}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>")

    def decrypt_reply(self, xml: str | bytes) -> dict[str, str]:
        """The other direction (used by the simulator and tests): check and open a reply."""
        outer = parse_xml(xml)
        expected = sign(self.token, outer.get("TimeStamp", ""), outer.get("Nonce", ""), outer.get("Encrypt", ""))
        if not _same(expected, outer.get("MsgSignature", "")):
            raise InvalidSignature("reply signature mismatch")
        return parse_xml(PrpCrypto(self._key).decrypt(outer["Encrypt"], self.app_id))

    def sign_request(self, body_xml: str, encrypt: bool = False, compat: bool = False,
                     timestamp: int | None = None) -> tuple[dict[str, Any], str]:
        """Build query params and body exactly as WeChat's servers send them (simulator, tests).
        `compat` (兼容模式) keeps the plaintext fields next to <Encrypt>."""
        ts = str(int(timestamp if timestamp is not None else time.time()))
        nonce = secrets.token_hex(5)
        params: dict[str, Any] = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if not encrypt:
            return params, body_xml
        wrapped = parse_xml(self.encrypt(body_xml, nonce=nonce, timestamp=ts))
        params.update(encrypt_type="aes", msg_signature=wrapped["MsgSignature"])
        if compat:
            inner = body_xml.strip()
            assert inner.endswith("</xml>")
            body = inner[: -len("</xml>")] + f"<Encrypt>{cdata(wrapped['Encrypt'])}</Encrypt></xml>"
        else:
            body = f"<xml><ToUserName>{cdata(parse_xml(body_xml).get('ToUserName', ''))}</ToUserName>" \
                   f"<Encrypt>{cdata(wrapped['Encrypt'])}</Encrypt></xml>"
        return params, body
