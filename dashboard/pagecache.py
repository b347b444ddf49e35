"""The cockpit's whole page from the cache, with its personal parts filled in per request.

A page is rendered once per scope, filters, language, day and rollup run (dashboard.scope) with
slots where it is personal: the navigation bar, the alerts and the CSRF token. They all sit in
its first few kilobytes, so the page is kept in two parts: the `head` with the slots, and the
`tail`, the cockpit itself, compressed once when it is cached. A request fills the head's slots,
compresses that small head, and sends it followed by the tail's compressed bytes: one gzip
stream whose two parts were compressed apart (each part's deflate data stands alone after a
full flush, as parallel gzip tools do), so a cached render compresses a few kilobytes instead of
the whole page. docs/decisions/0033 says why compressing the page is safe (BREACH).
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import DEFAULT_CACHE_ALIAS, cache
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile
from django.utils.translation import get_language

from dashboard.scope import scope_cache_key
from dashboard.services import VERSION_KEY, failed_runs
from portal.access import is_admin
from portal.backends import prefetched, user_cache_key

NAV_SLOT = "<!--cockpit:navbar-->"
ALERT_SLOT = "<!--cockpit:alerts-->"
CSRF_SLOT = "cockpit-csrf-slot"
# The navigation bar of one user on one page, reused this long: its inbox badge and bell may lag
# a change by as much on the cockpit (the other pages render it afresh).
NAV_CACHE_SECONDS = 15
LEVEL = 6  # the tail, compressed once per page
# The personal head (about 5 KB, compressed on every request): an 8 KB window, and zlib's fastest
# level, 29 µs against 55 at level 6 for 150 bytes more on the wire (bench/README.md).
HEAD_LEVEL, HEAD_WBITS, HEAD_MEMLEVEL = 1, 13, 6
accepts_gzip = _lazy_re_compile(r"\bgzip\b")
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time


@dataclass(frozen=True)
class CachedPage:
    version: tuple  # the rollup run it shows (number, finish time)
    status: int
    head: str  # with the slots
    tail: bytes  # UTF-8, no slot in it
    tail_deflated: bytes  # raw deflate of `tail`, final block included

    @classmethod
    def build(cls, version: tuple, status: int, page: str) -> CachedPage:
        cut = page.index(ALERT_SLOT) + len(ALERT_SLOT)
        head, tail = page[:cut], page[cut:].encode()
        if any(slot in page[cut:] for slot in (NAV_SLOT, ALERT_SLOT, CSRF_SLOT)):
            head, tail = page, b""  # a slot below the cut: keep the page whole
        compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        deflated = compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
        return cls(version, status, head, tail, deflated)


def nav_key(request, user_id=None) -> str:
    user_id = request.user.pk if user_id is None else user_id
    return f"dashboard:nav:{user_id}:{get_language()}:{request.get_full_path()}"


# --- one round trip for the whole cached page ---------------------------------------------------
#
# A cached cockpit request reads the session, then the signed-in user's row, then the version,
# the page and the navigation bar: three round trips to the cache, each waiting for the one
# before (the user's id is in the session; the page's key needs the user's scope). A browser
# that was shown the cockpit keeps a hint of who it showed it to (HINT_COOKIE: the user's id and
# scope name), so that the next request reads all five in one trip. The hint is never trusted:
# the session alone says who is signed in (Django checks its hash against the row as always),
# and the page is used only when the key computed from the signed-in user's own scope is the
# one the hint pointed at. A wrong, stale or forged hint costs the ordinary trips, nothing else.

HINT_COOKIE = "pmc_cockpit"
_HINT = _lazy_re_compile(r"(\d{1,12}):([\w:/.-]{1,200})", re.ASCII)


# The pages this process has read, by key (at most LOCAL_PAGES): a request whose hint names one
# leaves the page out of its round trip and takes this copy if the version read in the same trip
# says it is still current, so it moves a few hundred bytes from Redis instead of the page's
# forty kilobytes. Never used without that check, so any process may still serve any request; a
# new run costs each process one more read of the shared copy.
LOCAL_PAGES = 64
_local: dict[str, CachedPage] = {}
_local_lock = threading.Lock()


def local_page(key: str) -> CachedPage | None:
    return _local.get(key)


def keep_local(key: str, page: CachedPage) -> None:
    """Keep `page` (or keep it longer): the least recently used goes first."""
    with _local_lock:
        _local.pop(key, None)
        while len(_local) >= LOCAL_PAGES:
            _local.pop(next(iter(_local)))
        _local[key] = page


def forget_local() -> None:
    with _local_lock:
        _local.clear()


@dataclass(frozen=True)
class Prefetch:
    page_key: str
    nav_key: str
    found: dict  # the version, the page and the navigation bar that were there
    page_read: bool  # False: left out for this process's own copy


def prefetch(request, today) -> Prefetch | None:
    """Read the session, the hinted user's row, the version, the page and the navigation bar
    in one round trip, and sign the request's user in from them (see above)."""
    hint = _HINT.fullmatch(request.COOKIES.get(HINT_COOKIE, ""))
    session = getattr(request, "session", None)
    if (hint is None or not isinstance(session, SessionStore)
            or settings.SESSION_CACHE_ALIAS != DEFAULT_CACHE_ALIAS
            or session.session_key is None or hasattr(session, "_session_cache")):  # fmt: skip
        return None
    user_id, scope = int(hint[1]), hint[2]
    page_key = scope_cache_key("page", scope, request.GET, today)
    user_nav_key = nav_key(request, user_id)
    keys = [session.cache_key, user_cache_key(user_id), VERSION_KEY, user_nav_key]
    page_read = page_key not in _local
    if page_read:
        keys.append(page_key)
    found = cache.get_many(keys)
    data = found.pop(session.cache_key, None)
    if data is not None:
        session._session_cache = data  # what cached_db's load() would have read
    with prefetched(user_id, found.pop(user_cache_key(user_id), None)):
        request.user.is_authenticated  # noqa: B018 - Django's get_user, now
    return Prefetch(page_key, user_nav_key, found, page_read)


def leave_hint(request, response, scope: str) -> None:
    """The hint for this browser's next cockpit request (`scope`: the signed-in user's
    `scope_name`), when it has not got it already."""
    value = f"{request.user.pk}:{scope}"
    if request.COOKIES.get(HINT_COOKIE) != value and _HINT.fullmatch(value):
        response.set_cookie(HINT_COOKIE, value, max_age=settings.SESSION_COOKIE_AGE,
                            path=reverse("dashboard:cockpit"), httponly=True, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)  # fmt: skip


_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_CSRF_BASE = len(CSRF_ALLOWED_CHARS)
_CSRF_UNBIASED = 256 - 256 % _CSRF_BASE  # bytes at or past it would favour the first chars


def masked_csrf_token(request) -> str:
    """Django's `get_token`: this response's own mask of the user's CSRF secret (a page that is
    compressed must not carry the same token twice, BREACH). The mask's 32 characters come from
    one `os.urandom` call, where Django draws each with `secrets.choice`, one system call
    apiece: 45 µs of a cached cockpit request (bench/README.md). The masking is Django's own
    arithmetic; a request without a secret yet gets Django's `get_token`, which makes one and
    sets its cookie. Unlike `get_token`, a cookie the browser sent is not sent back to renew its
    expiry (a year): one header less on the most read page; any other page renews it, and a
    browser whose cookie expired gets a new one here. `test_the_cockpits_csrf_token_…` holds
    this to Django's."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    mask = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [b % _CSRF_BASE for b in os.urandom(2 * CSRF_SECRET_LENGTH) if b < _CSRF_UNBIASED]
    mask = mask[:CSRF_SECRET_LENGTH]
    try:
        cipher = "".join(CSRF_ALLOWED_CHARS[(_CSRF_INDEX[char] + m) % _CSRF_BASE]
                         for char, m in zip(secret, mask, strict=True))  # fmt: skip
    except KeyError:  # not a secret Django made: let Django deal with it
        return get_token(request)
    return "".join(CSRF_ALLOWED_CHARS[m] for m in mask) + cipher


def personal_head(request, head: str, nav: str | None) -> tuple[str, str | None]:
    """The head with this request's navigation bar, alerts and CSRF token; and the navigation
    bar to cache when it was rendered now."""
    rendered = None
    if nav is None:
        # With the token's slot, not a token: a bar cached from another of the user's sessions
        # (another browser, or before they signed in again) carries no other session's token.
        nav = rendered = render_to_string("portal/_navbar.html", {"csrf_token": CSRF_SLOT},
                                          request=request)  # fmt: skip
    messages = list(get_messages(request))
    failed = []
    if is_admin(request.user):
        failed = failed_runs()
    alerts = ""
    if messages or failed:
        alerts = render_to_string("dashboard/_alerts.html",
                                  {"failed_runs": failed, "messages": messages})  # fmt: skip
    # This response's own mask of the user's CSRF secret (and the cookie, if new).
    head = (head.replace(NAV_SLOT, nav, 1).replace(ALERT_SLOT, alerts, 1)
            .replace(CSRF_SLOT, masked_csrf_token(request)))  # fmt: skip
    return head, rendered


def respond(request, page: CachedPage, nav: str | None) -> HttpResponse:
    head, rendered = personal_head(request, page.head, nav)
    if rendered is not None:
        cache.set(nav_key(request), rendered, NAV_CACHE_SECONDS)
    head_bytes = head.encode()
    if not accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(head_bytes + page.tail, status=page.status)
    else:
        # The head is a few kilobytes: a small window and hash table, which zlib sets up in a
        # hundredth of the time of its defaults (0.06 ms a request, bench/README.md).
        compressor = zlib.compressobj(HEAD_LEVEL, zlib.DEFLATED, -HEAD_WBITS, HEAD_MEMLEVEL)
        if page.tail:
            deflated = compressor.compress(head_bytes) + compressor.flush(zlib.Z_FULL_FLUSH)
            deflated += page.tail_deflated
        else:
            deflated = compressor.compress(head_bytes) + compressor.flush(zlib.Z_FINISH)
        crc = zlib.crc32(page.tail, zlib.crc32(head_bytes))
        size = (len(head_bytes) + len(page.tail)) & 0xFFFFFFFF
        body = _GZIP_HEADER + deflated + struct.pack("<II", crc, size)
        response = HttpResponse(body, status=page.status)
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
