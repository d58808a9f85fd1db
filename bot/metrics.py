"""Prometheus metrics, the health state behind ``/healthz``, and the HTTP server for both.

Why a :class:`Metrics` object rather than module-level counters: prometheus_client's default
registry is process-global, so two apps in one test process (or a restarted app in the
sandbox) would collide on metric names and share counts.  Each :class:`Metrics` owns its
:class:`~prometheus_client.CollectorRegistry`; the app builds one and hands it to the parts
that report (outbox sender, ingest, SLA watch, handlers via aiogram workflow data, and the
collector through the small hook methods at the bottom of the class).

Health is judged on the app's clock, so a ``ManualClock`` makes ``/healthz`` deterministic:

* ``db``: a part failed on a locked or unreachable database more recently than it succeeded,
  or a ``SELECT 1`` does not answer → *degraded* (every loop waits and retries by itself);
  the database has not answered for longer than ``db_unhealthy_s`` → *unhealthy* (503: a
  person must look);
* ``telegram``: the last send failed for a reason other than the addressee (429, 5xx, timeout)
  and none has succeeded since → *degraded*; this process should poll ``getUpdates`` and its
  latest attempt failed (Telegram unreachable: the bot hears nobody) → *degraded*, with
  ``polling: down`` (issue 11);
* ``max`` (only when a MAX token is set, issue 13): as ``telegram``, for MAX's sends and
  its long poll (``receiving: down``); a webhook shows ``receiving: webhook``;
* ``collector``: the age of the last collector pass; older than ``collector_stale_s`` →
  *degraded*, never one while VK is configured and the app runs that long → *degraded*; the
  latest VK requests failed and none succeeded for ``vk_failing_s`` → *degraded* (issue 11: a
  pass whose requests all failed is not a good pass);
* ``outbox``: the age of the oldest message that is due but not sent; older than
  ``outbox_stale_s`` → *degraded*.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.faults import db_fault
from collectors.vk_client import VkHealth
from config.clock import Clock

log = logging.getLogger(__name__)

Status = Literal["ok", "degraded", "unhealthy"]
_RANK: dict[str, int] = {"ok": 0, "degraded": 1, "unhealthy": 2}
#: The part whose success proves the database takes writes again: the heartbeat writes
#: every few seconds in every process (``bot/app.py``).
WRITE_PROOF_PART = "heartbeat"


class IngestOutcome(Protocol):
    """What :meth:`Metrics.ingested` reads from ``storage.ingest.IngestResult``."""

    new_comments: int
    new_complaints: list[int]
    answered: list[int]
    reopened: list[int]
    decisions: list[tuple[bool, str]]


class SlaOutcome(Protocol):
    """What :meth:`Metrics.sla_pass` reads from ``bot.sla_watch.SlaPass``."""

    nudged: list[int]
    escalated: list[int]
    escalated_lead: list[int]
    solution_breached: list[int]


@dataclass
class PartState:
    """The last success and failure of one part (outbox, collector, scheduler, bot)."""

    last_ok: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str = ""
    db_error: bool = False
    failing: bool = False  # the latest outcome was a failure
    db_outage: bool = False  # the database was locked or away (not a bug)
    seq: int = 0  # order of the latest outcome among all parts' outcomes


@dataclass
class HealthThresholds:
    """When a check turns *degraded* (seconds of app-clock time)."""

    collector_stale_s: float = 900.0
    vk_failing_s: float = 300.0  # VK requests failing and none served for this long
    outbox_stale_s: float = 600.0
    db_timeout_s: float = 3.0  # real seconds a ``SELECT 1`` may take
    db_unhealthy_s: float = 300.0  # away this long (app clock): no longer a brief outage


def _error_name(exc: BaseException) -> str:
    """A short, personal-data-free description: the class and, for DB errors, the driver's
    first line (``database is locked``) without the SQL or its parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first = str(exc.orig).splitlines()[0] if str(exc.orig) else ""
        return f"{type(exc.orig).__name__}: {first}"[:200]
    return type(exc).__name__


class Metrics:
    """Every otklik_* metric of one app, plus the health state ``/healthz`` reports."""

    def __init__(self, clock: Clock, *, page_agencies: Mapping[int, str] | None = None) -> None:
        self.clock = clock
        self.registry = CollectorRegistry()
        self.started_at = clock.now()
        self._page_agencies = dict(page_agencies or {})
        self._lags: dict[str, dict[int, float]] = {}
        self.parts: dict[str, PartState] = {}
        self.collector_enabled = False
        self.last_collector_pass: datetime | None = None
        self.vk = VkHealth()  # whether VK serves this process's requests (all tokens)
        self.outbox_oldest_due_s = 0.0
        self.telegram = PartState()
        self.telegram_last_error = ""
        #: None when this process does not poll Telegram; else starting, up, down, standby
        #: (another process polls) or stopped (``bot/polling.py``).
        self.polling: str | None = None
        self.polling_error = ""
        self.polling_down_since: datetime | None = None
        #: MAX (issue 13): on when this process has a MAX client; the last sends as for
        #: Telegram; ``max_state``: how updates arrive (webhook, up, down, standby: another
        #: process long-polls, stopped; None: this process does not receive them).
        self.max_enabled = False
        self.max = PartState()
        self.max_last_error = ""
        self.max_state: str | None = None
        self.max_state_error = ""
        self.db_down_since: datetime | None = None  # the first failure of the current outage
        self._seq = 0
        self._write_ok_seq = 0  # the latest successful heartbeat (see ``db_failures``)
        self._probe_down = False
        r = self.registry

        # Telegram / outbox
        self.tg_sent = Counter(
            "otklik_telegram_sent_total", "Bot API sends and edits that succeeded", ["kind"],
            registry=r,
        )  # fmt: skip
        self.tg_failures = Counter(
            "otklik_telegram_failures_total",
            "Bot API sends that failed, by reason (rate_limited, server_error, network, "
            "blocked, rejected)",
            ["reason"],
            registry=r,
        )
        self.polling_up = Gauge(
            "otklik_telegram_polling_up",
            "1 while getUpdates answers (or another process polls), 0 while it fails",
            registry=r,
        )
        self.polling_up.set(1)
        self.tg_429 = Counter(
            "otklik_telegram_429_total", "Bot API answers 429 Too Many Requests", registry=r
        )
        # MAX (issue 13): the same as Telegram's, for the MAX Bot API
        self.max_sent_total = Counter(
            "otklik_max_sent_total",
            "MAX sends, edits and callback answers that succeeded (kind: message, image, "
            "file, edit, answer)",
            ["kind"],
            registry=r,
        )
        self.max_failures = Counter(
            "otklik_max_failures_total",
            "MAX requests that failed, by reason (rate_limited, server_error, network, "
            "blocked, rejected…)",
            ["reason"],
            registry=r,
        )
        self.max_429 = Counter(
            "otklik_max_429_total", "MAX answers 429 too.many.requests", registry=r
        )
        self.max_polling_up = Gauge(
            "otklik_max_polling_up",
            "1 while MAX updates arrive (the long poll answers, or a webhook), 0 while not",
            registry=r,
        )
        self.max_polling_up.set(1)
        self.alerts_sent = Counter(
            "otklik_alerts_sent_total", "Complaint alerts delivered (alone or in a summary)",
            registry=r,
        )  # fmt: skip
        self.send_seconds = Histogram(
            "otklik_telegram_send_seconds", "Duration of one Bot API send or edit (real time)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=r,
        )  # fmt: skip
        self.alert_delay = Histogram(
            "otklik_alert_delivery_seconds",
            "From an alert's creation to its delivery (app-clock seconds)",
            buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600),
            registry=r,
        )
        self.outbox_depth = Gauge(
            "otklik_outbox_depth", "Outbox messages waiting to be sent (pending)", registry=r
        )
        self.outbox_oldest = Gauge(
            "otklik_outbox_oldest_due_seconds",
            "Age of the oldest outbox message that is due but not sent",
            registry=r,
        )
        # Ingest and matcher
        self.comments = Counter(
            "otklik_comments_stored_total", "New VK comments stored", registry=r
        )
        self.complaints = Counter(
            "otklik_complaints_created_total", "Complaints opened", registry=r
        )
        self.answers = Counter(
            "otklik_answers_total", "Complaints that got their first official answer", registry=r
        )
        self.reopens = Counter(
            "otklik_reopens_total", "Complaints reopened by their author", registry=r
        )
        self.decisions = Counter(
            "otklik_matcher_decisions_total", "Matcher decisions on new comments",
            ["needs_answer", "topic"], registry=r,
        )  # fmt: skip
        # SLA
        self.sla_nudges = Counter(
            "otklik_sla_nudges_total", "Nudges to officials at 75% of the deadline", registry=r
        )
        self.sla_breaches = Counter(
            "otklik_sla_breaches_total", "Deadlines breached (moderators told)", ["clock"],
            registry=r,
        )  # fmt: skip
        self.sla_lead = Counter(
            "otklik_sla_lead_escalations_total", "Breaches escalated to the leads", registry=r
        )
        # Collector (reported through the hooks below)
        self.vk_calls = Counter(
            "otklik_vk_api_calls_total", "VK API calls by method and result code (0 = ok)",
            ["method", "code"], registry=r,
        )  # fmt: skip
        self.vk_errors = Counter(
            "otklik_vk_api_errors_total", "VK API calls that failed, by method and VK code",
            ["method", "code"], registry=r,
        )  # fmt: skip
        self.quota = Gauge(
            "otklik_vk_quota_left", "Calls left today per token (non-secret key) and method",
            ["token", "method"], registry=r,
        )  # fmt: skip
        self.lag = Gauge(
            "otklik_collector_lag_seconds",
            "Largest time since a page was last fully checked, per agency (page group)",
            ["agency"],
            registry=r,
        )
        self.collector_passes = Counter(
            "otklik_collector_passes_total", "Collector passes, by result", ["result"],
            registry=r,
        )  # fmt: skip
        self.last_pass_ts = Gauge(
            "otklik_collector_last_pass_timestamp_seconds",
            "Unix time of the last collector pass that stored its results",
            registry=r,
        )
        self.vk_last_ok = Gauge(
            "otklik_vk_last_success_timestamp_seconds",
            "Unix time of the last VK request that VK served (a result, or an error about "
            "the object or the quota)",
            registry=r,
        )
        self.vk_failing = Gauge(
            "otklik_vk_failed_requests_in_row",
            "VK requests failed since the last served one (transport, 5xx, token, flood)",
            registry=r,
        )
        # Faults and health
        self.part_errors = Counter(
            "otklik_part_errors_total", "Passes of a part that failed and will be retried",
            ["part", "kind"], registry=r,
        )  # fmt: skip
        self.up = Gauge(
            "otklik_health_status", "Health per check: 0 ok, 1 degraded, 2 unhealthy",
            ["check"], registry=r,
        )  # fmt: skip
        self.db_up = Gauge(
            "otklik_db_up",
            "1 while the database answers, 0 from a locked or unreachable database until the "
            "next success",
            registry=r,
        )
        self.db_up.set(1)
        self.db_errors = Counter(
            "otklik_db_errors_total",
            "Database operations that failed, by part and cause (locked, unavailable, error)",
            ["part", "cause"],
            registry=r,
        )

    # ---- outbox -----------------------------------------------------------------------

    def telegram_sent(self, kind: str, *, alerts: int = 0, seconds: float | None = None) -> None:
        self.tg_sent.labels(kind).inc()
        if alerts:
            self.alerts_sent.inc(alerts)
        if seconds is not None:
            self.send_seconds.observe(seconds)
        self.telegram.last_ok = self.clock.now()
        self.telegram.failing = False

    def telegram_failed(self, reason: str, error: str = "") -> None:
        """``reason``: rate_limited, server_error, network, blocked or rejected.  Only the
        first three say Telegram itself is in trouble."""
        self.tg_failures.labels(reason).inc()
        if reason == "rate_limited":
            self.tg_429.inc()
        if reason in ("rate_limited", "server_error", "network"):
            self.telegram.last_error_at = self.clock.now()
            self.telegram.failing = True
            self.telegram_last_error = f"{reason}: {error}"[:200]

    def telegram_polling(self, state: str, error: str = "") -> None:
        """The poller's state: ``down`` after a failed ``getMe``/``getUpdates`` until one
        succeeds again (``error`` says why, without personal data)."""
        if state == "down":
            if self.polling != "down":
                self.polling_down_since = self.clock.now()
            self.polling_error = error[:200]
        else:
            self.polling_down_since = None
            self.polling_error = ""
        self.polling = state
        self.polling_up.set(0 if state == "down" else 1)

    def max_sent(self, kind: str) -> None:
        self.max_sent_total.labels(kind).inc()
        self.max.last_ok = self.clock.now()
        self.max.failing = False

    def max_failed(self, reason: str, error: str = "") -> None:
        """As :meth:`telegram_failed`, for MAX (``ambiguous`` too: MAX's answer was lost)."""
        self.max_failures.labels(reason).inc()
        if reason == "rate_limited":
            self.max_429.inc()
        if reason in ("rate_limited", "server_error", "network", "unsettled", "auth"):
            self.max.last_error_at = self.clock.now()
            self.max.failing = True
            self.max_last_error = f"{reason}: {error}"[:200]

    def max_receiving(self, state: str, error: str = "") -> None:
        """How MAX updates arrive: ``webhook``, ``up`` / ``down`` (the long poll),
        ``standby`` (another process holds the polling lock) or ``stopped``."""
        self.max_state = state
        self.max_state_error = error[:200] if state == "down" else ""
        self.max_polling_up.set(0 if state == "down" else 1)

    def alert_delivered(self, created_at: datetime) -> None:
        self.alert_delay.observe(max((self.clock.now() - created_at).total_seconds(), 0.0))

    def outbox_state(self, depth: int, oldest_due: datetime | None) -> None:
        """Called by the sender after each pass."""
        self.outbox_depth.set(depth)
        age = 0.0 if oldest_due is None else (self.clock.now() - oldest_due).total_seconds()
        self.outbox_oldest_due_s = max(age, 0.0)
        self.outbox_oldest.set(self.outbox_oldest_due_s)

    # ---- parts (faults) ---------------------------------------------------------------

    def part_ok(self, part: str) -> None:
        state = self.parts.setdefault(part, PartState())
        state.last_ok, state.failing = self.clock.now(), False
        self._seq += 1
        state.seq = self._seq
        if part == WRITE_PROOF_PART:
            self._write_ok_seq = self._seq
        self._refresh_db()

    def part_failed(self, part: str, exc: BaseException) -> None:
        """A pass of ``part`` failed and will be retried; DB errors also mark the DB."""
        state = self.parts.setdefault(part, PartState())
        state.last_error_at, state.failing = self.clock.now(), True
        state.last_error = _error_name(exc)
        self._seq += 1
        state.seq = self._seq
        cause = db_fault(exc)
        state.db_error = cause is not None
        state.db_outage = cause in ("locked", "unavailable")
        self.part_errors.labels(part, "db" if state.db_error else type(exc).__name__).inc()
        if cause is not None:
            self.db_errors.labels(part, cause).inc()
        self._refresh_db()

    def db_probe(self, ok: bool) -> None:
        """The outcome of ``/healthz``'s ``SELECT 1``."""
        self._probe_down = not ok
        self._refresh_db()

    def db_failures(self, *, outages_only: bool = False) -> dict[str, str]:
        """Parts whose latest pass failed on the database, unless the heartbeat (a write,
        every few seconds in every process) has succeeded since: a part that runs only on
        demand, like the bot's updates, would otherwise report an outage long over."""
        return {
            name: s.last_error
            for name, s in self.parts.items()
            if s.failing
            and (s.db_outage if outages_only else s.db_error)
            and s.seq > self._write_ok_seq
        }

    def _refresh_db(self) -> None:
        """``otklik_db_up`` is 0 from the first failure of an outage (a lock past the busy
        timeout counts: writes fail) until no part fails on it any more."""
        if self._probe_down or self.db_failures(outages_only=True):
            if self.db_down_since is None:
                self.db_down_since = self.clock.now()
            self.db_up.set(0)
        else:
            self.db_down_since = None
            self.db_up.set(1)

    # ---- ingest and SLA ---------------------------------------------------------------

    def ingested(self, result: IngestOutcome) -> None:
        """Count a committed ingest batch (``Ingestor(on_committed=metrics.ingested)``); a
        commit is also the collector's proof that the database takes its writes again."""
        self.part_ok("collector")
        self.comments.inc(result.new_comments)
        self.complaints.inc(len(result.new_complaints))
        self.answers.inc(len(result.answered))
        self.reopens.inc(len(result.reopened))
        for needs_answer, topic in result.decisions:
            self.decisions.labels("yes" if needs_answer else "no", topic).inc()

    def sla_pass(self, result: SlaOutcome) -> None:
        self.sla_nudges.inc(len(result.nudged))
        self.sla_breaches.labels("first_response").inc(len(result.escalated))
        self.sla_breaches.labels("solution").inc(len(result.solution_breached))
        self.sla_lead.inc(len(result.escalated_lead))

    # ---- collector hooks (called by collectors/ and bot/collecting.py) -----------------

    def vk_call(self, method: str, code: int = 0) -> None:
        """One VK request: ``code`` 0 when it succeeded, else the VK error code (-1 for
        HTTP/transport, -2 for a malformed body, as ``collectors.vk_client.VkError``)."""
        self.vk_calls.labels(method, str(code)).inc()
        if code != 0:
            self.vk_errors.labels(method, str(code)).inc()
        self.vk.record(method, code, self.clock.now())
        self.vk_failing.set(self.vk.failures_in_row)
        if self.vk.last_ok_at is not None:
            self.vk_last_ok.set(self.vk.last_ok_at.timestamp())

    def quota_left(self, token: str, method: str, left: int) -> None:
        """``token`` must be a non-secret name (``VkClient.key``), never the token itself."""
        self.quota.labels(token, method).set(left)

    def page_checked(self, group_id: int, lag_s: float) -> None:
        """A page's lag (seconds since its last full check); the gauge keeps the largest per
        agency, so a few series cover thousands of pages."""
        agency = self._page_agencies.get(group_id, "unknown")
        lags = self._lags.setdefault(agency, {})
        lags[group_id] = lag_s
        self.lag.labels(agency).set(max(lags.values()))

    def pages_checked(self, lags: dict[int, float]) -> None:
        """:meth:`page_checked` for many pages at once: one maximum per agency, not one per
        page (per page it is quadratic: 30,000 pages cost seconds every minute, issue 7)."""
        touched: set[str] = set()
        for group_id, lag_s in lags.items():
            agency = self._page_agencies.get(group_id, "unknown")
            self._lags.setdefault(agency, {})[group_id] = lag_s
            touched.add(agency)
        for agency in touched:
            self.lag.labels(agency).set(max(self._lags[agency].values()))

    def collector_pass(self, ok: bool = True) -> None:
        """One collector pass (a worker step whose batch is stored, or a Long Poll round)."""
        self.collector_passes.labels("ok" if ok else "failed").inc()
        if ok:
            now = self.clock.now()
            self.last_collector_pass = now
            self.last_pass_ts.set(now.timestamp())

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class Check:
    status: Status
    detail: dict[str, Any] = field(default_factory=dict)


class Health:
    """Turns the metrics' state and a live database probe into the ``/healthz`` answer."""

    def __init__(
        self,
        metrics: Metrics,
        engine: AsyncEngine | None,
        thresholds: HealthThresholds | None = None,
    ) -> None:
        self.metrics = metrics
        self.engine = engine
        self.t = thresholds or HealthThresholds()

    async def _db(self) -> Check:
        """A brief outage is *degraded*: every loop waits it out and nothing is lost.  Only
        a database away for longer than ``db_unhealthy_s`` is *unhealthy*."""
        m = self.metrics
        failing = m.db_failures()
        if self.engine is None:
            return Check("degraded", {"errors": failing}) if failing else Check("ok")
        engine = self.engine
        try:

            async def probe() -> None:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            await asyncio.wait_for(probe(), self.t.db_timeout_s)
        except Exception as exc:  # any failure to answer is the finding itself
            m.db_probe(False)
            assert m.db_down_since is not None
            down_s = (m.clock.now() - m.db_down_since).total_seconds()
            status: Status = "unhealthy" if down_s >= self.t.db_unhealthy_s else "degraded"
            detail: dict[str, Any] = {"error": _error_name(exc), "down_s": round(down_s, 1)}
            return Check(status, {**detail, "errors": failing} if failing else detail)
        m.db_probe(True)
        if failing:
            return Check("degraded", {"errors": failing})
        return Check("ok")

    def _telegram(self) -> Check:
        m = self.metrics
        detail: dict[str, Any] = {}
        if m.polling is not None:
            detail["polling"] = m.polling
        if m.polling == "down":
            since = m.polling_down_since or m.clock.now()
            detail["polling_error"] = m.polling_error
            detail["polling_down_s"] = round((m.clock.now() - since).total_seconds(), 1)
        if m.telegram.failing:
            detail["error"] = m.telegram_last_error
        failing = m.telegram.failing or m.polling == "down"
        return Check("degraded" if failing else "ok", detail)

    def _max(self) -> Check:
        m = self.metrics
        detail: dict[str, Any] = {}
        if m.max_state is not None:
            detail["receiving"] = m.max_state
        if m.max_state == "down":
            detail["receiving_error"] = m.max_state_error
        if m.max.failing:
            detail["error"] = m.max_last_error
        return Check("degraded" if m.max.failing or m.max_state == "down" else "ok", detail)

    def _collector(self) -> Check:
        m = self.metrics
        now = m.clock.now()
        if not m.collector_enabled:
            return Check("ok", {"note": "no VK tokens: collector idle"})
        since = m.last_collector_pass or m.started_at
        age = (now - since).total_seconds()
        detail: dict[str, Any] = {"last_pass_age_s": round(age, 1)}
        if m.last_collector_pass is None:
            detail = {"last_pass_age_s": None, "running_s": round(age, 1)}
        failing = m.parts.get("collector")
        if failing is not None and failing.failing:
            detail["error"] = failing.last_error
        vk_down_s = m.vk.failing_for(now, m.started_at)
        if m.vk.failures_in_row:
            detail["vk_failed_in_row"] = m.vk.failures_in_row
            detail["vk_error"] = m.vk.last_error
        if m.vk.last_ok_at is not None:
            detail["vk_last_ok_age_s"] = round((now - m.vk.last_ok_at).total_seconds(), 1)
        vk_down = vk_down_s is not None and vk_down_s > self.t.vk_failing_s
        return Check("degraded" if age > self.t.collector_stale_s or vk_down else "ok", detail)

    def _outbox(self) -> Check:
        m = self.metrics
        age = m.outbox_oldest_due_s
        detail: dict[str, Any] = {"oldest_pending_age_s": round(age, 1)}
        state = m.parts.get("outbox")
        if state is not None and state.failing:
            detail["error"] = state.last_error
            return Check("degraded", detail)
        return Check("degraded" if age > self.t.outbox_stale_s else "ok", detail)

    async def report(self) -> tuple[Status, dict[str, Check]]:
        checks = {
            "db": await self._db(),
            "telegram": self._telegram(),
            "collector": self._collector(),
            "outbox": self._outbox(),
        }
        if self.metrics.max_enabled:
            checks["max"] = self._max()
        for name, check in checks.items():
            self.metrics.up.labels(name).set(_RANK[check.status])
        worst: Status = max((c.status for c in checks.values()), key=lambda s: _RANK[s])
        return worst, checks


def _json_checks(checks: Mapping[str, Check]) -> dict[str, Any]:
    return {name: {"status": c.status, **c.detail} for name, c in checks.items()}


class MetricsServer:
    """``/metrics`` (Prometheus text format) and ``/healthz`` (JSON; 503 when unhealthy)."""

    def __init__(self, metrics: Metrics, health: Health) -> None:
        self.metrics = metrics
        self.health = health
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def _metrics(self, _: web.Request) -> web.Response:
        await self.health.report()  # refresh otklik_health_status
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _healthz(self, _: web.Request) -> web.Response:
        status, checks = await self.health.report()
        body = {"status": status, "checks": _json_checks(checks)}
        return web.json_response(body, status=503 if status == "unhealthy" else 200)

    async def start(self, host: str, port: int) -> int:
        """Serve on ``host:port`` (0 picks a free port); returns the bound port."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


async def start_metrics_server(
    metrics: Metrics, health: Health, host: str, port: int
) -> MetricsServer | None:
    """Start the server unless ``port`` is 0; a busy port is logged, not fatal: the bot's
    work matters more than its dashboard."""
    if port == 0:
        return None
    server = MetricsServer(metrics, health)
    try:
        bound = await server.start(host, port)
    except OSError as exc:
        log.error("metrics server not started on %s:%s: %s", host, port, exc)
        return None
    log.info("metrics on http://%s:%s/metrics, health on /healthz", host, bound)
    return server


async def guarded(part: str, metrics: Metrics | None, fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run one pass of ``part``; record success or failure (the caller decides on retry)."""
    try:
        result = await fn()
    except Exception as exc:
        if metrics is not None:
            metrics.part_failed(part, exc)
        raise
    if metrics is not None:
        metrics.part_ok(part)
    return result


def page_agencies(pages: Iterable[Any]) -> dict[int, str]:
    """``{group_id: agency}`` from registry pages (the lag gauge's grouping)."""
    return {int(p.group_id): str(p.agency) for p in pages}


__all__ = [
    "Health",
    "HealthThresholds",
    "Metrics",
    "MetricsServer",
    "guarded",
    "page_agencies",
    "start_metrics_server",
]
