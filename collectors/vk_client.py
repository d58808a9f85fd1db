"""A thin async wrapper over ``vk_api``: one VkApi per token, our own pacing, timeouts, errors.

vk_api is synchronous and has no timeout, no base-URL setting and an unbounded retry loop on
error 6, so this wrapper (a) runs it in a thread, (b) gives it a ``requests.Session`` that sets a
timeout and can send calls to another host, (c) paces requests per token on the app clock and
(d) sorts VK errors into retry / slow down / give up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
import vk_api
from jconfig.memory import MemoryConfig

from config.clock import Clock

log = logging.getLogger(__name__)

VK_HOSTS = ("https://api.vk.ru/", "https://api.vk.com/")

#: Errors worth retrying after a pause (unknown, internal, too many rps, flood control).
TRANSIENT_CODES = frozenset({1, 6, 9, 10})
#: The token itself is unusable.
TOKEN_FATAL_CODES = frozenset({5, 27, 28})
#: A human must act (captcha, validation).
HUMAN_CODES = frozenset({14, 17})
#: Daily quota of a method is spent.
QUOTA_CODES = frozenset({29})
#: Something about the requested object: closed comments, deleted post, private page.
OBJECT_CODES = frozenset({15, 18, 30, 100, 104, 203, 210, 212})
#: VK answered the request, just not with what was asked: the service itself works.
SERVED_CODES = OBJECT_CODES | QUOTA_CODES


class VkSession(requests.Session):
    """Sets a timeout on every request and optionally sends VK API calls to ``api_base``."""

    def __init__(self, api_base: str | None = None, timeout: float = 10.0) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/") + "/" if api_base else None
        self.timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url_s = url.decode() if isinstance(url, bytes) else url
        if self.api_base is not None:
            for host in VK_HOSTS:
                if url_s.startswith(host):
                    url_s = self.api_base + url_s[len(host) :]
                    break
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url_s, *args, **kwargs)


@dataclass
class VkError(Exception):
    """A VK call that failed for good (after retries where retrying makes sense)."""

    code: int  # VK error code; -1 HTTP/transport failure; -2 malformed body
    message: str
    method: str

    def __str__(self) -> str:
        return f"{self.method}: [{self.code}] {self.message}"

    @property
    def is_object_error(self) -> bool:
        return self.code in OBJECT_CODES


class TokenUnusable(VkError):
    """The token is out of service (revoked, wrong kind, captcha); the call was not made."""


class QuotaExhausted(VkError):
    """The method's daily quota on this token is spent; it is parked until the reset."""


# VK's daily quotas are believed to reset at Moscow midnight (UTC+3 all year since 2014).
MSK = timezone(timedelta(hours=3), "MSK")


def moscow_day(at: datetime) -> str:
    return at.astimezone(MSK).date().isoformat()


def seconds_to_reset(at: datetime) -> float:
    """Seconds until the next Moscow midnight, when daily quotas are assumed to reset."""
    local = at.astimezone(MSK)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - local).total_seconds())


@dataclass
class QuotaBook:
    """Daily per-method call counts of one token, so the collector spends quota by plan.

    VK answers error 29 once a method's daily quota is spent and does not say how much is
    left, so we count ourselves (inner ``execute`` calls included) and persist the counts:
    a restart must not forget that 4,000 ``wall.get`` calls are already gone today.
    """

    limits: dict[str, int]
    day: str = ""
    used: dict[str, int] = field(default_factory=dict)
    parked: set[str] = field(default_factory=set)

    def _roll(self, now: datetime) -> None:
        today = moscow_day(now)
        if today != self.day:
            self.day, self.used, self.parked = today, {}, set()

    def remaining(self, method: str, now: datetime) -> int | None:
        """Calls left today (None: no known quota)."""
        self._roll(now)
        if method in self.parked:
            return 0
        limit = self.limits.get(method)
        return None if limit is None else max(0, limit - self.used.get(method, 0))

    def charge(self, method: str, now: datetime, n: int = 1) -> None:
        self._roll(now)
        if method in self.limits:
            self.used[method] = self.used.get(method, 0) + n

    def park(self, method: str, now: datetime) -> None:
        """VK said 29: no more calls of ``method`` until the reset, whatever we counted."""
        self._roll(now)
        self.parked.add(method)

    def snapshot(self) -> dict[str, Any]:
        return {"day": self.day, "used": dict(self.used), "parked": sorted(self.parked)}

    def restore(self, data: dict[str, Any], now: datetime) -> None:
        """Load persisted counts if they are for today (older days have reset)."""
        if data.get("day") == moscow_day(now):
            self.day = str(data["day"])
            self.used = {str(k): int(v) for k, v in dict(data.get("used", {})).items()}
            self.parked = {str(m) for m in data.get("parked", [])}


@dataclass
class VkHealth:
    """Whether VK serves our requests at all (issue 11: a pass whose requests all failed is
    not a good pass, and health must say so).

    Every HTTP attempt counts: one that VK answered (a result, or an error about the object
    or the quota) resets the streak; a transport failure, a 5xx, a bad body or a token or
    flood error adds to it."""

    last_ok_at: datetime | None = None
    failures_in_row: int = 0
    last_error: str = ""  # method and code, for logs and /healthz
    last_code: int = 0
    last_error_at: datetime | None = None

    def record(self, method: str, code: int, at: datetime) -> None:
        if code == 0 or code in SERVED_CODES:
            self.last_ok_at = at
            self.failures_in_row = 0
        else:
            self.failures_in_row += 1
            self.last_error = f"{method}: [{code}]"
            self.last_code = code
            self.last_error_at = at

    def merge(self, other: VkHealth) -> None:
        """Fold in another client's state: the newest success, the longest running streak."""
        if other.last_ok_at is not None and (
            self.last_ok_at is None or other.last_ok_at > self.last_ok_at
        ):
            self.last_ok_at = other.last_ok_at
        if other.last_error_at is not None and (
            self.last_error_at is None or other.last_error_at > self.last_error_at
        ):
            self.last_error, self.last_error_at = other.last_error, other.last_error_at
            self.last_code = other.last_code
        self.failures_in_row = max(self.failures_in_row, other.failures_in_row)

    def failing_for(self, now: datetime, since: datetime) -> float | None:
        """Seconds without a served request while the latest attempts fail (None: fine);
        ``since`` stands in for the last success when there was none (the start)."""
        if self.failures_in_row == 0:
            return None
        return (now - (self.last_ok_at or since)).total_seconds()


@dataclass(frozen=True)
class TokenProblem:
    """Something about a token that the admins must hear about in Telegram."""

    token_key: str
    token_hint: str
    code: int
    message: str
    fatal: bool  # taken out for good (5, 27, 28) rather than paused (14, 17)


class IntervalLimiter:
    """At most ``rate`` request starts per second of the app clock, evenly spaced.

    Even spacing (rather than a token bucket) keeps every sliding one-second window within the
    limit, which is what VK enforces with error 6.
    """

    def __init__(self, clock: Clock, rate: float, margin: float = 1.03) -> None:
        self._clock = clock
        self._interval = margin / rate
        self._next = clock.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock.monotonic()
            wait = self._next - now
            if wait > 0:
                await self._clock.sleep(wait)
            self._next = max(now, self._next) + self._interval

    def slow_down(self, factor: float = 1.5, cap: float = 10.0) -> None:
        """VK said 6 or 9 although we paced: widen the spacing (up to ``cap`` seconds)."""
        self._interval = min(self._interval * factor, cap)
        self._next = self._clock.monotonic() + self._interval


def token_key(token: str) -> str:
    """A stable, non-secret name for a token (for persisted quota and admin messages)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class VkClient:
    """One token's connection to VK: pacing, quota book, error classes and ``execute``."""

    def __init__(
        self,
        token: str,
        *,
        clock: Clock,
        api_base: str | None = None,
        api_version: str = "5.199",
        rps: float = 3.0,
        timeout: float = 10.0,
        retries: int = 4,
        quotas: dict[str, int] | None = None,
        kind: str = "service",
        group_id: int | None = None,
        rps_margin: float = 1.1,
        human_pause_s: float = 3600.0,
    ) -> None:
        self.key = token_key(token)
        self.token_hint = f"…{token[-4:]}" if len(token) > 4 else "…"
        self.kind = kind
        self.group_id = group_id
        self._clock = clock
        self._retries = retries
        self._human_pause_s = human_pause_s
        self.session = VkSession(api_base, timeout)
        self._vk = vk_api.VkApi(
            token=token, api_version=api_version, session=self.session, config=MemoryConfig
        )
        self._vk.RPS_DELAY = 0  # pacing is ours, on the app clock
        self._vk.error_handlers = {}  # no silent unbounded retries inside vk_api
        self.limiter = IntervalLimiter(clock, rps, margin=rps_margin)
        self.quota = QuotaBook(dict(quotas if quotas is not None else {"wall.get": 5000}))
        self.requests_made = 0
        self.dead_reason: str | None = None
        self.paused_until: datetime | None = None
        self.problems: list[TokenProblem] = []
        self.on_quota_change: Callable[[VkClient], None] | None = None
        #: Called after every HTTP attempt with the method and 0 or the VK error code.
        self.on_call: Callable[[str, int], None] | None = None
        #: Whether ``execute`` may use VKScript ``@.`` projections (off after VK refused one).
        self.projection = True
        self.health = VkHealth()

    def close(self) -> None:
        self.session.close()

    def usable(self) -> bool:
        """Not taken out and not paused for a captcha/validation right now."""
        if self.dead_reason is not None:
            return False
        if self.paused_until is None:
            return True
        if self._clock.now() < self.paused_until:
            return False
        self.paused_until = None
        log.info("VK token %s restored: its pause is over", self.token_hint)
        return True

    def _token_failed(self, err: VkError) -> TokenUnusable:
        fatal = err.code in TOKEN_FATAL_CODES
        if fatal:
            if self.dead_reason is None:
                log.info("VK token %s taken out: error %d", self.token_hint, err.code)
            self.dead_reason = f"[{err.code}] {err.message}"
        else:
            self.paused_until = self._clock.now() + timedelta(seconds=self._human_pause_s)
            log.info(
                "VK token %s paused for %.0f s: error %d",
                self.token_hint,
                self._human_pause_s,
                err.code,
            )
        self.problems.append(TokenProblem(self.key, self.token_hint, err.code, err.message, fatal))
        return TokenUnusable(err.code, err.message, err.method)

    def _report(self, method: str, code: int) -> None:
        self.health.record(method, code, self._clock.now())
        if self.on_call is not None:
            with contextlib.suppress(Exception):  # metrics must never break collection
                self.on_call(method, code)

    async def call(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        """Call ``method``: retries transient failures with jittered backoff.

        Raises :class:`TokenUnusable` (5/27/28 take the token out, 14/17 pause it),
        :class:`QuotaExhausted` (29 parks the method until the reset) or :class:`VkError`
        (per-object errors and exhausted retries).
        """
        if not self.usable():
            raise TokenUnusable(0, self.dead_reason or "token paused", method)
        if self.quota.remaining(method, self._clock.now()) == 0:
            raise QuotaExhausted(29, "daily quota spent (our count)", method)
        delay = 1.0
        for attempt in range(self._retries + 1):
            await self.limiter.acquire()
            self.requests_made += 1
            self.quota.charge(method, self._clock.now())
            try:
                value = await asyncio.to_thread(self._vk.method, method, params, raw=raw)
                self._report(method, 0)
                return value
            except vk_api.ApiError as exc:
                err = VkError(exc.code, str(exc.error.get("error_msg", "")), method)
            except vk_api.Captcha as exc:
                self._report(method, 14)
                raise self._token_failed(VkError(14, "Captcha needed", method)) from exc
            except vk_api.ApiHttpError as exc:
                err = VkError(-1, f"HTTP {exc.response.status_code}", method)
            except (requests.exceptions.JSONDecodeError, ValueError):
                err = VkError(-2, "malformed response body", method)
            except requests.RequestException as exc:
                err = VkError(-1, type(exc).__name__, method)
            except vk_api.VkApiError as exc:
                self._report(method, -2)
                raise VkError(0, str(exc), method) from exc
            finally:
                if self.on_quota_change is not None and method in self.quota.limits:
                    self.on_quota_change(self)
            self._report(method, err.code)
            if err.code in TOKEN_FATAL_CODES or err.code in HUMAN_CODES:
                raise self._token_failed(err)
            if err.code in QUOTA_CODES:
                self.quota.park(method, self._clock.now())
                raise QuotaExhausted(err.code, err.message, method)
            if err.code in (6, 9):
                self.limiter.slow_down()
            retryable = err.code in TRANSIENT_CODES or err.code in (-1, -2)
            if not retryable or attempt == self._retries:
                raise err
            pause = 1.0 if err.code == 6 else delay * (0.5 + random.random())
            if err.code == 9:
                pause = max(pause, 60.0)
            await self._clock.sleep(pause)
            delay = min(delay * 2, 60.0)
        raise AssertionError("unreachable")

    async def execute(
        self,
        calls: Sequence[tuple[str, dict[str, Any]]],
        project: Sequence[tuple[str, ...] | None] | None = None,
        *,
        columns: bool = False,
    ) -> list[Any]:
        """Run up to 25 calls in one request; each result is the value or a :class:`VkError`.

        Each call's result goes to a variable in call order (``var a0 = API.m({json});``), so
        ``execute_errors`` stay in call order and the n-th failed call takes the n-th error.
        ``project[i]`` (field names) asks VK to return only those fields of call i's
        ``items`` — VKScript's ``@.`` operator (``a0.items@.id``), so a comment-count check of
        2,500 posts answers with ids and counts instead of whole posts; the arrays come back
        zipped into ``{"items": [{field: value}, ...]}``.  A failed call is ``false`` (plain)
        or ``[null, ...]`` (projected).  If VK refuses the projected code (error 12/13), the
        client falls back to whole objects for good.  Inner calls count against daily quotas.
        ``columns``: projected results stay as ``{"columns": {field: [value, ...]}}`` (no
        object per item; a count check of 2,500 posts is the collector's hot path).
        """
        if not calls:
            return []
        if len(calls) > 25:
            raise ValueError("execute takes at most 25 calls")
        now = self._clock.now()
        charged = False
        for method, _ in calls:
            if method in self.quota.limits:
                self.quota.charge(method, now)
                charged = True
        if charged and self.on_quota_change is not None:
            self.on_quota_change(self)
        fields = list(project) if project is not None and self.projection else [None] * len(calls)
        if len(fields) != len(calls):
            raise ValueError("one projection (or None) per call")
        code = execute_code(calls, fields)
        try:
            body = await self.call("execute", {"code": code}, raw=True)
        except VkError as exc:
            if exc.code not in (12, 13) or not any(fields):
                raise
            self.projection = False
            log.info(
                "VKScript projection refused on token %s: error %d, whole posts from now on",
                self.token_hint,
                exc.code,
            )
            code = execute_code(calls, [None] * len(calls))
            fields = [None] * len(calls)
            body = await self.call("execute", {"code": code}, raw=True)
        return self._map_execute(calls, body, fields, columns=columns)

    def _map_execute(
        self,
        calls: Sequence[tuple[str, dict[str, Any]]],
        body: Any,
        fields: Sequence[tuple[str, ...] | None] | None = None,
        *,
        columns: bool = False,
    ) -> list[Any]:
        if not isinstance(body, dict) or not isinstance(body.get("response"), list):
            raise VkError(-2, "malformed execute response", "execute")
        results: list[Any] = list(body["response"])
        if len(results) != len(calls):
            raise VkError(-2, "execute returned a wrong number of results", "execute")
        errors = iter(body.get("execute_errors") or [])
        now = self._clock.now()
        out: list[Any] = []
        for (method, _), result, proj in zip(
            calls, results, fields or [None] * len(calls), strict=True
        ):
            if proj is not None:
                result = _unproject(result, proj, columns=columns)
            if result is not False:
                out.append(result)
                continue
            e = next(errors, None) or {}
            err = VkError(int(e.get("error_code", 0)), str(e.get("error_msg", "")), method)
            if err.code in QUOTA_CODES:
                self.quota.park(method, now)
            elif err.code in TOKEN_FATAL_CODES:
                self._token_failed(err)
            out.append(err)
        return out


def execute_code(
    calls: Sequence[tuple[str, dict[str, Any]]], fields: Sequence[tuple[str, ...] | None]
) -> str:
    """VKScript for ``calls``: ``return [API.m({json}), …];`` when nothing is projected (the
    plain form every VKScript runtime takes), else one variable per call, returned whole or
    projected."""
    if not any(fields):
        return (
            "return ["
            + ",".join(
                f"API.{m}({json.dumps(p, ensure_ascii=False, separators=(',', ':'))})"
                for m, p in calls
            )
            + "];"
        )
    parts = []
    values = []
    for i, ((m, p), proj) in enumerate(zip(calls, fields, strict=True)):
        parts.append(
            f"var a{i}=API.{m}({json.dumps(p, ensure_ascii=False, separators=(',', ':'))});"
        )
        if proj is None:
            values.append(f"a{i}")
        else:
            values.append("[" + ",".join(f"a{i}.items@.{f}" for f in proj) + "]")
    return "".join(parts) + "return [" + ",".join(values) + "];"


def _unproject(result: Any, fields: tuple[str, ...], *, columns: bool = False) -> Any:
    """``[[v, ...] per field]`` back to ``{"items": [{field: v}, ...]}``; a failed call → False."""
    if result is False or not isinstance(result, list) or len(result) != len(fields):
        return False
    if any(not isinstance(col, list) for col in result):
        return False
    n = len(result[0])
    if any(len(col) != n for col in result):
        raise VkError(-2, "projected columns of different lengths", "execute")
    if columns:
        return {"columns": dict(zip(fields, result, strict=True))}
    return {"items": [dict(zip(fields, row, strict=True)) for row in zip(*result, strict=True)]}
