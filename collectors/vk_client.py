"""A thin async wrapper over ``vk_api``: one VkApi per token, our own pacing, timeouts, errors.

vk_api is synchronous and has no timeout, no base-URL setting and an unbounded retry loop on
error 6, so this wrapper (a) runs it in a thread, (b) gives it a ``requests.Session`` that sets a
timeout and can send calls to another host, (c) paces requests per token on the app clock and
(d) sorts VK errors into retry / slow down / give up.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import requests
import vk_api
from jconfig.memory import MemoryConfig

from config.clock import Clock

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


class VkClient:
    """One token's connection to VK."""

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
    ) -> None:
        self.token_hint = f"…{token[-4:]}" if len(token) > 4 else "…"
        self._clock = clock
        self._retries = retries
        self._session = VkSession(api_base, timeout)
        self._vk = vk_api.VkApi(
            token=token, api_version=api_version, session=self._session, config=MemoryConfig
        )
        self._vk.RPS_DELAY = 0  # pacing is ours, on the app clock
        self._vk.error_handlers = {}  # no silent unbounded retries inside vk_api
        self.limiter = IntervalLimiter(clock, rps)
        self.requests_made = 0

    def close(self) -> None:
        self._session.close()

    async def call(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        """Call ``method``; retries transient failures with jittered backoff, raises VkError."""
        delay = 1.0
        for attempt in range(self._retries + 1):
            await self.limiter.acquire()
            self.requests_made += 1
            try:
                return await asyncio.to_thread(self._vk.method, method, params, raw=raw)
            except vk_api.ApiError as exc:
                err = VkError(exc.code, str(exc.error.get("error_msg", "")), method)
            except vk_api.Captcha as exc:
                raise VkError(14, "Captcha needed", method) from exc
            except vk_api.ApiHttpError as exc:
                err = VkError(-1, f"HTTP {exc.response.status_code}", method)
            except requests.exceptions.JSONDecodeError:
                err = VkError(-2, "malformed response body", method)
            except requests.RequestException as exc:
                err = VkError(-1, type(exc).__name__, method)
            except vk_api.VkApiError as exc:
                raise VkError(0, str(exc), method) from exc
            retryable = err.code in TRANSIENT_CODES or err.code in (-1, -2)
            if not retryable or attempt == self._retries:
                raise err
            pause = 1.0 if err.code == 6 else delay * (0.5 + random.random())
            await self._clock.sleep(pause)
            delay = min(delay * 2, 60.0)
        raise AssertionError("unreachable")
