#!/usr/bin/env python3
"""The site behind scripts/record-responses.sh, and the browsing session's request stream.

    responses_site.py SITE_DIR BROWSE_REQUESTS

Writes into SITE_DIR a small static site: three pages, a stylesheet, two scripts, an SVG
logo, a ~40 KB PNG and a JSON file. Their contents and modification times are fixed, so
the ETag ("<mtime hex>-<size hex>") and Last-Modified nginx gives each file are the same on
every run; the conditional requests below carry them without asking the server first.

Writes to BROWSE_REQUESTS the byte-exact request stream of one keep-alive connection from a
desktop Chrome visiting the site as www.example.com: the home page and its assets, a
missing favicon, an analytics beacon, two more pages, a contact form post, then a return to
the home page that revalidates everything (If-None-Match / If-Modified-Since), a HEAD of
two files, a resumed download (Range with If-Range), a stale bookmark and a page changed
since the date the client has. CRLF line ends throughout. Standard library only.
"""

import email.utils
import os
import random
import struct
import sys
import zlib

HOST = "www.example.com"
ORIGIN = f"http://{HOST}"
# 2024-05-14 08:00:00 UTC; each file a few minutes after the one before.
MTIME = 1715673600

WORDS = ("market quote option strike expiry premium volume bid ask spread series "
         "contract underlying index equity settlement clearing exchange feed latency "
         "venue order book depth trade print session open close high low last change "
         "member report notice schedule holiday margin risk limit tier fee rebate").split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(6, 14)) for _ in range(rng.randint(3, 6)))


ACTIVE = ' class="active"'


def page(rng, title, active, main):
    nav = "\n".join(
        f'        <li><a href="{href}"{ACTIVE if href == active else ""}>{name}</a></li>'
        for href, name in (("/", "Home"), ("/products.html", "Products"), ("/about.html", "About")))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} - Example Options Data</title>
  <link rel="stylesheet" href="/css/style.css">
  <script src="/js/vendor.js" defer></script>
  <script src="/js/app.js" defer></script>
</head>
<body>
  <header>
    <a class="logo" href="/"><img src="/img/logo.svg" alt="Example" width="120" height="32"></a>
    <nav>
      <ul>
{nav}
      </ul>
    </nav>
  </header>
  <main>
{main}
  </main>
  <footer><p>&copy; 2024 Example Options Data. {sentence(rng, 8)}</p></footer>
</body>
</html>
"""


def index_html(rng):
    sections = "\n".join(
        f"    <section>\n      <h2>{sentence(rng, 3)[:-1]}</h2>\n      <p>{paragraph(rng)}</p>\n    </section>"
        for _ in range(5))
    main = f"""    <img class="hero" src="/img/hero.png" alt="" width="120" height="112">
    <h1>Options quotes, as they print</h1>
    <p class="lead">{paragraph(rng)}</p>
    <table id="prices"><thead><tr><th>Series</th><th>Bid</th><th>Ask</th></tr></thead><tbody></tbody></table>
{sections}"""
    return page(rng, "Home", "/", main)


def products_html(rng):
    items = "\n".join(
        f'      <li><h3>{sentence(rng, 2)[:-1]}</h3><p>{paragraph(rng)}</p>'
        f'<a href="/data/prices.json?product={i}">Sample data</a></li>'
        for i in range(8))
    return page(rng, "Products", "/products.html", f"    <h1>Products</h1>\n    <ul class=\"products\">\n{items}\n    </ul>")


def about_html(rng):
    main = f"""    <h1>About</h1>
    <p>{paragraph(rng)}</p>
    <p>{paragraph(rng)}</p>
    <img src="/img/team.jpg" alt="The team" width="480" height="270">
    <form method="post" action="/receiver">
      <label>Name <input name="name"></label>
      <label>Email <input name="email" type="email"></label>
      <label>Message <textarea name="message"></textarea></label>
      <button type="submit">Send</button>
    </form>"""
    return page(rng, "About", "/about.html", main)


def style_css(rng):
    rules = ["""*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; }
body { margin: 0; color: #1b1f24; background: #fafafa; }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 2rem; background: #0b3d5c; }
nav ul { display: flex; gap: 1.5rem; list-style: none; margin: 0; padding: 0; }
nav a { color: #e6f0f6; text-decoration: none; }
nav a.active, nav a:hover { color: #ffffff; border-bottom: 2px solid #f0a202; }
main { max-width: 64rem; margin: 0 auto; padding: 2rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #d0d7de; text-align: right; }
footer { padding: 2rem; color: #57606a; font-size: 0.875rem; text-align: center; }
"""]
    for i in range(60):
        name = f".{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}"
        props = "; ".join(rng.sample([
            f"margin: {rng.randint(0, 4) / 2}rem", f"padding: {rng.randint(0, 8) / 4}rem",
            f"color: #{rng.randrange(0x1000000):06x}", f"background: #{rng.randrange(0x1000000):06x}",
            f"font-size: {rng.randint(75, 150) / 100}rem", f"border-radius: {rng.randint(0, 8)}px",
            "display: flex", "display: grid", "align-items: center", "font-weight: 600",
            f"gap: {rng.randint(1, 4) / 4}rem", "text-transform: uppercase"], rng.randint(2, 5)))
        rules.append(f"{name} {{ {props}; }}\n")
    rules.append("@media (max-width: 40rem) { header { flex-direction: column; } main { padding: 1rem; } }\n")
    return "".join(rules)


def vendor_js(rng):
    out = ["/*! tinyquery 2.4.1 | (c) Example | MIT */\n", "(function (global) {\n  'use strict';\n"]
    for i in range(90):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        out.append(f"""  function {a}{b.capitalize()}{i}(el, opts) {{
    var o = Object.assign({{ {a}: {rng.randint(0, 999)}, {b}: '{rng.choice(WORDS)}' }}, opts || {{}});
    if (!el || !el.nodeType) {{ return null; }}
    el.setAttribute('data-{a}', String(o.{a}));
    return el.querySelectorAll('.{b}-{i}').length + o.{a};
  }}
""")
    out.append("  global.tq = { version: '2.4.1' };\n})(window);\n")
    return "".join(out)


def app_js(rng):
    return """'use strict';
// Fills the price table, reports the page view and the time on the page.
(function () {
  var table = document.querySelector('#prices tbody');
  function render(rows) {
    table.innerHTML = rows.map(function (r) {
      return '<tr><td>' + r.series + '</td><td>' + r.bid.toFixed(2) + '</td><td>' + r.ask.toFixed(2) + '</td></tr>';
    }).join('');
  }
  if (table) {
    fetch('/data/prices.json', { headers: { 'Accept': 'application/json' } })
      .then(function (res) { return res.json(); })
      .then(function (data) { render(data.quotes); })
      .catch(function () { table.innerHTML = '<tr><td colspan="3">No data</td></tr>'; });
  }
  var started = Date.now();
  function beacon(kind) {
    navigator.sendBeacon('/receiver', JSON.stringify({
      kind: kind, page: location.pathname, ms: Date.now() - started
    }));
  }
  beacon('view');
  addEventListener('pagehide', function () { beacon('leave'); });
  document.cookie = '_ga=GA1.1.1402853761.1715673600; path=/; max-age=63072000';
})();
""" + "".join(f"// {sentence(rng, 12)}\n" for _ in range(20))


def logo_svg():
    return """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">
  <rect width="120" height="32" rx="4" fill="#0b3d5c"/>
  <path d="M8 24 L16 8 L24 20 L32 12 L40 24" fill="none" stroke="#f0a202" stroke-width="3"/>
  <text x="48" y="22" font-family="system-ui, sans-serif" font-size="14" fill="#ffffff">Example</text>
</svg>
"""


def hero_png(rng, width=120, height=112):
    """A valid RGB PNG: a gradient under noise, so it hardly compresses (~40 KB)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes(((x * 2 + rng.randrange(64)) & 255, (y * 2 + rng.randrange(64)) & 255,
                           (x + y + rng.randrange(64)) & 255))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


def prices_json(rng):
    quotes = []
    for i in range(24):
        bid = rng.randint(50, 90000) / 100
        quotes.append('{"series":"%s %06d%s","bid":%.2f,"ask":%.2f}' % (
            rng.choice(("MSFT", "AAPL", "AMZN", "NVDA", "SPY")), rng.randint(100000, 299999),
            rng.choice("CP"), bid, bid + rng.randint(1, 40) / 100))
    return '{"asof":"2024-05-14T08:00:00Z","quotes":[\n' + ",\n".join(quotes) + "\n]}\n"


def write_site(site):
    rng = random.Random(20240514)
    files = [
        ("index.html", index_html(rng)),
        ("products.html", products_html(rng)),
        ("about.html", about_html(rng)),
        ("css/style.css", style_css(rng)),
        ("js/vendor.js", vendor_js(rng)),
        ("js/app.js", app_js(rng)),
        ("img/logo.svg", logo_svg()),
        ("img/hero.png", hero_png(rng)),
        ("data/prices.json", prices_json(rng)),
    ]
    stat = {}
    for n, (name, content) in enumerate(files):
        path = os.path.join(site, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        mtime = MTIME + 300 * n
        os.utime(path, (mtime, mtime))
        stat[name] = (mtime, len(content.encode() if isinstance(content, str) else content))
    return stat


def etag(stat, name, weak=False):
    mtime, size = stat[name]
    return ("W/" if weak else "") + f'"{mtime:x}-{size:x}"'


def last_modified(stat, name):
    return email.utils.formatdate(stat[name][0], usegmt=True)


UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36")
CH_UA = '"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"'
ACCEPT_DOC = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
              "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
ACCEPT_IMG = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
COOKIE = "_ga=GA1.1.1402853761.1715673600"


class Session:
    def __init__(self, stat):
        self.stat = stat
        self.out = []
        self.cookie = False

    def request(self, method, target, fields, body=b""):
        lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in fields if v is not None]
        if self.cookie:
            lines.append(f"Cookie: {COOKIE}")
        self.out.append(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def conditional(self, name, weak, etag_too=True):
        return [("If-None-Match", etag(self.stat, name, weak) if etag_too else None),
                ("If-Modified-Since", last_modified(self.stat, name))]

    def navigate(self, target, referer=None, site="same-origin", extra=(), method="GET",
                 body=b"", content_type=None):
        fields = []
        if body:
            fields += [("Content-Length", str(len(body))), ("Cache-Control", "max-age=0")]
        elif any(k == "If-None-Match" for k, _ in extra):
            fields += [("Cache-Control", "max-age=0")]
        fields += [("sec-ch-ua", CH_UA), ("sec-ch-ua-mobile", "?0"),
                   ("sec-ch-ua-platform", '"Linux"'), ("Upgrade-Insecure-Requests", "1")]
        if body:
            fields += [("Origin", ORIGIN), ("Content-Type", content_type)]
        fields += [("User-Agent", UA), ("Accept", ACCEPT_DOC),
                   ("Sec-Fetch-Site", site), ("Sec-Fetch-Mode", "navigate"),
                   ("Sec-Fetch-User", "?1"), ("Sec-Fetch-Dest", "document"),
                   ("Referer", referer)]
        fields += [f for f in extra if f[0] != "If-None-Match" and f[0] != "If-Modified-Since"]
        fields += [("Accept-Encoding", "gzip, deflate, br"), ("Accept-Language", "en-US,en;q=0.9")]
        fields += [f for f in extra if f[0] in ("If-None-Match", "If-Modified-Since")]
        self.request(method, target, fields, body)

    def subresource(self, target, accept, dest, referer, mode="no-cors", extra=(), method="GET"):
        fields = [("sec-ch-ua", CH_UA), ("sec-ch-ua-mobile", "?0"), ("User-Agent", UA),
                  ("sec-ch-ua-platform", '"Linux"'), ("Accept", accept)]
        fields += [f for f in extra]
        fields += [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Mode", mode),
                   ("Sec-Fetch-Dest", dest), ("Referer", referer),
                   ("Accept-Encoding", "gzip, deflate, br"), ("Accept-Language", "en-US,en;q=0.9")]
        self.request(method, target, fields)

    def beacon(self, page, kind, ms):
        body = ('{"kind":"%s","page":"%s","ms":%d}' % (kind, page, ms)).encode()
        fields = [("Content-Length", str(len(body))), ("sec-ch-ua", CH_UA),
                  ("Content-Type", "text/plain;charset=UTF-8"), ("sec-ch-ua-mobile", "?0"),
                  ("User-Agent", UA), ("sec-ch-ua-platform", '"Linux"'), ("Accept", "*/*"),
                  ("Origin", ORIGIN), ("Sec-Fetch-Site", "same-origin"),
                  ("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "empty"),
                  ("Referer", ORIGIN + page), ("Accept-Encoding", "gzip, deflate, br"),
                  ("Accept-Language", "en-US,en;q=0.9")]
        self.request("POST", "/receiver", fields, body)

    def assets(self, referer, revalidate):
        def cond(name, weak):
            return self.conditional(name, weak) if revalidate else []
        self.subresource("/css/style.css", "text/css,*/*;q=0.1", "style", referer,
                         extra=cond("css/style.css", True))
        self.subresource("/js/vendor.js", "*/*", "script", referer,
                         extra=cond("js/vendor.js", True))
        self.subresource("/js/app.js", "*/*", "script", referer,
                         extra=cond("js/app.js", True))
        self.subresource("/img/logo.svg", ACCEPT_IMG, "image", referer,
                         extra=cond("img/logo.svg", False))


def browse(stat):
    s = Session(stat)
    home = ORIGIN + "/"
    # First visit: the page, its stylesheet, scripts and images, the favicon the site does
    # not have, the script's data and its beacon (which also sets the _ga cookie).
    s.navigate("/", site="none")
    s.assets(home, revalidate=False)
    s.subresource("/img/hero.png", ACCEPT_IMG, "image", home)
    s.subresource("/favicon.ico", ACCEPT_IMG, "image", home)
    s.subresource("/data/prices.json", "application/json", "empty", home, mode="cors")
    s.cookie = True
    s.beacon("/", "view", 412)
    # Products: the page, then the sample data for one product; a HEAD of the image
    # (the page's script checks its size before offering it for download).
    s.beacon("/", "leave", 9344)
    s.navigate("/products.html", referer=home)
    s.subresource("/data/prices.json?product=3", "application/json", "empty",
                  ORIGIN + "/products.html", mode="cors")
    s.subresource("/img/hero.png", "*/*", "empty", ORIGIN + "/products.html", mode="cors",
                  method="HEAD")
    # About: a broken image link, then the contact form posted.
    s.navigate("/about.html", referer=ORIGIN + "/products.html")
    s.subresource("/img/team.jpg", ACCEPT_IMG, "image", ORIGIN + "/about.html")
    form = b"name=Ada+Lovelace&email=ada%40example.org&message=Please+send+the+tier+2+fee+schedule."
    s.navigate("/receiver", referer=ORIGIN + "/about.html", method="POST", body=form,
               content_type="application/x-www-form-urlencoded")
    # Back to the home page later: everything revalidated, all unchanged (304).
    s.navigate("/", referer=ORIGIN + "/about.html", extra=s.conditional("index.html", True))
    s.assets(home, revalidate=True)
    s.subresource("/img/hero.png", ACCEPT_IMG, "image", home,
                  extra=s.conditional("img/hero.png", False, etag_too=False))
    s.subresource("/data/prices.json", "application/json", "empty", home, mode="cors",
                  extra=s.conditional("data/prices.json", False))
    s.beacon("/", "view", 388)
    # A reload of the products page (304), a HEAD of the about page, a resumed download of
    # the image (206), a stale bookmark (404), the about page against an older date (200).
    s.navigate("/products.html", referer=home, extra=s.conditional("products.html", True))
    s.subresource("/about.html", "*/*", "empty", ORIGIN + "/products.html", mode="cors",
                  method="HEAD")
    s.navigate("/img/hero.png", referer=ORIGIN + "/products.html",
               extra=[("Range", "bytes=32768-"), ("If-Range", etag(stat, "img/hero.png"))])
    s.navigate("/news/2023-q4.html", site="none")
    s.navigate("/about.html", referer=home,
               extra=[("If-Modified-Since", email.utils.formatdate(MTIME - 86400, usegmt=True))])
    s.beacon("/about.html", "leave", 15230)
    return b"".join(s.out), len(s.out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    stat = write_site(sys.argv[1])
    stream, n = browse(stat)
    with open(sys.argv[2], "wb") as f:
        f.write(stream)
    print(f"responses_site: {len(stat)} files in {sys.argv[1]}, {n} requests "
          f"({len(stream)} bytes) in {sys.argv[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
