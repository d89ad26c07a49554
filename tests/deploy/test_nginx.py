"""The nginx site config, run for real (when nginx is installed) in front of a loopback echo
backend: WeChat's query string passes unchanged over HTTPS and never into the access log, the
webhook is refused over plain HTTP, the client IP is forwarded, bodies over 64k are refused,
the API is rate-limited per client, other plain HTTP goes to HTTPS, and TLS terminates."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "zhicheng.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx-light)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Echo(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        out = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body_len": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _reply

    def log_message(self, *args: object) -> None:
        pass


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bot.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    crt, pem = tmp / "cert.pem", tmp / "key.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("nginx")
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    http_port, https_port = _free_port(), _free_port()
    crt, key = _self_signed(tmp)
    site = SITE.read_text(encoding="utf-8")
    for old, new in [("server 127.0.0.1:8000;", f"server 127.0.0.1:{backend.server_port};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("/etc/letsencrypt/live/bot.example.gov.cn/fullchain.pem", str(crt)),
                     ("/etc/letsencrypt/live/bot.example.gov.cn/privkey.pem", str(key)),
                     ("/var/log/nginx/zhicheng-access.log", str(tmp / "access.log"))]:
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)  # no IPv6 needed here
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    (tmp / "nginx.conf").write_text(f"""
daemon off; master_process off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  include {tmp}/site.conf;
}}
""", encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", http_port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
    try:
        yield {"http": http_port, "https": https_port, "log": tmp / "access.log"}  # type: ignore[dict-item]
    finally:
        proc.terminate()
        proc.wait(10)
        backend.shutdown()


QUERY = "signature=abc&timestamp=1700000000&nonce=42&openid=o_X-y&encrypt_type=aes&msg_signature=d%2Be"


def test_webhook_query_string_and_client_ip_reach_the_app(nginx: dict[str, Any]) -> None:
    url = f"https://127.0.0.1:{nginx['https']}/wechat?{QUERY}"
    r = httpx.post(url, content=b"<xml/>", verify=False, headers={"Host": "bot.example.gov.cn"})
    assert r.status_code == 200
    seen = r.json()
    assert seen["path"] == f"/wechat?{QUERY}"
    assert seen["headers"]["x-real-ip"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["body_len"] == 6


def test_webhook_is_refused_over_plain_http(nginx: dict[str, Any]) -> None:
    r = httpx.post(f"http://127.0.0.1:{nginx['http']}/wechat?{QUERY}", content=b"<xml/>",
                   headers={"Host": "bot.example.gov.cn"})
    assert r.status_code == 403 and "https" in r.text  # answered by nginx, never forwarded


def test_webhook_query_strings_stay_out_of_the_access_log(nginx: dict[str, Any]) -> None:
    httpx.post(f"https://127.0.0.1:{nginx['https']}/wechat?{QUERY}", content=b"<xml/>", verify=False)
    httpx.post(f"http://127.0.0.1:{nginx['http']}/wechat?{QUERY}", content=b"<xml/>")
    httpx.get(f"https://127.0.0.1:{nginx['https']}/healthz?probe=1", verify=False)
    log = ""
    for _ in range(50):  # nginx writes a request's log line after its response has gone out
        log = Path(nginx["log"]).read_text(encoding="utf-8")
        if "GET /healthz" in log:
            break
        time.sleep(0.1)
    assert "POST /wechat HTTP" in log
    assert "signature" not in log and "msg_signature" not in log and "nonce" not in log
    assert "GET /healthz?probe=1" in log  # other pages are logged as usual


def test_api_is_rate_limited_per_client(nginx: dict[str, Any]) -> None:
    with httpx.Client(verify=False) as client:
        codes = [client.post(f"https://127.0.0.1:{nginx['https']}/api/ask", json={"question": "q"}).status_code
                 for _ in range(40)]
    assert codes[:20] == [200] * 20  # the burst passes
    assert 429 in codes


def test_oversized_webhook_body_is_refused(nginx: dict[str, Any]) -> None:
    r = httpx.post(f"https://127.0.0.1:{nginx['https']}/wechat?{QUERY}", content=b"x" * 70_000, verify=False)
    assert r.status_code == 413
    ok = httpx.post(f"https://127.0.0.1:{nginx['https']}/wechat?{QUERY}", content=b"x" * 60_000, verify=False)
    assert ok.status_code == 200 and ok.json()["body_len"] == 60_000


def test_plain_http_pages_redirect_to_https_and_tls_is_served(nginx: dict[str, Any]) -> None:
    r = httpx.get(f"http://127.0.0.1:{nginx['http']}/admin", headers={"Host": "bot.example.gov.cn"})
    assert r.status_code == 301
    assert r.headers["location"] == "https://bot.example.gov.cn/admin"
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", nginx["https"])) as raw, \
            ctx.wrap_socket(raw, server_hostname="bot.example.gov.cn") as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_metrics_are_not_public(nginx: dict[str, Any]) -> None:
    # nginx sees the test client as 127.0.0.1, which is allowed; anything else is denied.
    site = SITE.read_text(encoding="utf-8")
    block = site[site.index("location = /metrics"):]
    block = block[:block.index("}")]
    assert "deny all;" in block and "allow 127.0.0.1;" in block
    r = httpx.get(f"https://127.0.0.1:{nginx['https']}/metrics", verify=False)
    assert r.status_code == 200
