"""The fake VK API server (aiohttp, in-process) that the real ``vk_api`` package talks to.

Why a real HTTP server rather than mocks: the collector must be exercised with the exact
requests vk_api sends (form-encoded POSTs, its retry-on-6 handler, its JSON decoding, its Long
Poll session), including transport faults, so that what passes here behaves the same against
api.vk.ru.  Limits are enforced in the clock's (virtual) time so a sandbox day can run in
minutes.  The server is not thread-safe: scenario methods must be called from the event loop
thread that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from aiohttp import web

from config.clock import Clock
from sandbox.fake_vk import vkscript
from sandbox.fake_vk.api import (
    DEFAULT_COMMUNITY_RIGHTS,
    EXECUTE_KINDS,
    METHODS,
    WRITE_METHODS,
    Ctx,
    Params,
    TokenInfo,
    check_token_kind,
)
from sandbox.fake_vk.errors import VKError, error_message
from sandbox.fake_vk.model import Comment, Group, Post
from sandbox.fake_vk.world import World

# Moscow has been UTC+3 all year since 2014; a fixed offset avoids depending on tzdata.
MSK = timezone(timedelta(hours=3), "MSK")
PUBLISH_PERIOD_S = 0.01  # real seconds between background publication passes
LP_MAX_WAIT_S = 90.0
MAX_FAULT_DELAY_S = 300.0

FaultKind = Literal["http500", "http502", "timeout", "truncated_json", "html", "error"]


@dataclass
class VKLimits:
    """Server-side limits; all intervals are in the clock's virtual time."""

    # requests per (virtual) second per token; exceeding -> error 6
    rps_per_token: float = 3.0
    # per token, per method, per virtual Moscow day; exceeding -> error 29.
    # Inner execute calls count; rejected (29) calls do not.
    daily_quota: dict[str, int] = field(default_factory=lambda: {"wall.get": 5000})
    # more inner calls in one execute -> error 13
    max_execute_calls: int = 25
    enforce_rps: bool = True


@dataclass
class CallRecord:
    """One HTTP request to ``/method/...`` as the fake saw it."""

    at: datetime  # virtual time (clock.now())
    method: str
    token: str
    params: dict[str, str]  # merged query + form, without access_token
    error_code: int | None  # top-level error if any
    api_calls: int  # 1, or number of inner calls for execute (0 for transport faults)
    http_status: int
    # execute only: (inner method, error code or None) in call order
    inner: tuple[tuple[str, int | None], ...] = ()


@dataclass
class _Fault:
    kind: FaultKind
    method: str | None
    remaining: int
    code: int
    delay_s: float


@dataclass
class _Outcome:
    body: dict[str, Any]
    error_code: int | None = None
    api_calls: int = 1
    inner: list[tuple[str, int | None]] = field(default_factory=list)


_HTML_5XX = (
    "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center><hr>"
    "<center>nginx</center></body></html>"
)
_HTML_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>VK</title></head>"
    "<body><p>Сервис временно недоступен. Попробуйте позже.</p></body></html>"
)


class FakeVK:
    """An in-process VK API: world state, tokens, limits, faults, records and Long Poll.

    Typical use: ``await fake.start()``, register tokens and groups, add posts/comments with
    past or future ``at`` instants, point ``vk_api`` at :attr:`base_url` through
    :class:`collectors.vk_client.VkSession`, and read :attr:`calls` / :meth:`stats`.

    ``limits`` may be changed while running (tests flip ``enforce_rps``).  Order of checks
    for every request: injected fault, token (5), captcha (14), ``v`` (8), rate (6; only
    accepted requests use the budget), unknown method (3), token kind (27/28), daily quota
    (29; only accepted calls count), then the method (see :mod:`sandbox.fake_vk.api`).
    """

    def __init__(self, clock: Clock, *, limits: VKLimits | None = None) -> None:
        self._clock = clock
        self.limits = limits or VKLimits()
        self.world = World()
        self.calls: list[CallRecord] = []
        #: Every call of a write method (``wall.createComment``), answered or refused, as the
        #: sandbox report's ``vk_writes`` lists it (issue 15).
        self.writes: list[dict[str, Any]] = []
        self._tokens: dict[str, TokenInfo] = {}
        self._revoked: set[str] = set()
        self._captcha: set[str] = set()
        self._rps: dict[str, deque[float]] = {}
        self._quota_used: Counter[tuple[str, str, str]] = Counter()
        self._faults: list[_Fault] = []
        self._http_requests = 0
        self._lp_requests = 0
        self._api_calls = 0
        self._errors: Counter[int] = Counter()
        self._inner_errors: Counter[int] = Counter()
        self._faults_served: Counter[str] = Counter()
        self._by_method: dict[str, Counter[str]] = {}
        self._captcha_seq = 0
        self._runner: web.AppRunner | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None
        self._base_url: str | None = None
        # Long polls waiting for a community's next event (set when one is logged).
        self._lp_wakeups: dict[int, asyncio.Event] = {}
        self.world.on_lp_event = self._lp_event

    def _lp_event(self, group_id: int) -> None:
        event = self._lp_wakeups.get(group_id)
        if event is not None:
            event.set()

    # ================================================================== lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; returns the base URL (``http://127.0.0.1:PORT/``)."""
        if self._runner is not None:
            raise RuntimeError("FakeVK already started")
        app = web.Application()
        app.router.add_route("*", "/method/{name}", self._handle_method)
        app.router.add_route("*", "/lp/{group_id}", self._handle_lp)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self._base_url = f"http://{bound[0]}:{bound[1]}/"
        self._stopping = asyncio.Event()
        self._publisher = asyncio.create_task(self._publish_loop(), name="fake-vk-publisher")
        return self._base_url

    async def stop(self) -> None:
        """Stop serving; pending long polls and delayed (timeout-fault) answers end at once."""
        if self._stopping is not None:
            self._stopping.set()
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Base URL of the running server (ends with ``/``)."""
        if self._base_url is None:
            raise RuntimeError("FakeVK is not started")
        return self._base_url

    async def _publish_loop(self) -> None:
        while True:
            self.publish_due()
            await asyncio.sleep(PUBLISH_PERIOD_S)

    def publish_due(self) -> int:
        """Apply scheduled changes that are due by the clock (also done before each request)."""
        return self.world.publish_due(self._clock.now().timestamp())

    # ================================================================== tokens

    def add_token(
        self,
        token: str,
        kind: Literal["service", "user", "group"],
        group_id: int | None = None,
        *,
        rights: tuple[str, ...] | None = None,
        user_id: int | None = None,
    ) -> None:
        """Register an access token; a ``group`` token needs the community it belongs to and
        has ``rights`` (default :data:`~sandbox.fake_vk.api.DEFAULT_COMMUNITY_RIGHTS`); a
        ``user`` token writes as ``user_id``."""
        if kind == "group" and group_id is None:
            raise ValueError("a group token needs group_id")
        granted = frozenset(DEFAULT_COMMUNITY_RIGHTS if rights is None else rights)
        self._tokens[token] = TokenInfo(
            token, kind, group_id, granted if kind == "group" else frozenset(), user_id
        )
        self._revoked.discard(token)

    def revoke_token(self, token: str) -> None:
        """Every later call with ``token`` fails with error 5."""
        self._revoked.add(token)

    def set_captcha(self, token: str, required: bool = True) -> None:
        """While set, every call with ``token`` fails with error 14 (captcha_sid/captcha_img)."""
        if required:
            self._captcha.add(token)
        else:
            self._captcha.discard(token)

    # ================================================================== world

    def _ts(self, at: datetime) -> float:
        if at.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return at.timestamp()

    def _now_ts(self) -> float:
        return self._clock.now().timestamp()

    def add_group(
        self,
        group_id: int,
        name: str,
        screen_name: str | None = None,
        *,
        is_closed: int = 0,
        deactivated: str | None = None,
    ) -> None:
        """Add (or redefine) a community; default screen name ``club<id>``."""
        self.world.add_group(
            Group(group_id, name, screen_name or f"club{group_id}", is_closed, deactivated)
        )

    def add_user(self, user_id: int, name: str) -> None:
        """Name a user (``"First Last"``) for ``profiles`` in ``extended=1`` answers."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        self.world.users[user_id] = name

    def add_post(
        self,
        group_id: int,
        *,
        at: datetime,
        text: str,
        post_id: int | None = None,
        from_id: int | None = None,
        comments_closed: bool = False,
        is_pinned: bool = False,
    ) -> int:
        """Add a post appearing at ``at``; returns its id from the wall's shared counter."""
        wall = self.world.wall(group_id)
        pid = wall.allocate_id(post_id)
        post = Post(
            pid,
            group_id,
            -group_id if from_id is None else from_id,
            self._ts(at),
            text,
            comments_closed,
            is_pinned,
        )
        self.world.add_post(post, self._now_ts())
        return pid

    def add_comment(
        self,
        group_id: int,
        post_id: int,
        *,
        at: datetime,
        from_id: int,
        text: str,
        comment_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Add a comment (a reply when ``reply_to`` is given) appearing at ``at``.

        A reply to a reply joins the same thread (VK has two levels) with ``reply_to_comment``
        pointing at the comment replied to.  Ids come from the wall's counter, allocated now:
        add items in time order to get VK-like increasing ids.
        """
        wall = self.world.wall(group_id)
        post = wall.posts.get(post_id)
        if post is None:
            raise KeyError(f"no post {post_id} on wall {group_id}")
        ts = self._ts(at)
        if ts < post.at:
            raise ValueError("a comment cannot appear before its post")
        root: Comment | None = None
        reply_user = 0
        if reply_to is not None:
            parent = wall.comments.get(reply_to)
            if parent is None or parent.post is not post:
                raise KeyError(f"no comment {reply_to} under post {post_id}")
            if ts < parent.at:
                raise ValueError("a reply cannot appear before the comment it answers")
            root = parent.root or parent
            reply_user = parent.from_id
        cid = wall.allocate_id(comment_id)
        c = Comment(cid, post, from_id, ts, text, reply_to or 0, reply_user, root)
        self.world.add_comment(c, self._now_ts())
        return cid

    def _comment(self, group_id: int, comment_id: int) -> Comment:
        c = self.world.wall(group_id).comments.get(comment_id)
        if c is None:
            raise KeyError(f"no comment {comment_id} on wall {group_id}")
        return c

    def edit_comment(self, group_id: int, comment_id: int, *, at: datetime, text: str) -> None:
        """Change the comment's text at ``at`` (Long Poll ``wall_reply_edit``)."""
        c = self._comment(group_id, comment_id)
        self.world.change_comment(c, "edit", self._ts(at), self._now_ts(), text)

    def delete_comment(self, group_id: int, comment_id: int, *, at: datetime) -> None:
        """Delete the comment at ``at`` (Long Poll ``wall_reply_delete``); its id stays used."""
        c = self._comment(group_id, comment_id)
        self.world.change_comment(c, "delete", self._ts(at), self._now_ts())

    def restore_comment(self, group_id: int, comment_id: int, *, at: datetime) -> None:
        """Undo a deletion at ``at`` (Long Poll ``wall_reply_restore``)."""
        c = self._comment(group_id, comment_id)
        self.world.change_comment(c, "restore", self._ts(at), self._now_ts())

    def delete_post(self, group_id: int, post_id: int, *, at: datetime) -> None:
        """Delete the post at ``at``: it vanishes from wall.get/getById, getComments -> 15."""
        post = self.world.wall(group_id).posts.get(post_id)
        if post is None:
            raise KeyError(f"no post {post_id} on wall {group_id}")
        self.world.delete_post(post, self._ts(at), self._now_ts())

    def close_comments(self, group_id: int, post_id: int) -> None:
        """Close comments on the post now: can_post 0 in wall.get, getComments -> 212."""
        self._post(group_id, post_id).comments_closed = True

    def open_comments(self, group_id: int, post_id: int) -> None:
        """Reopen comments closed with :meth:`close_comments`."""
        self._post(group_id, post_id).comments_closed = False

    def _post(self, group_id: int, post_id: int) -> Post:
        post = self.world.wall(group_id).posts.get(post_id)
        if post is None:
            raise KeyError(f"no post {post_id} on wall {group_id}")
        return post

    def visible_comment_ids(self, group_id: int) -> set[int]:
        """Ground truth: ids of comments (incl. replies) a reader can see right now."""
        self.publish_due()
        return {
            cid
            for cid, c in self.world.wall(group_id).comments.items()
            if c.visible and not c.post.deleted
        }

    def visible_post_ids(self, group_id: int) -> set[int]:
        """Ground truth: ids of posts a reader can see right now."""
        self.publish_due()
        return {p.id for p in self.world.wall(group_id).feed}

    def lp_fail(self, group_id: int, code: Literal[1, 2, 3]) -> None:
        """Make the next Long Poll check of ``group_id`` answer ``{"failed": code}``.

        2 and 3 also rotate the key (so the old key stays invalid until a new
        groups.getLongPollServer); 3 makes the client lose the events in between.
        """
        if code not in (1, 2, 3):
            raise ValueError("Long Poll failure codes are 1, 2 or 3")
        self.world.enable_long_poll(group_id).scripted_failures.append(code)

    # ================================================================== faults & stats

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        count: int = 1,
        code: int = 10,
        delay_s: float = 30.0,
    ) -> None:
        """The next ``count`` requests to ``method`` (any when None) fail this way.

        http500/http502: that status with an nginx-like HTML body; timeout: the answer is held
        ``delay_s`` real seconds (capped, cut short by stop()); truncated_json: a 200 whose body
        is the first half of the real answer; html: a 200 HTML page; error: VK error ``code``.
        """
        if count < 1:
            raise ValueError("count must be >= 1")
        self._faults.append(_Fault(kind, method, count, code, delay_s))

    def clear_faults(self) -> None:
        """Drop the faults not served yet (VK is back)."""
        self._faults.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def stats(self) -> dict[str, Any]:
        """Counters for benchmarks: requests, API calls (inner execute calls included), errors."""
        return {
            "http_requests": self._http_requests,
            "api_calls": self._api_calls,
            "errors_by_code": dict(self._errors),
            "inner_errors_by_code": dict(self._inner_errors),
            "by_method": {m: dict(c) for m, c in self._by_method.items()},
            "lp_requests": self._lp_requests,
            "faults": dict(self._faults_served),
            "pending_changes": self.world.pending,
        }

    def _count(self, method: str, key: str, n: int = 1) -> None:
        self._by_method.setdefault(method, Counter())[key] += n

    # ================================================================== HTTP: /method

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if self.publish_due() and self._lp_wakeups:
            # Long polls woken by what was just published answer before this request's work
            # (a big execute holds the loop for a while).
            for _ in range(3):
                await asyncio.sleep(0)
        method = request.match_info["name"]
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = params.pop("access_token", "")
        auth = request.headers.get("Authorization", "")
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        self._http_requests += 1
        self._count(method, "requests")
        at = self._clock.now()

        fault = self._take_fault(method)
        if fault is not None:
            self._faults_served[fault.kind] += 1
            if fault.kind in ("http500", "http502"):
                status = 500 if fault.kind == "http500" else 502
                title = f"{status} {'Internal Server Error' if status == 500 else 'Bad Gateway'}"
                self._record(at, method, token, params, _Outcome({}, None, 0), status)
                return web.Response(
                    status=status, text=_HTML_5XX.format(title), content_type="text/html"
                )
            if fault.kind == "html":
                self._record(at, method, token, params, _Outcome({}, None, 0), 200)
                return web.Response(text=_HTML_PAGE, content_type="text/html")
            if fault.kind == "error":
                outcome = self._error_outcome(method, params, VKError(fault.code))
                self._record(at, method, token, params, outcome, 200)
                return self._json(outcome.body)
            if fault.kind == "timeout":
                assert self._stopping is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), min(fault.delay_s, MAX_FAULT_DELAY_S)
                    )
                self.publish_due()

        outcome = self._process(method, params, token)
        self._record(at, method, token, params, outcome, 200)
        if fault is not None and fault.kind == "truncated_json":
            text = json.dumps(outcome.body, ensure_ascii=False)
            return web.Response(
                text=text[: max(1, len(text) // 2)], content_type="application/json"
            )
        return self._json(outcome.body)

    def call_in_process(self, method: str, params: dict[str, str], token: str) -> dict[str, Any]:
        """One request without HTTP: limits, quotas and records as over HTTP, no faults.

        For simulations that drive the fake on their own clock (the benchmark's naive poller
        runs at its rate limit, whatever CPU the box has left)."""
        self.publish_due()
        self._http_requests += 1
        self._count(method, "requests")
        at = self._clock.now()
        outcome = self._process(method, dict(params), token)
        self._record(at, method, token, params, outcome, 200)
        body: dict[str, Any] = outcome.body
        return body

    @staticmethod
    def _json(body: Any) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False, separators=(",", ":"), check_circular=False),
            content_type="application/json",
        )

    def _record(
        self,
        at: datetime,
        method: str,
        token: str,
        params: dict[str, str],
        outcome: _Outcome,
        status: int,
    ) -> None:
        self.calls.append(
            CallRecord(
                at,
                method,
                token,
                params,
                outcome.error_code,
                outcome.api_calls,
                status,
                tuple(outcome.inner),
            )
        )
        self._api_calls += outcome.api_calls
        if method in WRITE_METHODS:
            self.writes.append(_write_entry(at, method, params, outcome, status))
        if outcome.error_code is not None:
            self._errors[outcome.error_code] += 1
            self._count(method, "errors")

    def _error_outcome(self, method: str, params: dict[str, str], err: VKError) -> _Outcome:
        request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        request_params += [{"key": k, "value": v} for k, v in params.items() if k != "code"]
        error: dict[str, Any] = {
            "error_code": err.code,
            "error_msg": err.msg,
            "request_params": request_params,
            **err.extra,
        }
        return _Outcome({"error": error}, err.code, 1)

    def _process(self, method: str, params: dict[str, str], token: str) -> _Outcome:
        """Authenticate, rate-limit and dispatch one top-level request."""
        outcome = _Outcome({})
        try:
            tok = self._authenticate(token)
            version = _parse_version(params.get("v"))
            self._check_rps(token)
            ctx = Ctx(
                self.world, tok, version, self._base_url or "http://127.0.0.1/", self._now_ts()
            )
            if method == "execute":
                check_token_kind(tok.kind, EXECUTE_KINDS)
                self._charge_quota(token, method)
                result, errors = self._execute(ctx, params, outcome)
                outcome.body = {"response": result}
                if errors:
                    outcome.body["execute_errors"] = errors
            else:
                outcome.body = {"response": self._invoke(ctx, method, params)}
                self._count(method, "api_calls")
        except VKError as err:
            failed = self._error_outcome(method, params, err)
            failed.api_calls = outcome.api_calls if method == "execute" else 1
            failed.inner = outcome.inner
            return failed
        return outcome

    def _authenticate(self, token: str) -> TokenInfo:
        if not token:
            raise VKError(5, "no access_token passed.")
        tok = self._tokens.get(token)
        if tok is None or token in self._revoked:
            raise VKError(5, "invalid access_token (4).")
        if token in self._captcha:
            self._captcha_seq += 1
            sid = f"{int(self._now_ts())}{self._captcha_seq:06d}"
            raise VKError(
                14, captcha_sid=sid, captcha_img=f"https://api.vk.ru/captcha.php?sid={sid}&s=1"
            )
        return tok

    def _check_rps(self, token: str) -> None:
        if not self.limits.enforce_rps:
            return
        now = self._clock.monotonic()
        window = self._rps.setdefault(token, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) + 1 > self.limits.rps_per_token:
            raise VKError(6)
        window.append(now)

    def _charge_quota(self, token: str, method: str) -> None:
        limit = self.limits.daily_quota.get(method)
        if limit is None:
            return
        day = self._clock.now().astimezone(MSK).date().isoformat()
        key = (token, method, day)
        if self._quota_used[key] >= limit:
            raise VKError(29)
        self._quota_used[key] += 1

    def quota_used(self, token: str, method: str) -> int:
        """Calls of ``method`` charged to ``token`` in the current virtual Moscow day."""
        day = self._clock.now().astimezone(MSK).date().isoformat()
        return self._quota_used[(token, method, day)]

    def _invoke(self, ctx: Ctx, method: str, params: dict[str, str]) -> Any:
        """Token-kind check, quota and the handler: shared by top-level and inner calls."""
        spec = METHODS.get(method)
        if spec is None:
            raise VKError(3)
        handler, kinds = spec
        check_token_kind(ctx.token.kind, kinds)
        self._charge_quota(ctx.token.token, method)
        return handler(ctx, Params(params))

    def _execute(
        self, ctx: Ctx, params: dict[str, str], outcome: _Outcome
    ) -> tuple[Any, list[dict[str, Any]]]:
        code = params.get("code")
        if not code:
            raise VKError(100, "code is undefined")
        program = vkscript.parse(code)
        errors: list[dict[str, Any]] = []
        outcome.api_calls = 0

        def invoke(method: str, values: dict[str, Any]) -> Any:
            outcome.api_calls += 1
            self._count(method, "api_calls")
            try:
                result = self._invoke(ctx, method, _stringify(values))
            except VKError as err:
                errors.append({"method": method, "error_code": err.code, "error_msg": err.msg})
                outcome.inner.append((method, err.code))
                self._inner_errors[err.code] += 1
                self._count(method, "inner_errors")
                return False
            outcome.inner.append((method, None))
            return result

        result = vkscript.run(program, invoke, max_calls=self.limits.max_execute_calls)
        return result, errors

    # ================================================================== HTTP: long poll

    async def _handle_lp(self, request: web.Request) -> web.StreamResponse:
        """Bots Long Poll ``a_check`` (vk-api.md §6.1); ``wait`` is honoured in real seconds."""
        self._lp_requests += 1
        self.publish_due()
        query: dict[str, str] = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            query.update({k: v for k, v in form.items() if isinstance(v, str)})
        try:
            group_id = int(request.match_info["group_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        wall = self.world.walls.get(group_id)
        lp = wall.lp if wall is not None else None
        if lp is None:
            return self._json({"failed": 2})
        if lp.scripted_failures:
            code = lp.scripted_failures.popleft()
            if code == 1:
                return self._json({"failed": 1, "ts": str(lp.next_ts)})
            lp.key = self.world.new_lp_key()
            return self._json({"failed": code})
        if query.get("act") != "a_check" or query.get("key") != lp.key:
            return self._json({"failed": 2})
        try:
            ts = int(query.get("ts", ""))
            wait = min(max(0.0, float(query.get("wait", "25"))), LP_MAX_WAIT_S)
        except ValueError:
            return self._json({"failed": 1, "ts": str(lp.next_ts)})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        stopping = self._stopping
        wakeup = self._lp_wakeups.setdefault(group_id, asyncio.Event())
        while True:
            self.publish_due()
            oldest = lp.events[0][0] if lp.events else lp.next_ts
            if ts < oldest or ts > lp.next_ts:
                return self._json({"failed": 1, "ts": str(lp.next_ts)})
            if ts < lp.next_ts:
                updates = [event for n, event in lp.events if n >= ts]
                return self._json({"ts": str(lp.next_ts), "updates": updates})
            remaining = deadline - loop.time()
            if remaining <= 0 or (stopping is not None and stopping.is_set()):
                return self._json({"ts": str(ts), "updates": []})
            # Woken when an event is logged (by the publisher or a scenario call); the short
            # cap also notices stop() and scheduled items published by the next request.
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), min(0.05, remaining))


def _write_entry(
    at: datetime, method: str, params: dict[str, str], outcome: _Outcome, status: int
) -> dict[str, Any]:
    """One ``vk_writes`` entry: what was asked, when (virtual time) and what came of it."""

    def num(name: str) -> int | None:
        try:
            return int(params[name])
        except (KeyError, ValueError):
            return None

    response = outcome.body.get("response")
    error = outcome.error_code
    if status != 200:
        error = -status  # an HTTP failure: nothing was done
    elif error is None and response is None:
        error = -2  # a 200 that is no API answer (an HTML page): nothing was done
    return {
        "method": method,
        "owner_id": num("owner_id"),
        "post_id": num("post_id"),
        "reply_to_comment": num("reply_to_comment"),
        "from_group": num("from_group"),
        "message": params.get("message", ""),
        "guid": params.get("guid"),
        "at": at.isoformat(),
        "error": error,
        "comment_id": response.get("comment_id") if isinstance(response, dict) else None,
    }


def _parse_version(raw: str | None) -> tuple[int, int]:
    if not raw:
        raise VKError(8, "v (version) is required")
    major, _, minor = raw.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        raise VKError(8, f"invalid v: {raw}") from None


def _stringify(values: dict[str, Any]) -> dict[str, str]:
    """JSON params of an inner execute call as the string params a handler expects."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = _param(value)
    return out


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(_param(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


__all__ = ["MSK", "CallRecord", "FakeVK", "FaultKind", "VKLimits", "error_message"]
