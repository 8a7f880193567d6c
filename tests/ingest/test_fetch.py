"""transforms.ingest.fetch against a real HTTP server on 127.0.0.1 (no mocks).

Timeouts are small so every hostile case finishes in about a second; each
test asserts both the outcome and that it arrived within its deadline.
"""
from __future__ import annotations

import datetime as dt
import gzip
import threading
import time
import zlib

import pytest

from tests.feed_server import TEST_CA_PEM, FeedServer, gzip_bomb

from transforms.ingest.fetch import FetchConfig, Fetcher, forbidden_reason, parse_retry_after

LOCAL = ("127.0.0.1/32",)  # the test server; everything else private stays refused


def config(**overrides) -> FetchConfig:
    values = dict(connect_timeout=1.0, read_timeout=0.5, total_timeout=1.5, max_bytes=200_000, retries=2,
                  backoff_base=0.05, max_retry_after=2.0, allowed_networks=LOCAL)
    values.update(overrides)
    return FetchConfig(**values)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def internal():
    """An 'internal service' on 127.0.0.2 that no fetch may ever reach."""
    with FeedServer(host="127.0.0.2") as srv:
        srv.static("/secret", b"instance credentials", "text/plain")
        yield srv


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(config()) as f:
        yield f


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - start


# ----------------------------------------------------------------------------- ordinary answers

def test_ok_sends_user_agent_and_returns_body(server, fetcher):
    url = server.static("/ok", b"<rss>hello</rss>", "application/rss+xml")
    result = fetcher.fetch(url)
    assert result.ok and result.status == 200 and result.body == b"<rss>hello</rss>"
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.final_url == url
    sent = server.headers_of("/ok")[-1]
    assert sent["User-Agent"].startswith("storywire/")
    assert sent["Accept-Encoding"] == "gzip, deflate"


def test_404_is_an_error_without_retry(server, fetcher):
    url = server.static("/missing", b"nope", status=404)
    result = fetcher.fetch(url)
    assert (result.error_reason, result.status, result.body) == ("http_404", 404, b"")
    assert server.hits("/missing") == 1


def test_500_then_success_is_retried(server, fetcher):
    url = server.sequence("/flaky", [(500, b"oops", {}), (200, b"fine", {})])
    result = fetcher.fetch(url)
    assert result.ok and result.body == b"fine" and result.attempts == 2
    assert server.hits("/flaky") == 2


def test_persistent_500_gives_up_after_retries(server, fetcher):
    url = server.static("/broken", b"oops", status=500)
    result = fetcher.fetch(url)
    assert result.error_reason == "http_500"
    assert server.hits("/broken") == 3  # 1 + retries=2


def test_429_retry_after_seconds_is_honoured(server, fetcher):
    url = server.sequence("/busy", [(429, b"slow down", {"Retry-After": "1"}), (200, b"fine", {})])
    result, elapsed = timed(fetcher.fetch, url)
    assert result.ok and result.body == b"fine"
    assert 0.95 <= elapsed < 1.5


def test_retry_after_is_capped_by_max_retry_after(server):
    url = server.sequence("/very-busy", [(503, b"x", {"Retry-After": "3600"}), (200, b"fine", {})])
    with Fetcher(config(max_retry_after=0.2)) as f:
        result, elapsed = timed(f.fetch, url)
    assert result.ok and 0.2 <= elapsed < 1.0


def test_retry_after_longer_than_the_deadline_gives_up_at_once(server, fetcher):
    url = server.sequence("/later", [(429, b"x", {"Retry-After": "60"}), (200, b"fine", {})])
    with Fetcher(config(max_retry_after=60)) as f:
        result, elapsed = timed(f.fetch, url)
    assert result.error_reason == "http_429" and elapsed < 0.5
    assert "no time left" in result.detail


def test_parse_retry_after_forms():
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_conditional_get_returns_304_with_empty_body(server, fetcher):
    url = server.conditional("/cond", b"<rss/>", '"v1"', "Wed, 21 Oct 2015 07:28:00 GMT")
    first = fetcher.fetch(url)
    assert first.ok and first.status == 200 and first.headers["etag"] == '"v1"'
    second = fetcher.fetch(url, {"If-None-Match": first.headers["etag"]})
    assert second.ok and second.not_modified and second.status == 304 and second.body == b""
    assert server.headers_of("/cond")[-1]["If-None-Match"] == '"v1"'


def test_connection_refused_is_retried_then_reported(fetcher):
    with FeedServer() as gone:
        url = gone.url("/x")
    result, elapsed = timed(fetcher.fetch, url)  # the port is closed now
    assert result.error_reason == "connection_error" and result.attempts == 3
    assert elapsed < 1.5


# ----------------------------------------------------------------------------- hostile servers

def test_stalled_server_hits_the_read_timeout(server, fetcher):
    url = server.stall("/stall")
    result, elapsed = timed(fetcher.fetch, url)
    assert result.error_reason == "timeout"
    assert elapsed < 0.5 + 0.4  # read_timeout, not retried


def test_trickling_body_is_cut_at_the_total_deadline(server):
    url = server.trickle_body("/trickle-body")  # a byte every 50 ms: no read ever times out
    with Fetcher(config(total_timeout=1.0)) as f:
        result, elapsed = timed(f.fetch, url)
    assert result.error_reason == "timeout" and result.body == b""
    assert 0.95 <= elapsed < 1.0 + 0.4


def test_trickling_headers_are_cut_at_the_total_deadline(server):
    url = server.trickle_headers("/trickle-headers")
    with Fetcher(config(total_timeout=1.0)) as f:
        result, elapsed = timed(f.fetch, url)
    assert result.error_reason == "timeout"
    assert 0.95 <= elapsed < 1.0 + 0.4


def test_endless_body_stops_at_the_byte_cap(server, fetcher):
    url = server.endless("/endless")
    result, elapsed = timed(fetcher.fetch, url)
    assert result.error_reason == "too_large" and result.body == b""
    assert elapsed < 1.0


def test_declared_oversize_body_is_refused_before_reading(server, fetcher):
    url = server.static("/huge", b"x" * 300_000)
    result = fetcher.fetch(url)
    assert result.error_reason == "too_large" and "Content-Length 300000" in result.detail


def test_gzip_bomb_is_stopped_while_decoding(server, fetcher):
    bomb = gzip_bomb(20_000_000)
    assert len(bomb) < 200_000  # small on the wire: only the decoded cap can catch it
    url = server.gzipped("/bomb", bomb)
    result, elapsed = timed(fetcher.fetch, url)
    assert result.error_reason == "decode_bomb" and elapsed < 1.0


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(wbits=-15)
    return obj.compress(data) + obj.flush()


PLAIN = b"<rss>zipped</rss>" * 100


# gzip stamps the current second into its header (mtime=0 keeps the bodies fixed), and the ids
# are the names alone: pytest-xdist collects in every worker and refuses ids that differ.
@pytest.mark.parametrize("name,encoding,body", [
    ("gzip", "gzip", gzip.compress(PLAIN, mtime=0)),
    ("zlib", "deflate", zlib.compress(PLAIN)),
    ("raw-deflate", "deflate", _raw_deflate(PLAIN)),  # what many servers send as "deflate"
    ("two-gzip-members", "gzip", gzip.compress(PLAIN[:800], mtime=0) + gzip.compress(PLAIN[800:], mtime=0)),
    ("trailing-junk", "gzip", gzip.compress(PLAIN, mtime=0) + b"\r\n\x00junk"),
], ids=["gzip", "zlib", "raw-deflate", "two-gzip-members", "trailing-junk"])
def test_compressed_bodies_are_decoded(server, fetcher, name, encoding, body):
    url = server.gzipped(f"/z-{name}", body, encoding=encoding)
    result = fetcher.fetch(url)
    assert result.ok and result.body == PLAIN


def test_unknown_content_encoding_is_refused(server, fetcher):
    url = server.gzipped("/br", b"\x0b\x02\x80hello\x03", encoding="br")
    assert fetcher.fetch(url).error_reason == "unsupported_encoding"


# ----------------------------------------------------------------------------- redirects

def test_redirects_are_followed(server, fetcher):
    server.static("/target", b"arrived")
    server.redirect("/hop2", "/target", status=301)
    url = server.redirect("/hop1", server.url("/hop2"), status=307)
    result = fetcher.fetch(url)
    assert result.ok and result.body == b"arrived" and result.final_url == server.url("/target")


def test_redirect_loop_stops_at_the_limit(server, fetcher):
    url = server.redirect("/loop", "/loop")
    result = fetcher.fetch(url)
    assert result.error_reason == "too_many_redirects"
    assert server.hits("/loop") == 6  # the first request + max_redirects=5


def test_redirect_to_other_scheme_is_refused(server, fetcher):
    url = server.redirect("/to-file", "file:///etc/passwd")
    result = fetcher.fetch(url)
    assert result.error_reason == "bad_scheme" and result.final_url == "file:///etc/passwd"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://x/", "javascript:alert(1)"])
def test_only_http_and_https(fetcher, url):
    assert fetcher.fetch(url).error_reason == "bad_scheme"


# ----------------------------------------------------------------------------- address safety

@pytest.mark.parametrize("target", [
    "http://10.0.0.1/feed.xml",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/x",
    "http://[::ffff:127.0.0.2]/x",
    "http://0.0.0.0/x",
])
def test_redirect_to_private_address_is_refused_without_connecting(server, fetcher, target):
    url = server.redirect(f"/to-private-{abs(hash(target))}", target)
    result, elapsed = timed(fetcher.fetch, url)
    assert result.error_reason == "forbidden_address", result.detail
    assert elapsed < 0.5


def test_redirect_to_internal_service_never_reaches_it(server, internal, fetcher):
    url = server.redirect("/to-internal", internal.url("/secret"))
    result = fetcher.fetch(url)
    assert result.error_reason == "forbidden_address"
    assert internal.hits("/secret") == 0


def test_default_config_refuses_loopback_hosts(server):
    url = server.static("/default", b"x")
    with Fetcher(FetchConfig(retries=0)) as strict:
        for candidate in (url, url.replace("127.0.0.1", "localhost"),
                          url.replace("127.0.0.1", "2130706433"), url.replace("127.0.0.1", "127.1")):
            result = strict.fetch(candidate)
            assert result.error_reason == "forbidden_address", candidate
    assert server.hits("/default") == 0


def test_allow_private_hosts_turns_the_check_off(internal):
    url = internal.static("/intranet-feed", b"<rss/>")
    with Fetcher(FetchConfig(allow_private_hosts=True, retries=0)) as lax:
        assert lax.fetch(url).body == b"<rss/>"
    assert internal.hits("/intranet-feed") == 1


def test_hostname_resolving_to_private_address_is_refused(server, internal):
    names = {"feeds.test": ["127.0.0.1"], "evil.test": ["127.0.0.2"], "mixed.test": ["127.0.0.1", "127.0.0.2"]}
    with Fetcher(config(), resolver=lambda host: names[host]) as f:
        ok = f.fetch(server.url("/ok", host="feeds.test"))
        assert ok.ok and server.headers_of("/ok")[-1]["Host"].startswith("feeds.test:")
        assert f.fetch(internal.url("/secret", host="evil.test")).error_reason == "forbidden_address"
        # One private answer among public ones taints the name.
        assert f.fetch(server.url("/ok", host="mixed.test")).error_reason == "forbidden_address"
        server.redirect("/to-evil", internal.url("/secret", host="evil.test"))
        assert f.fetch(server.url("/to-evil", host="feeds.test")).error_reason == "forbidden_address"
    assert internal.hits("/secret") == 0


def test_dns_rebinding_is_caught_on_the_next_connection(server, internal):
    """The name resolves to the allowed address first and to the internal one later."""
    server.static("/close", b"bye", headers={"Connection": "close"})  # forces a new connection each time
    answers = [["127.0.0.1"], ["127.0.0.2"]]
    calls = []

    def resolver(host):
        calls.append(host)
        return answers[min(len(calls), len(answers)) - 1]

    with Fetcher(config(retries=0), resolver=resolver) as f:
        assert f.fetch(server.url("/close", host="rebind.test")).ok
        second = f.fetch(server.url("/close", host="rebind.test"))
    assert second.error_reason == "forbidden_address"
    assert calls == ["rebind.test", "rebind.test"]  # resolved once per connection, never re-resolved to connect
    assert internal.hits("/secret") == 0


def test_https_connects_to_the_vetted_address_but_verifies_the_name(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text(TEST_CA_PEM)
    names = {"feeds.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}
    with FeedServer(tls=True) as tls:
        tls.static("/secure", b"over tls")
        with Fetcher(config(ca_certs=str(ca)), resolver=names.__getitem__) as f:
            result = f.fetch(tls.url("/secure", host="feeds.test"))
            assert result.ok and result.body == b"over tls"
            assert tls.headers_of("/secure")[-1]["Host"].startswith("feeds.test:")
            # Same vetted IP, but the certificate is not for this name.
            assert f.fetch(tls.url("/secure", host="other.test")).error_reason == "tls_error"
        with Fetcher(config(), resolver=names.__getitem__) as f:  # certifi does not trust it
            assert f.fetch(tls.url("/secure", host="feeds.test")).error_reason == "tls_error"
        assert tls.hits("/secure") == 1


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.69", "2606:4700:4700::1111", "2a00:1450:4001::200e"])
def test_public_addresses_are_allowed(address):
    assert forbidden_reason(address) is None


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.5.4", "192.168.1.1", "169.254.1.1", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1", "240.0.0.1",
    "169.254.169.254", "168.63.129.16", "100.100.100.200", "192.0.0.192", "fd00:ec2::254",
    "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1", "::7f00:1",
])
def test_internal_addresses_are_forbidden(address):
    assert forbidden_reason(address) is not None, address


@pytest.mark.parametrize("address,reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("fe80::1", "link_local"),
    ("169.254.169.254", "metadata"), ("168.63.129.16", "metadata"), ("fd00:ec2::254", "metadata"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("::ffff:10.0.0.1", "private_embedded"),
])
def test_forbidden_reason_names_the_range(address, reason):
    assert forbidden_reason(address) == reason


def test_allowed_networks_exempt_only_what_they_list():
    assert forbidden_reason("127.0.0.1", ["127.0.0.1/32"]) is None
    assert forbidden_reason("127.0.0.2", ["127.0.0.1/32"]) == "loopback"
    assert forbidden_reason("169.254.169.254", ["169.254.0.0/16"]) == "metadata"
    with pytest.raises(ValueError):
        FetchConfig(allowed_networks=("not-a-network",))


# ----------------------------------------------------------------------------- politeness

def test_per_host_concurrency_is_enforced(server):
    url = server.slow("/slow", b"x", seconds=0.2)
    with Fetcher(config(per_host_concurrency=2, total_timeout=5.0)) as f:
        results = []
        threads = [threading.Thread(target=lambda: results.append(f.fetch(url))) for _ in range(6)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    assert all(r.ok for r in results) and len(results) == 6
    assert server.max_active["/slow"] == 2
    assert elapsed >= 0.55  # three waves of two


def test_caller_cannot_widen_accept_encoding(server, fetcher):
    url = server.static("/ae", b"x")
    fetcher.fetch(url, {"accept-encoding": "br, zstd", "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"})
    sent = server.headers_of("/ae")[-1]
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert sent["If-Modified-Since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
