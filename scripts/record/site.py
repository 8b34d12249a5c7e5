#!/usr/bin/env python3
"""Writes the small static site the recorded clients walk: site.py DIR.

A home page, a news section (an index and 40 articles, each with a comment form), 30 docs
pages and 30 product pages, all linking to each other; two style sheets, two scripts, 24
images and a favicon. Every page loads the same assets, so a browser revalidates or reuses
them from page to page. The docs pages are dated ten days back, so a browser may reuse them
from its cache without asking (heuristic freshness); everything else is dated now.

static/js/app.js does what a site's own script does on every page view: keeps analytics
cookies (`_ga` set once, `_ga_SL7X2` rewritten on each view, as Google Analytics 4 does),
a `recent` cookie of the last articles read, posts a page-view event to /api/events and,
on an article, fetches its comments from /api/comments. The same seed gives the same site.
"""

import os
import random
import struct
import sys
import time
import zlib

WORDS = (
    "network latency header stream quote market feed broker order book venue option strike "
    "expiry session cookie token cache proxy request response gateway packet buffer window "
    "codec frame table index literal huffman state register method version target field "
    "value origin browser client server archive report figure release notes guide setup"
).split()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def title(rng, n=4):
    return words(rng, n).capitalize()


def png(width, height, rgb):
    """A solid-colour RGB PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


APP_JS = r"""(function () {
  "use strict";
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function set(name, value, days) {
    document.cookie = name + "=" + value + "; path=/; max-age=" + days * 86400 + "; SameSite=Lax";
  }
  var now = Math.floor(Date.now() / 1000);
  if (!cookie("_ga")) {
    set("_ga", "GA1.1." + Math.floor(Math.random() * 1e9) + "." + now, 400);
  }
  // GS1.1.<session start>.<session count>.<engaged>.<last hit>.0.0.0: rewritten on each view.
  var ga = (cookie("_ga_SL7X2") || "").split(".");
  var start = ga.length === 9 ? ga[2] : String(now);
  set("_ga_SL7X2", ["GS1", "1", start, "1", "1", String(now), "0", "0", "0"].join("."), 400);
  var m = location.pathname.match(/^\/news\/article-(\d+)\.html$/);
  if (m) {
    var recent = (cookie("recent") || "").split("-").filter(function (id) { return id && id !== m[1]; });
    recent.unshift(m[1]);
    set("recent", recent.slice(0, 3).join("-"), 30);
    fetch("/api/comments?article=" + m[1] + "&page=1", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (list) {
        var ul = document.getElementById("comments");
        list.comments.forEach(function (c) {
          var li = document.createElement("li");
          li.textContent = c.author + ": " + c.text;
          ul.appendChild(li);
        });
      });
  }
  fetch("/api/events", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ type: "page_view", path: location.pathname, referrer: document.referrer,
      ts: Date.now(), viewport: [innerWidth, innerHeight] }),
    keepalive: true
  });
})();
"""


def main():
    root = sys.argv[1]
    rng = random.Random(13)
    for sub in ("news", "docs", "products", "static/css", "static/js", "img"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)

    def write(path, data, age_days=0):
        full = os.path.join(root, path)
        with open(full, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        if age_days:
            then = time.time() - age_days * 86400
            os.utime(full, (then, then))

    articles = [f"/news/article-{i}.html" for i in range(1, 41)]
    docs = [f"/docs/{i:02d}-{rng.choice(WORDS)}.html" for i in range(1, 31)]
    products = [f"/products/p{i:03d}.html" for i in range(100, 130)]
    images = [f"/img/{rng.choice(WORDS)}-{i}.png" for i in range(24)]
    nav = (
        '<nav><a href="/">Home</a> <a href="/news/">News</a> '
        f'<a href="{docs[0]}">Docs</a> <a href="{products[0]}">Products</a> '
        '<a href="/account/">Account</a></nav>'
        '<form action="/search" method="get"><input name="q"><button>Search</button></form>'
    )

    def page(heading, body, pictures):
        imgs = "".join(f'<img src="{p}" alt="" width="64" height="48">' for p in pictures)
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{heading}</title>"
            '<link rel="stylesheet" href="/static/css/site.css">'
            '<link rel="stylesheet" href="/static/css/print.css" media="print">'
            '<link rel="icon" href="/favicon.ico">'
            '<script src="/static/js/vendor.js" defer></script>'
            '<script src="/static/js/app.js" defer></script>'
            f"</head><body>{nav}<h1>{heading}</h1>{imgs}{body}</body></html>"
        )

    def links(paths, k):
        return "<ul>" + "".join(f'<li><a href="{p}">{title(rng, 3)}</a></li>' for p in rng.sample(paths, k)) + "</ul>"

    write(
        "index.html",
        page("Streamline test site", "<p>" + words(rng, 60) + "</p>" + links(articles, 8) + links(products, 4), rng.sample(images, 5)),
    )
    write("news/index.html", page("News", links(articles, 20), rng.sample(images, 3)))
    for i, path in enumerate(articles, 1):
        body = (
            "".join("<p>" + words(rng, 80) + "</p>" for _ in range(3))
            + links(articles, 5)
            + links(docs, 2)
            + '<h2>Comments</h2><ul id="comments"></ul>'
            + f'<form action="/comments" method="post"><input type="hidden" name="article" value="{i}">'
            + '<input name="author" value="reader"><textarea name="text">nice</textarea><button>Post</button></form>'
        )
        write(path.lstrip("/"), page(title(rng), body, rng.sample(images, 4)))
    for path in docs:
        body = "".join("<p>" + words(rng, 60) + "</p>" for _ in range(2)) + links(docs, 8) + links(articles, 2)
        write(path.lstrip("/"), page(title(rng), body, rng.sample(images, 2)), age_days=10)
    for path in products:
        body = "<p>" + words(rng, 50) + "</p>" + links(products, 6) + links(articles, 2)
        write(path.lstrip("/"), page(title(rng, 2), body, rng.sample(images, 6)))
    write("static/css/site.css", "body{font:16px/1.5 sans-serif;margin:2em}" + "".join(f".c{i}{{color:#{i:03x}}}" for i in range(400)))
    write("static/css/print.css", "nav,form{display:none}")
    write("static/js/vendor.js", "/* vendor bundle */\n" + "".join(f"function v{i}(a){{return a+{i}}}\n" for i in range(600)))
    write("static/js/app.js", APP_JS)
    for path in images:
        write(path.lstrip("/"), png(64, 48, [rng.randrange(256) for _ in range(3)]))
    write("favicon.ico", png(16, 16, [30, 90, 160]))


if __name__ == "__main__":
    main()
