"""A real threaded HTTP server on 127.0.0.1 for the feed and fetch tests.

Each route is a function ``(handler) -> None`` that writes a whole response
with the standard ``BaseHTTPRequestHandler`` API; helpers below build the
usual ones (static, sequence, redirect, conditional) and the hostile ones
(stall, trickle, endless, gzip bomb). The server logs every request, so tests
can assert what was (or was never) asked for.

Usage::

    with FeedServer() as server:
        server.static("/feed.xml", RSS, "application/rss+xml")
        Fetcher(...).fetch(server.url("/feed.xml"))
        assert server.hits("/feed.xml") == 1
"""
from __future__ import annotations

import collections
import gzip
import http.server
import os
import ssl
import tempfile
import threading
import time
from typing import Callable, Iterable, Optional

__all__ = ["FeedServer", "gzip_bomb", "TEST_CA_PEM", "rss091", "rss092", "rss10", "rss20", "atom10", "article_html",
           "ENTITY_BOMB", "XXE_FEED", "XXE_DTD_FEED"]

Route = Callable[[http.server.BaseHTTPRequestHandler], None]

# A self-signed certificate for the name "feeds.test" (valid until 2126) and its
# key, for the HTTPS tests; clients trust it by passing TEST_CA_PEM as ca_certs.
TEST_CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBmTCCAT6gAwIBAgIUdi6S7GIC3+0mCF1vjO+Xo+p8ph8wCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKZmVlZHMudGVzdDAgFw0yNjExMjMyMDE4NDFaGA8yMTI2MTAz
MDIwMTg0MVowFTETMBEGA1UEAwwKZmVlZHMudGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABG15tVC4hzfsSIuO1GuwA+PKHmYYkNhDRkunJ3YiSwnUy4yMFaM1
TfMKiKNMJRathsrab+KxNeWbo/YVbRmY77+jajBoMB0GA1UdDgQWBBTu4GVNzPmr
hSet8cqRlLf4chSP9TAfBgNVHSMEGDAWgBTu4GVNzPmrhSet8cqRlLf4chSP9TAP
BgNVHRMBAf8EBTADAQH/MBUGA1UdEQQOMAyCCmZlZWRzLnRlc3QwCgYIKoZIzj0E
AwIDSQAwRgIhAK6SlhgQtN8U0IPKw/dYAKaWlj8mGb/64bJJ+mCJyYCYAiEAz79X
ieCZn6bl3eCkdxTom1UlbTfYy9Y5UDIhgs+bK+E=
-----END CERTIFICATE-----
"""
_TEST_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggIqNsL7DzM+eI+Qk
jJJigVpIbI0ZVvAiEGq64Va7xrGhRANCAARtebVQuIc37EiLjtRrsAPjyh5mGJDY
Q0ZLpyd2IksJ1MuMjBWjNU3zCoijTCUWrYbK2m/isTXlm6P2FW0ZmO+/
-----END PRIVATE KEY-----
"""


def _server_tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert, "w") as handle:
            handle.write(TEST_CA_PEM)
        with open(key, "w") as handle:
            handle.write(_TEST_KEY_PEM)
        context.load_cert_chain(cert, key)
    return context


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip body of ``decoded_size`` zero bytes (~1000:1)."""
    return gzip.compress(b"\0" * decoded_size, compresslevel=9)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle plus
    # delayed ACKs add 40 ms to every request.
    disable_nagle_algorithm = True
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        owner._record(self.path, path, dict(self.headers.items()))
        route = owner.routes.get(self.path) or owner.routes.get(path)
        if route is None:
            self.send_simple(404, b"not found")
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def send_simple(self, status: int, body: bytes = b"", content_type: str = "text/plain",
                    headers: Optional[dict] = None) -> None:
        """Send a complete response with Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: "FeedServer"

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up on stalled/endless routes is the point of those tests.
        pass


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with a mutable route table."""

    def __init__(self, host: str = "127.0.0.1", tls: bool = False) -> None:
        self.host = host
        self.tls = tls
        self.routes: dict = {}
        self.requests: list = []  # (raw path, headers) in arrival order
        self.stop = threading.Event()
        self._hits: collections.Counter = collections.Counter()
        self._lock = threading.Lock()
        self._active = 0
        self.max_active: collections.Counter = collections.Counter()
        self._httpd: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> "FeedServer":
        self._httpd = _Server((self.host, 0), _Handler)
        self._httpd.owner = self
        if self.tls:
            self._httpd.socket = _server_tls_context().wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str, host: Optional[str] = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    # ---------------------------------------------------------------- bookkeeping
    def _record(self, raw_path: str, path: str, headers: dict) -> None:
        with self._lock:
            self.requests.append((raw_path, headers))
            self._hits[path] += 1

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def headers_of(self, path: str) -> list:
        with self._lock:
            return [h for p, h in self.requests if p.split("?", 1)[0] == path]

    def route(self, path: str, fn: Route) -> str:
        self.routes[path] = fn
        return self.url(path)

    # ---------------------------------------------------------------- ordinary routes
    def static(self, path: str, body: bytes, content_type: str = "application/xml",
               status: int = 200, headers: Optional[dict] = None) -> str:
        return self.route(path, lambda h: h.send_simple(status, body, content_type, headers))

    def sequence(self, path: str, responses: Iterable[tuple]) -> str:
        """Answer the n-th request with ``responses[n]`` (the last one repeats).

        Each response is ``(status, body, headers)``.
        """
        responses = list(responses)
        count = {"n": 0}

        def handle(h):
            with self._lock:
                index = min(count["n"], len(responses) - 1)
                count["n"] += 1
            status, body, headers = responses[index]
            h.send_simple(status, body, "application/xml", headers)

        return self.route(path, handle)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.route(path, lambda h: h.send_simple(status, b"moved", headers={"Location": location}))

    def conditional(self, path: str, body: bytes, etag: str, last_modified: str,
                    content_type: str = "application/rss+xml") -> str:
        """Serve ``body`` with validators; 304 when the request presents them."""
        def handle(h):
            if h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == last_modified:
                h.send_response(304)
                h.send_header("ETag", etag)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_simple(200, body, content_type, {"ETag": etag, "Last-Modified": last_modified})

        return self.route(path, handle)

    def slow(self, path: str, body: bytes, seconds: float, content_type: str = "text/html") -> str:
        """Answer after ``seconds``, tracking how many requests overlap."""
        def handle(h):
            with self._lock:
                self._active += 1
                self.max_active[path] = max(self.max_active[path], self._active)
            try:
                self.stop.wait(seconds)
            finally:
                with self._lock:
                    self._active -= 1
            h.send_simple(200, body, content_type)

        return self.route(path, handle)

    # ---------------------------------------------------------------- hostile routes
    def stall(self, path: str, seconds: float = 30.0) -> str:
        """Accept the request and send nothing at all."""
        def handle(h):
            self.stop.wait(seconds)
            h.close_connection = True

        return self.route(path, handle)

    def trickle_body(self, path: str, interval: float = 0.05) -> str:
        """Valid headers, then one byte every ``interval`` seconds, forever."""
        def handle(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(b"<rss>")
            h.wfile.flush()
            while not self.stop.wait(interval):
                h.wfile.write(b" ")
                h.wfile.flush()
            h.close_connection = True

        return self.route(path, handle)

    def trickle_headers(self, path: str, interval: float = 0.05) -> str:
        """A status line, then one header byte every ``interval`` seconds."""
        def handle(h):
            h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            h.wfile.flush()
            while not self.stop.wait(interval):
                h.wfile.write(b"a")
                h.wfile.flush()
            h.close_connection = True

        return self.route(path, handle)

    def endless(self, path: str, chunk: bytes = b"<item>" + b"x" * 8186) -> str:
        """Headers without a length, then data as fast as the client reads."""
        def handle(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Connection", "close")
            h.end_headers()
            deadline = time.monotonic() + 30
            while not self.stop.is_set() and time.monotonic() < deadline:
                h.wfile.write(chunk)
            h.close_connection = True

        return self.route(path, handle)

    def gzipped(self, path: str, body: bytes, content_type: str = "application/rss+xml",
                encoding: str = "gzip") -> str:
        """Serve an already-compressed ``body`` with ``Content-Encoding``."""
        return self.route(path, lambda h: h.send_simple(200, body, content_type, {"Content-Encoding": encoding}))


# --------------------------------------------------------------------------- sample documents
# Each builder takes (url, title, description) items; descriptions are XML-escaped
# text unless noted.

def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rss091(items: list, title: str = "RSS 0.91 feed") -> bytes:
    """RSS 0.91 with the Netscape DOCTYPE real 0.91 feeds carry."""
    body = "".join(f"<item><title>{_esc(t)}</title><link>{_esc(u)}</link><description>{_esc(d)}</description>"
                   f"</item>" for u, t, d in items)
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
            f'<rss version="0.91"><channel><title>{_esc(title)}</title><link>http://example.com/</link>'
            f"<description>d</description><language>en-us</language>{body}</channel></rss>").encode("latin-1")


def rss092(items: list, title: str = "RSS 0.92 feed") -> bytes:
    body = "".join(f"<item><title>{_esc(t)}</title><link>{_esc(u)}</link><description>{_esc(d)}</description>"
                   f"</item>" for u, t, d in items)
    return (f'<?xml version="1.0"?><rss version="0.92"><channel><title>{_esc(title)}</title>'
            f"<link>http://example.com/</link><description>d</description>{body}</channel></rss>").encode()


def rss10(items: list, title: str = "RSS 1.0 feed") -> bytes:
    """RSS 1.0 (RDF) with Dublin Core dates."""
    seq = "".join(f'<rdf:li rdf:resource="{_esc(u)}"/>' for u, _, _ in items)
    body = "".join(f'<item rdf:about="{_esc(u)}"><title>{_esc(t)}</title><link>{_esc(u)}</link>'
                   f"<description>{_esc(d)}</description><dc:date>2025-06-10T08:00:00+02:00</dc:date></item>"
                   for u, t, d in items)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="http://example.com/"><title>{_esc(title)}</title><link>http://example.com/</link>'
            f"<description>d</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{body}</rdf:RDF>"
            ).encode("utf-8")


def rss20(items: list, title: str = "RSS 2.0 feed", encoding: str = "utf-8", declared: Optional[str] = None,
          extra: str = "") -> bytes:
    """RSS 2.0 with content:encoded; ``declared`` overrides the XML declaration's label."""
    body = "".join(f"<item><title>{_esc(t)}</title><link>{_esc(u)}</link><guid>{_esc(u)}</guid>"
                   f"<pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate><description>{_esc(d)}</description>"
                   f"</item>" for u, t, d in items)
    return (f'<?xml version="1.0" encoding="{declared or encoding}"?>'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>{_esc(title)}</title><link>http://example.com/</link><description>d</description>"
            f"{extra}{body}</channel></rss>").encode(encoding)


def atom10(items: list, title: str = "Atom feed", base: Optional[str] = None) -> bytes:
    """Atom 1.0; hrefs may be relative (resolved against ``xml:base`` or the feed URL)."""
    xml_base = f' xml:base="{_esc(base)}"' if base else ""
    body = "".join(f'<entry><title>{_esc(t)}</title><link rel="alternate" href="{_esc(u)}"/>'
                   f"<id>urn:uuid:{i}</id><updated>2025-06-10T04:00:00Z</updated>"
                   f'<summary>{_esc(d[:80])}</summary><content type="html">{_esc(d)}</content></entry>'
                   for i, (u, t, d) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{xml_base}>'
            f"<title>{_esc(title)}</title><id>urn:feed</id><updated>2025-06-10T04:00:00Z</updated>{body}</feed>"
            ).encode("utf-8")


def article_html(title: str, words: int = 200) -> bytes:
    text = " ".join(f"word{i % 50}" for i in range(words))
    return (f"<!DOCTYPE html><html><head><title>{_esc(title)}</title></head><body><article><h1>{_esc(title)}</h1>"
            f"<p>{text}</p></article></body></html>").encode("utf-8")


# A 100 KB internal entity referenced 50 times: feedparser's loose parser
# would expand it to 5 MB (the real hazard used 10,000 references).
ENTITY_BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 100_000 + b'">\n]>\n'
               b'<rss version="2.0"><channel><title>bomb</title><item><title>t</title>'
               b"<link>http://example.com/bomb</link><description>" + b"&big;" * 50 + b"</description></item>"
               b"</channel></rss>")
XXE_FEED = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>'
            b"<link>http://example.com/xxe</link></item></channel></rss>")
XXE_DTD_FEED = (b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
                b'<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>'
                b"<link>http://example.com/xxe</link></item></channel></rss>")
