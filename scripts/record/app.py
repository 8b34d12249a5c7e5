#!/usr/bin/env python3
"""The site's dynamic part, behind nginx: app.py PORT (listens on 127.0.0.1:PORT, HTTP/1.1).

Browser pages:
  GET  /search?q=...        results, links to articles
  GET  /account/            a login form, or the account page once the `auth` cookie is set
  POST /login               sets `auth` and `csrftoken`, 303 to /account/
  POST /comments            303 back to the article
These rotate a load-balancer stickiness cookie `lb` on every response, as AWS's ALB does
with AWSALB, and `csrftoken` on every form page.

API (JSON):
  POST /api/auth/token      a new bearer token (an RS256-sized JWT) that expires in 60 s
  GET  /api/items           ?page=&limit=&sort=&status=&updated_since=
  POST /api/items           creates one (201)
  GET|PUT|PATCH|DELETE /api/items/<id>
  GET  /api/search          ?q=&page=
  GET  /api/comments        ?article=&page=
  POST /api/events          204
  GET  /api/me
  POST /api/upload          any body, 201
Tokens are not checked: the point is what clients send, not what they may do.
"""

import base64
import hashlib
import json
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(subject, scope):
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "2024-05-k1"}
    claims = {
        "iss": "https://auth.example.test/",
        "sub": subject,
        "aud": "streamline-api",
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        "scope": scope,
    }
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(claims, separators=(",", ":")).encode()
    )
    # An RS256 signature is 256 bytes; these are random, the length is what matters here.
    return signing + "." + b64url(os.urandom(256))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "streamline-test-app/1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def cookies(self):
        out = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = value
        return out

    def send(self, status, body=b"", kind="application/json", headers=(), rotate=False):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if rotate:
            self.send_header("Set-Cookie", f"lb={b64url(os.urandom(96))}; Path=/; Max-Age=604800")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def html(self, title, body, headers=()):
        page = f"<!doctype html><title>{title}</title><link rel=stylesheet href=/static/css/site.css><h1>{title}</h1>{body}"
        self.send(200, page, "text/html; charset=utf-8", headers, rotate=True)

    def route(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        data = self.body()
        method = self.command
        csrf = ("Set-Cookie", f"csrftoken={b64url(os.urandom(24))}; Path=/; SameSite=Lax")
        if path == "/search":
            q = query.get("q", "")
            n = int(hashlib.sha1(q.encode()).hexdigest(), 16)
            hits = "".join(f'<li><a href="/news/article-{(n >> i) % 40 + 1}.html">{q} {i}</a></li>' for i in range(6))
            return self.html(f"Search: {q}", f"<ul>{hits}</ul>")
        if path == "/account/":
            if "auth" in self.cookies():
                body = '<p>Signed in.</p><a href="/news/">News</a> <a href="/account/orders">Orders</a>'
            else:
                body = (
                    '<form action="/login" method="post"><input name="user" value="reader">'
                    '<input name="password" type="password" value="secret"><button>Sign in</button></form>'
                )
            return self.html("Account", body, [csrf])
        if path == "/account/orders":
            return self.html("Orders", '<a href="/account/">Account</a>', [csrf])
        if path == "/login" and method == "POST":
            auth = ("Set-Cookie", f"auth={b64url(os.urandom(32))}; Path=/; HttpOnly; SameSite=Lax")
            return self.send(303, "", "text/plain", [("Location", "/account/"), auth, csrf], rotate=True)
        if path == "/comments" and method == "POST":
            article = parse_qs(data.decode()).get("article", ["1"])[0]
            return self.send(303, "", "text/plain", [("Location", f"/news/article-{article}.html")], rotate=True)
        if path == "/api/auth/token" and method == "POST":
            return self.send(200, {"access_token": jwt("client-7", "items:read items:write search"),
                                   "token_type": "Bearer", "expires_in": 60})
        if path == "/api/items" and method == "GET":
            page, limit = int(query.get("page", 1)), int(query.get("limit", 20))
            items = [{"id": (page - 1) * limit + i, "name": f"item {i}"} for i in range(limit)]
            return self.send(200, {"page": page, "items": items}, headers=[("ETag", f'"p{page}-{limit}"')])
        if path == "/api/items" and method == "POST":
            return self.send(201, {"id": int(time.time() * 1000) % 100000, "created": True},
                             headers=[("Location", "/api/items/1")])
        if path.startswith("/api/items/"):
            item = path.rsplit("/", 1)[1]
            if method == "DELETE":
                return self.send(204)
            return self.send(200, {"id": item, "name": f"item {item}", "method": method})
        if path == "/api/search":
            return self.send(200, {"q": query.get("q", ""), "page": int(query.get("page", 1)), "hits": []})
        if path == "/api/comments":
            article = query.get("article", "1")
            return self.send(200, {"article": article, "comments": [{"author": "ann", "text": f"on {article}"}]})
        if path == "/api/events" and method == "POST":
            return self.send(204)
        if path == "/api/me":
            return self.send(200, {"user": "client-7"})
        if path == "/api/upload" and method == "POST":
            return self.send(201, {"bytes": len(data)})
        return self.send(404, {"error": "not found", "path": path})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = route


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"app: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
