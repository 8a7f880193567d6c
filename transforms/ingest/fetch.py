"""A polite, bounded HTTP client for feeds and article pages.

``Fetcher.fetch(url)`` never raises for network or HTTP trouble: it returns a
``FetchResult`` whose ``error_reason`` says what went wrong ("timeout",
"too_large", "decode_bomb", "too_many_redirects", "http_404", "http_500",
"forbidden_address", "bad_scheme", "bad_url", "dns_error", "tls_error",
"connection_error", "decode_error", "unsupported_encoding", "host_busy").

Limits on everything:

* connect and per-read timeouts, plus a total deadline per fetch enforced by a
  watchdog timer that shuts the socket down, so a server trickling one byte a
  second (in the headers or the body) cannot hold us past ``total_timeout``;
* a byte cap on the raw stream and again on the gzip/deflate-decoded body,
  decoded incrementally with ``max_length`` so a bomb never inflates in memory;
* redirects followed by hand, at most ``max_redirects``, each hop re-checked;
* retries with exponential backoff on connection errors, 5xx and 429,
  honouring ``Retry-After`` (capped by ``max_retry_after``);
* at most ``per_host_concurrency`` requests in flight per host in the process.

Security: only http and https. Unless ``allow_private_hosts`` is set, a host
that resolves to a loopback, private, link-local, multicast, reserved,
unspecified or cloud-metadata address is refused. The name is resolved once
per connection, every address is vetted, the socket connects to a vetted
address (never re-resolving), and the peer address of the connected socket is
checked again, so DNS rebinding between check and connect cannot slip through.
TLS still verifies the certificate against the host name.

Public: ``FetchConfig``, ``FetchResult``, ``Fetcher``, ``forbidden_reason``,
``parse_retry_after``.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import email.utils
import ipaddress
import logging
import random
import socket
import threading
import time
import zlib
from typing import Callable, Mapping, Optional, Sequence
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

__all__ = ["FetchConfig", "FetchResult", "Fetcher", "forbidden_reason", "parse_retry_after"]

logger = logging.getLogger(__name__)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024
_DRAIN_LIMIT = 64 * 1024

# Addresses that serve instance credentials on cloud VMs. Most are already
# link-local or private; the public-looking ones (Azure's wire server) are why
# this list exists. They are refused even when listed in ``allowed_networks``.
_METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",   # AWS, GCP, Azure, OpenStack, DigitalOcean
    "169.254.170.2",     # AWS ECS task metadata
    "169.254.169.253",   # AWS DNS
    "168.63.129.16",     # Azure wire server
    "100.100.100.200",   # Alibaba Cloud
    "192.0.0.192",       # Oracle Cloud
    "fd00:ec2::254",     # AWS IMDS over IPv6
    "fd00:ec2::23",      # AWS DNS over IPv6
))

# Special-purpose ranges (RFC 6890 and successors). ``ipaddress`` flags most of
# them, but its tables differ between Python patch releases, so be explicit.
_FORBIDDEN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclasses.dataclass(frozen=True)
class FetchConfig:
    """Limits and manners of a ``Fetcher``.

    Attributes:
        connect_timeout: Seconds to establish a TCP (and TLS) connection.
        read_timeout: Seconds any single socket read may wait for data.
        body_stall_timeout: Seconds a body that has started may pause (at most
            ``read_timeout``). A server that sends less than its Content-Length and
            keeps the connection open looks like a pause that never ends: it is
            given up on after this, not after the full ``read_timeout``.
        total_timeout: Wall-clock seconds for one ``fetch`` including redirects,
            retries and their waits (time queued behind ``per_host_concurrency``
            is bounded separately, by the same number).
        max_bytes: Cap on the raw body and, separately, on the decoded body.
        max_redirects: Redirect hops followed before "too_many_redirects".
        retries: Extra attempts after a connection error, 5xx or 429.
        backoff_base: First backoff in seconds; doubles each retry.
        max_retry_after: Longest ``Retry-After`` wait honoured, in seconds.
        user_agent: Sent on every request.
        per_host_concurrency: Requests in flight per host name, per process.
        allow_private_hosts: Disable the private/loopback/metadata address
            refusal (tests, intranet feeds).
        allowed_networks: Addresses or CIDR blocks exempt from the refusal while
            it stays on for everything else (e.g. ``("10.1.2.0/24",)`` for one
            intranet feed server, ``("127.0.0.1/32",)`` in tests).
        ca_certs: PEM bundle of CAs to trust instead of certifi's (a private
            CA in front of intranet feeds; tests).
    """

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    body_stall_timeout: float = 5.0
    total_timeout: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 0.5
    max_retry_after: float = 30.0
    user_agent: str = "storywire/0.1 (+https://github.com/storywire/storywire)"
    per_host_concurrency: int = 2
    allow_private_hosts: bool = False
    allowed_networks: tuple = ()
    ca_certs: Optional[str] = None

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout", "body_stall_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FetchConfig.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_bytes", "per_host_concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"FetchConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("max_redirects", "retries", "backoff_base", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchConfig.{name} must be >= 0, got {getattr(self, name)!r}")
        # Parse now so a typo fails at construction, not on the first request.
        object.__setattr__(self, "allowed_networks", tuple(
            str(ipaddress.ip_network(n, strict=False)) for n in self.allowed_networks))


@dataclasses.dataclass
class FetchResult:
    """What one ``Fetcher.fetch`` produced.

    Attributes:
        url_requested: The URL passed to ``fetch``.
        final_url: The URL of the last hop (after redirects).
        status: The last HTTP status seen, or None when no response arrived.
        headers: The last response's headers, names lower-cased.
        body: The decoded body (b"" on errors and on 304).
        error_reason: None on success (2xx or 304), else a short reason.
        detail: Human-readable detail for logs and the errors table.
        attempts: HTTP exchanges made, redirects and retries included.
        elapsed: Seconds spent in those exchanges and the waits between retries
            (not in waiting for a free slot for the host).
    """

    url_requested: str
    final_url: str
    status: Optional[int]
    headers: dict
    body: bytes
    error_reason: Optional[str]
    detail: str = ""
    attempts: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True for a usable answer: 2xx with a body, or 304 Not Modified."""
        return self.error_reason is None

    @property
    def not_modified(self) -> bool:
        """True when a conditional GET found the resource unchanged."""
        return self.error_reason is None and self.status == 304


# --------------------------------------------------------------------------- addresses


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list:
    """IPv4 addresses an IPv6 address tunnels to (mapped, 6to4, Teredo, NAT64)."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def forbidden_reason(address: str, allowed_networks: Sequence[str] = ()) -> Optional[str]:
    """Why a fetch must not connect to ``address``, or None when it may.

    Args:
        address: An IPv4 or IPv6 address (an IPv6 zone suffix is ignored).
        allowed_networks: CIDR blocks exempt from the check (metadata
            addresses stay forbidden).

    Returns:
        None, or a short reason: "metadata", "loopback", "private",
        "link_local", "multicast", "reserved", "unspecified", "not_global",
        "unparseable".
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unparseable"
    if ip in _METADATA_ADDRESSES:
        return "metadata"
    if any(ip in ipaddress.ip_network(n) for n in allowed_networks):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(ip):
            reason = forbidden_reason(str(inner))
            if reason:
                return f"{reason}_embedded"
    for attr, reason in (("is_unspecified", "unspecified"), ("is_loopback", "loopback"),
                         ("is_link_local", "link_local"), ("is_multicast", "multicast"),
                         ("is_private", "private"), ("is_reserved", "reserved")):
        if getattr(ip, attr):
            return reason
    if any(ip.version == net.version and ip in net for net in _FORBIDDEN_NETWORKS):
        return "reserved"
    if not ip.is_global:
        return "not_global"
    return None


class ForbiddenAddressError(HTTPError):
    """A host resolved to, or a socket reached, an address we refuse.

    Subclasses urllib3's ``HTTPError`` (not ``OSError``) so urllib3 lets it
    propagate unwrapped instead of treating it as a retryable socket error.
    """


Resolver = Callable[[str], Sequence[str]]


class _AddressGuard:
    """Resolves host names once, vets every address, vets the connected peer."""

    def __init__(self, config: FetchConfig, resolver: Optional[Resolver]):
        self.allow_private = config.allow_private_hosts
        self.allowed = config.allowed_networks
        self.connect_timeout = config.connect_timeout
        self._resolver = resolver
        # getaddrinfo cannot be interrupted; running it in a pool lets a fetch
        # give up at its deadline while a hung lookup finishes in the background.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="storywire-dns")

    def vet(self, address: str, host: str) -> None:
        if self.allow_private:
            return
        reason = forbidden_reason(address, self.allowed)
        if reason:
            raise ForbiddenAddressError(f"{host} -> {address} refused ({reason})")

    def _lookup(self, host: str, port: int) -> list:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is None and self._resolver is not None:
            addresses = list(self._resolver(host))
        else:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [info[4][0] for info in infos]
        seen, ordered = set(), []
        for address in addresses:
            if address not in seen:
                seen.add(address)
                ordered.append(address)
        return ordered

    def resolve(self, host: str, port: int, timeout: float) -> list:
        """Return vetted ``(family, sockaddr)`` pairs for ``host:port``.

        Raises:
            ForbiddenAddressError: when ANY address is forbidden; a name that
                mixes public and private answers is treated as hostile.
            socket.gaierror: resolution failed.
            TimeoutError: resolution exceeded ``timeout``.
        """
        future = self._pool.submit(self._lookup, host, port)
        try:
            addresses = future.result(timeout=max(timeout, 0.001))
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"resolving {host} took over {timeout:.1f}s") from exc
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
        for address in addresses:
            self.vet(address, host)
        pairs = []
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if ip.version == 6:
                pairs.append((socket.AF_INET6, (address, port, 0, 0)))
            else:
                pairs.append((socket.AF_INET, (address, port)))
        return pairs

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------- deadline


_local = threading.local()


class _Watchdog:
    """Shuts down the sockets of one attempt when its deadline passes.

    Socket timeouts bound each read, not their sum; this bounds the sum. The
    pool registers every connection it hands out while a watchdog is active on
    the calling thread (see ``_GuardedPoolMixin``).
    """

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._conns: list = []
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def register(self, conn) -> None:
        with self._lock:
            self._conns.append(conn)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:
                # The base-class call works on the raw descriptor even for an
                # SSLSocket, without touching TLS state another thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "_Watchdog":
        _local.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
        _local.watchdog = None


# --------------------------------------------------------------------------- urllib3 plumbing


class _GuardedConnectionMixin:
    """Connects only to vetted addresses; set ``guard`` on a subclass."""

    guard: _AddressGuard

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else self.guard.connect_timeout
        watchdog = getattr(_local, "watchdog", None)
        budget = watchdog.remaining() if watchdog else timeout
        try:
            pairs = self.guard.resolve(host, port, min(timeout, budget))
        except socket.gaierror as exc:
            # The name as resolved: urllib3's ``host`` has lost a trailing dot ("localhost.").
            raise NameResolutionError(host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, str(exc)) from exc
        last_error: Exception = NewConnectionError(self, f"no usable address for {host}")
        for family, sockaddr in pairs:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                # Defence in depth: vet the address the kernel actually reached.
                self.guard.vet(sock.getpeername()[0], host)
                return sock
            except ForbiddenAddressError:
                sock.close()
                raise
            except socket.timeout as exc:
                sock.close()
                last_error = ConnectTimeoutError(self, f"connecting to {sockaddr[0]} timed out")
                last_error.__cause__ = exc
            except OSError as exc:
                sock.close()
                last_error = NewConnectionError(self, f"failed to connect to {sockaddr[0]}: {exc}")
                last_error.__cause__ = exc
        raise last_error


class _GuardedPoolMixin:
    """Registers every connection handed out with the thread's watchdog."""

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        watchdog = getattr(_local, "watchdog", None)
        if watchdog is not None:
            watchdog.register(conn)
        return conn


def _build_pool_manager(config: FetchConfig, guard: _AddressGuard) -> urllib3.PoolManager:
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, urllib3.connection.HTTPConnection),
                     {"guard": guard})
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, urllib3.connection.HTTPSConnection),
                      {"guard": guard})
    http_pool = type("GuardedHTTPConnectionPool", (_GuardedPoolMixin, urllib3.HTTPConnectionPool),
                     {"ConnectionCls": http_conn})
    https_pool = type("GuardedHTTPSConnectionPool", (_GuardedPoolMixin, urllib3.HTTPSConnectionPool),
                      {"ConnectionCls": https_conn})
    kwargs = {}
    if config.ca_certs:
        kwargs["ca_certs"] = config.ca_certs
    else:
        try:
            import certifi  # requests' CA bundle; the system store may be missing in slim images
            kwargs["ca_certs"] = certifi.where()
        except ImportError:
            pass
    manager = urllib3.PoolManager(num_pools=64, maxsize=max(config.per_host_concurrency, 1), block=False,
                                  retries=False, **kwargs)
    manager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
    return manager


class _HostSlots:
    """One bounded semaphore per host name, created on first use."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._slots: dict = {}

    def acquire(self, host: str, timeout: float) -> bool:
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.limit)
        return slot.acquire(timeout=max(timeout, 0.0))

    def release(self, host: str) -> None:
        with self._lock:
            slot = self._slots[host]
        slot.release()


_SHARED_SLOTS: dict = {}
_SHARED_SLOTS_LOCK = threading.Lock()


def _shared_host_slots(limit: int) -> _HostSlots:
    # Beam may run several DoFn instances (one Fetcher each) in one process;
    # sharing the semaphores makes the per-host limit hold for the process.
    with _SHARED_SLOTS_LOCK:
        slots = _SHARED_SLOTS.get(limit)
        if slots is None:
            slots = _SHARED_SLOTS[limit] = _HostSlots(limit)
        return slots


# --------------------------------------------------------------------------- body decoding


class _TooLarge(Exception):
    pass


class _DecodeBomb(Exception):
    pass


class _Unsupported(Exception):
    pass


class _BoundedDecoder:
    """Incremental gzip/deflate decoding that stops past ``limit`` bytes.

    ``decompress(data, max_length)`` never produces more than asked for, so a
    10 KB chunk of a gzip bomb costs at most ``limit`` bytes of memory.
    """

    def __init__(self, encodings: Sequence[str], limit: int):
        self.limit = limit
        self.size = 0
        self._parts: list = []
        self._stages = list(reversed(encodings))  # applied last-first
        self._objs = [self._new(enc) for enc in self._stages]
        self._deflate_sniffed = [False] * len(self._stages)

    @staticmethod
    def _new(encoding: str):
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS)  # deflate: zlib-wrapped first, raw on failure

    def _stage(self, index: int, data: bytes, budget: int) -> bytes:
        obj = self._objs[index]
        out = []
        produced = 0
        while data:
            try:
                chunk = obj.decompress(data, budget - produced + 1)
            except zlib.error:
                if self._stages[index] == "deflate" and not self._deflate_sniffed[index]:
                    # Many servers send raw DEFLATE under "deflate"; retry as raw.
                    self._deflate_sniffed[index] = True
                    obj = self._objs[index] = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._deflate_sniffed[index] = True
            produced += len(chunk)
            out.append(chunk)
            if produced > budget:
                raise _DecodeBomb()
            if obj.eof and obj.unused_data:
                if not obj.unused_data.startswith(b"\x1f\x8b"):
                    break  # trailing junk after the stream: ignored, as browsers do
                # Concatenated gzip members are legal; start the next one.
                data = obj.unused_data
                obj = self._objs[index] = self._new(self._stages[index])
            else:
                data = obj.unconsumed_tail
        return b"".join(out)

    def feed(self, raw: bytes) -> None:
        data = raw
        for index in range(len(self._stages)):
            data = self._stage(index, data, self.limit - self.size)
        self.size += len(data)
        if self.size > self.limit:
            raise _DecodeBomb()
        self._parts.append(data)

    def result(self) -> bytes:
        for index, obj in enumerate(self._objs):
            tail = obj.flush()
            # Pass what one stage flushes through the stages after it.
            for later in range(index + 1, len(self._objs)):
                tail = self._stage(later, tail, self.limit - self.size)
            self.size += len(tail)
            if self.size > self.limit:
                raise _DecodeBomb()
            self._parts.append(tail)
        return b"".join(self._parts)


def _content_encodings(value: str) -> list:
    encodings = [e.strip().lower() for e in (value or "").split(",") if e.strip()]
    return [e for e in encodings if e != "identity"]


# --------------------------------------------------------------------------- helpers


def parse_retry_after(value: Optional[str], now: Optional[dt.datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Returns:
        Non-negative seconds, or None when the header is absent or unparseable.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _find_cause(exc: BaseException, kind: type) -> Optional[BaseException]:
    """Find an exception of ``kind`` in ``exc``'s cause/context/reason chain."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if not isinstance(current, BaseException):
            continue  # e.g. an SSL error's ``reason`` is a string
        if isinstance(current, kind):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return None


@dataclasses.dataclass
class _Attempt:
    status: Optional[int] = None
    headers: dict = dataclasses.field(default_factory=dict)
    body: bytes = b""
    error: Optional[str] = None
    detail: str = ""
    retryable: bool = False
    retry_after: Optional[float] = None


def _lower_headers(headers) -> dict:
    return {name.lower(): headers[name] for name in headers}


# --------------------------------------------------------------------------- Fetcher


class Fetcher:
    """Fetches URLs within ``FetchConfig`` limits; thread-safe, one pool per instance.

    Args:
        config: Limits and manners; ``FetchConfig()`` when None.
        resolver: Optional ``host -> [address, ...]`` replacing DNS for host
            names (literal IPs bypass it). For tests and split-horizon setups;
            its answers are vetted like DNS answers.

    Example:
        >>> fetcher = Fetcher(FetchConfig(total_timeout=10))
        >>> result = fetcher.fetch("https://feeds.bbci.co.uk/news/rss.xml")
        >>> result.ok, result.status, len(result.body)
    """

    def __init__(self, config: Optional[FetchConfig] = None, resolver: Optional[Resolver] = None):
        self.config = config or FetchConfig()
        self._guard = _AddressGuard(self.config, resolver)
        self._manager = _build_pool_manager(self.config, self._guard)
        self._slots = _shared_host_slots(self.config.per_host_concurrency)

    def close(self) -> None:
        """Release pooled connections and the resolver threads."""
        self._manager.clear()
        self._guard.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _headers(self, extra: Optional[Mapping[str, str]]) -> dict:
        headers = {
            "User-Agent": self.config.user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        }
        for name, value in (extra or {}).items():
            if value is None:
                continue
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
            headers[name] = value
        # We decode only what we can bound; never let a caller widen this.
        headers = {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}
        headers["Accept-Encoding"] = "gzip, deflate"
        return headers

    @staticmethod
    def _check_url(url: str) -> Optional[tuple]:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            return "bad_url", str(exc)
        if parts.scheme.lower() not in ("http", "https"):
            return "bad_scheme", f"scheme {parts.scheme!r} is not http(s)"
        if not parts.hostname:
            return "bad_url", "no host"
        if parts.username is not None or parts.password is not None:
            return "bad_url", "credentials in URL"
        return None

    def fetch(self, url: str, headers: Optional[Mapping[str, str]] = None,
              timeout: Optional[float] = None) -> FetchResult:
        """GET ``url`` within the configured limits; never raises for network trouble.

        Args:
            url: An http(s) URL.
            headers: Extra request headers, e.g. ``If-None-Match`` and
                ``If-Modified-Since`` for a conditional GET, or ``Accept``.
            timeout: Seconds for this fetch when fewer than ``total_timeout``
                (what is left of a caller's own budget).

        Returns:
            A ``FetchResult``; ``error_reason`` is None for 2xx and 304.
        """
        cfg = self.config
        request_headers = self._headers(headers)
        remaining = cfg.total_timeout if timeout is None else max(0.0, min(cfg.total_timeout, timeout))
        limit = remaining
        current = url
        hops = 0
        retry = 0
        attempts = 0
        elapsed = 0.0
        last = _Attempt()

        def result(attempt: _Attempt, reason: Optional[str] = None, detail: str = "") -> FetchResult:
            return FetchResult(url_requested=url, final_url=current, status=attempt.status,
                               headers=attempt.headers,
                               body=attempt.body if (reason or attempt.error) is None else b"",
                               error_reason=reason or attempt.error, detail=detail or attempt.detail,
                               attempts=attempts, elapsed=elapsed)

        while True:
            bad = self._check_url(current)
            if bad:
                return result(last, bad[0], f"{current}: {bad[1]}")
            if remaining <= 0:
                return result(last, "timeout", f"total_timeout {limit:g}s spent")
            host = urlsplit(current).hostname.lower()
            if not self._slots.acquire(host, limit):
                return result(last, "host_busy", f"no free slot for {host} in {limit:g}s")
            started = time.monotonic()
            try:
                attempts += 1
                last = self._attempt(current, request_headers, remaining)
            except Exception as exc:  # noqa: BLE001 - the no-raise contract beats a bug here
                logger.exception("unexpected error fetching %s", current)
                last = _Attempt(error="connection_error", detail=f"unexpected: {exc!r}"[:300])
            finally:
                self._slots.release(host)
                remaining -= time.monotonic() - started
                elapsed += time.monotonic() - started

            if last.error and last.retryable and retry < cfg.retries:
                delay = cfg.backoff_base * (2 ** retry) * (1.0 + 0.2 * random.random())
                if last.retry_after is not None:
                    delay = min(last.retry_after, cfg.max_retry_after)
                if delay >= remaining:
                    return result(last, detail=f"{last.detail}; no time left to retry after {delay:.1f}s")
                logger.debug("retrying %s in %.2fs after %s", current, delay, last.error)
                time.sleep(delay)
                remaining -= delay
                elapsed += delay
                retry += 1
                continue
            if last.error:
                return result(last)
            if last.status in _REDIRECT_STATUSES:
                location = last.headers.get("location")
                if not location:
                    return result(last, f"http_{last.status}", "redirect without Location")
                hops += 1
                if hops > cfg.max_redirects:
                    return result(last, "too_many_redirects", f"more than {cfg.max_redirects} redirects, "
                                                              f"last to {location[:200]}")
                current = urljoin(current, location.strip())
                retry = 0
                continue
            return result(last)

    def _attempt(self, url: str, headers: Mapping[str, str], remaining: float) -> _Attempt:
        """One HTTP exchange (no redirects, no retries), bounded by ``remaining`` seconds."""
        cfg = self.config
        timeout = urllib3.Timeout(connect=min(cfg.connect_timeout, remaining),
                                  read=min(cfg.read_timeout, remaining))
        response = None
        with _Watchdog(remaining) as watchdog:
            try:
                response = self._manager.urlopen("GET", url, headers=dict(headers), redirect=False,
                                                 retries=False, preload_content=False,
                                                 decode_content=False, timeout=timeout)
                attempt = _Attempt(status=response.status, headers=_lower_headers(response.headers))
                if response.status in _REDIRECT_STATUSES or response.status == 304:
                    return attempt
                if not 200 <= response.status < 300:
                    attempt.error = f"http_{response.status}"
                    attempt.detail = f"HTTP {response.status} {response.reason or ''}".strip()
                    attempt.retryable = response.status in _RETRY_STATUSES
                    if response.status in (429, 503):
                        attempt.retry_after = parse_retry_after(attempt.headers.get("retry-after"))
                    return attempt
                attempt.body = self._read_body(response, attempt.headers, watchdog)
                return attempt
            except _TooLarge as exc:
                return _Attempt(status=getattr(response, "status", None), error="too_large", detail=str(exc),
                                headers=_lower_headers(response.headers) if response is not None else {})
            except _DecodeBomb:
                return _Attempt(status=response.status, error="decode_bomb", headers=_lower_headers(response.headers),
                                detail=f"decoded body exceeds {cfg.max_bytes} bytes")
            except zlib.error as exc:
                return _Attempt(status=response.status, error="decode_error", detail=f"bad compressed body: {exc}")
            except ValueError as exc:
                if isinstance(exc, LocationParseError) or response is None:
                    return _Attempt(error="bad_url", detail=str(exc)[:300])
                return self._classify(exc, url, watchdog, response)
            except Exception as exc:  # noqa: BLE001 - any network failure becomes a value
                return self._classify(exc, url, watchdog, response)
            finally:
                if response is not None:
                    self._finish(response)

    def _read_body(self, response, headers: Mapping[str, str], watchdog: _Watchdog) -> bytes:
        cfg = self.config
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > cfg.max_bytes:
            raise _TooLarge(f"Content-Length {int(length)} exceeds {cfg.max_bytes} bytes")
        encodings = _content_encodings(headers.get("content-encoding", ""))
        unknown = [e for e in encodings if e not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise _Unsupported(f"Content-Encoding {', '.join(unknown)}")
        decoder = _BoundedDecoder(encodings, cfg.max_bytes)
        raw_size = 0
        sock = getattr(response.connection, "sock", None) if response.connection else None
        while True:
            left = watchdog.remaining()
            if left <= 0 or watchdog.expired:
                raise socket.timeout("total deadline reached while reading the body")
            wait = cfg.read_timeout if raw_size == 0 else min(cfg.read_timeout, cfg.body_stall_timeout)
            if sock is not None:
                try:
                    sock.settimeout(min(wait, left))
                except OSError:
                    pass
            try:
                chunk = response.read1(_CHUNK, decode_content=False)
            except (ReadTimeoutError, socket.timeout) as exc:
                if raw_size and length.strip().isdigit() and not watchdog.expired:
                    raise socket.timeout(f"body stopped at {raw_size} of {int(length)} bytes (Content-Length) "
                                         f"for {min(wait, left):g}s") from exc
                raise
            if not chunk:
                break
            raw_size += len(chunk)
            if raw_size > cfg.max_bytes:
                raise _TooLarge(f"body exceeds {cfg.max_bytes} bytes")
            decoder.feed(chunk)
        if watchdog.expired:
            raise socket.timeout("total deadline reached while reading the body")
        return decoder.result()

    def _classify(self, exc: Exception, url: str, watchdog: _Watchdog, response) -> _Attempt:
        status = getattr(response, "status", None)
        headers = _lower_headers(response.headers) if response is not None else {}
        forbidden = _find_cause(exc, ForbiddenAddressError)
        if forbidden is not None:
            return _Attempt(error="forbidden_address", detail=str(forbidden))
        if isinstance(exc, _Unsupported):
            return _Attempt(status=status, headers=headers, error="unsupported_encoding", detail=str(exc))
        if watchdog.expired:
            return _Attempt(status=status, headers=headers, error="timeout",
                            detail=f"total_timeout {self.config.total_timeout:g}s reached")
        failed = _find_cause(exc, NameResolutionError)
        if failed is not None:
            cause = failed.__cause__ or failed
            host = urlsplit(url).hostname or "?"
            return _Attempt(error="dns_error", detail=f"Failed to resolve {host!r} ({cause})"[:300], retryable=True)
        if isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError):
            return _Attempt(error="timeout", detail=f"connect: {exc}"[:300], retryable=True)
        if isinstance(exc, (ReadTimeoutError, socket.timeout)) or _find_cause(exc, ReadTimeoutError) is not None \
                or _find_cause(exc, socket.timeout) is not None:
            # A server that accepted and then stalled will likely stall again.
            return _Attempt(status=status, headers=headers, error="timeout", detail=f"read: {exc}"[:300])
        if isinstance(exc, SSLError) or _find_cause(exc, SSLError) is not None:
            return _Attempt(error="tls_error", detail=str(exc)[:300])
        if isinstance(exc, (NewConnectionError, ProtocolError, OSError, HTTPError)) or \
                _find_cause(exc, OSError) is not None:
            return _Attempt(status=status, headers=headers, error="connection_error", detail=str(exc)[:300],
                            retryable=True)
        if isinstance(exc, Exception) and type(exc).__module__.startswith(("http.client", "urllib3")):
            return _Attempt(status=status, headers=headers, error="connection_error", detail=str(exc)[:300],
                            retryable=True)
        logger.warning("unexpected error fetching %s: %r", url, exc)
        return _Attempt(status=status, headers=headers, error="connection_error", detail=repr(exc)[:300])

    @staticmethod
    def _finish(response) -> None:
        """Return a cleanly finished connection to the pool; drop any other."""
        try:
            left = response.length_remaining
            if not response.closed and left is not None and left <= _DRAIN_LIMIT:
                # A small known-length remainder (redirect/error page, 304) is
                # cheaper to read than a new TCP+TLS handshake next time.
                response.read(decode_content=False)
            if not response.closed:
                conn = response.connection
                response.close()
                if conn is not None:
                    conn.close()
            response.release_conn()
        except Exception:  # noqa: BLE001 - cleanup must never mask the result
            logger.debug("error releasing connection", exc_info=True)
            try:
                response.close()
            except Exception:  # noqa: BLE001
                pass
