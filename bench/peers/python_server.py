"""Peer for the callback load test: wechatpy's WeChatCrypto in a threaded Python HTTP server,
one process per core sharing the port through SO_REUSEPORT.

It verifies and decrypts each event like our endpoint does, and stores nothing.
Usage: python3 python_server.py PORT TOKEN ENCODING_AES_KEY CORP_ID
"""
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

try:
    from wechatpy.work.crypto import WeChatCrypto  # wechatpy >= 2
except ImportError:  # wechatpy 1.x names the WeCom module "enterprise"
    from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

PORT, TOKEN, KEY, CORP = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
CRYPTO = WeChatCrypto(TOKEN, KEY, CORP)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = 200
        try:
            CRYPTO.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        except InvalidSignatureException:
            status = 401
        except Exception:  # undecryptable, wrong corp id, malformed XML
            status = 400
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ReusePortServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def serve():
    ReusePortServer(("127.0.0.1", int(PORT)), Handler).serve_forever()


if __name__ == "__main__":
    children = []
    for _ in range(os.cpu_count() - 1):
        pid = os.fork()
        if pid == 0:
            serve()
            os._exit(0)
        children.append(pid)
    try:
        serve()
    finally:
        for pid in children:
            os.kill(pid, 15)
