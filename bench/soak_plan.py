"""The randomized region and timeline of the invariant soak (``bench/soak.py``).

Everything is drawn from one seed, so the same seed gives the same plan at any speed: the
world (agencies, pages, posts, people) as a sandbox :class:`~sandbox.scenario.Scenario`, and a
time-ordered list of :class:`Step` that the soak's driver plays against the running app.

Steps name comments by label (``k17``), never by VK or complaint id: the driver allocates
VK ids as it posts and looks complaints up by comment when a person acts on one, so a step
means the same thing at every speed.  Causally related steps of one complaint are at least
``MIN_GAP`` apart and kept ``MARGIN`` away from the complaint's SLA stages (nudge, breach,
lead escalation, computed with the product's own pure calendar), so that a loaded machine
detecting an answer a minute later cannot turn an escalation into none: the two-speed
comparison then compares outcomes, not races the plan itself set up.

The world is built to reach the defects the soak exists to catch: an agency with no
official, an official who blocks the bot (so his agency has nobody reachable), bursts of
complaints to one chat (coalesced into a summary, then changed), deletions of unanswered
complaints on short-deadline agencies, edits, follow-ups, Long Poll and polled pages alike.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from config.registry import Registry
from matcher.sla import deadlines
from sandbox.scenario import Scenario
from storage.sla_clock import agency_calendar, agency_policy

StepKind = Literal["comment", "edit", "delete", "press", "command", "fault", "block", "restart"]

#: Monday 09:30 Moscow: a working day is under way (the 09:00 digest is already out).
DEFAULT_START = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
MIN_GAP = timedelta(minutes=12)  # between two steps of one complaint's story
MARGIN = timedelta(minutes=15)  # around the complaint's SLA stages
GROUP_BASE = 3001
RESIDENT_BASE = 200_000
OFFICIAL_VK_BASE = 90_001

_AGENCY_NAMES = (
    "Администрация г. Примерска",
    "Управление ЖКХ",
    "Дорожное управление",
    "Управление образования",
    "Департамент транспорта",
    "Комитет по благоустройству",
    "Управление соцзащиты",
    "Служба экологии",
)
_FIRST = ("Иван", "Ольга", "Пётр", "Анна", "Сергей", "Мария", "Дмитрий", "Елена", "Олег")
_LAST = ("Петров", "Смирнова", "Кузнецов", "Иванова", "Соколов", "Попова", "Лебедев", "Козлова")
_STREETS = ("Ленина", "Мира", "Садовой", "Советской", "Школьной", "Набережной", "Гагарина")
_COMPLAINTS = (
    "Когда отремонтируют дорогу на улице {street}, у дома {house}? Ямы по колено, {tail}",
    "Третий день нет горячей воды в доме {house} на {street}. Куда звонить? {tail}",
    "Почему не вывозят мусор у дома {house} по улице {street}? Контейнеры переполнены, {tail}",
    "Снег во дворе дома {house} на {street} не убирают, не пройти с коляской. {tail}",
    "Не работает уличное освещение на {street} возле дома {house}. Темно и опасно, {tail}",
    "Детская площадка у дома {house} на {street} сломана уже месяц, когда починят? {tail}",
    "Автобус номер {house} опять не пришёл, ждали сорок минут на остановке {street}. {tail}",
    "В подъезде дома {house} на {street} течёт крыша, управляющая компания молчит. {tail}",
)
_TAILS = (
    "сколько можно ждать?",
    "разберитесь пожалуйста.",
    "дети ходят в темноте.",
    "жалуемся уже не первый раз.",
    "просим принять меры.",
    "ответьте наконец!",
    "когда это закончится?",
    "пенсионерам не пройти.",
)
_CHATTER = (
    "Спасибо за информацию!",
    "Отличная новость, спасибо.",
    "Красиво получилось 👍",
    "Поддерживаю",
    "Ура!",
    "Хорошего дня всем",
    "Спасибо большое!",
)
_FOLLOWUPS = (
    "Ничего не сделали, всё по-прежнему.",
    "До сих пор ничего не сделано, проблема на месте.",
    "Прошла неделя, ничего не изменилось, опять то же самое.",
)
_ADDRESS = " Уточняю адрес: улица {street}, дом {house}, подъезд {entrance}."
_RESIDENT_REPLY = "Дом {house}, подъезд {entrance}, фото прикрепила."
_PAGE_ANSWERS = (
    "Здравствуйте! Работы запланированы на {day} ноября, бригада выедет утром.",
    "Добрый день! Заявка передана подрядчику, срок устранения до {day} ноября.",
    "Здравствуйте, {name}! Специалисты выедут на место {day} ноября.",
)
_POSTS = (
    "Итоги ремонта дорог за неделю",
    "График отключения горячей воды",
    "Приглашаем на публичные слушания",
    "Работы по благоустройству дворов продолжаются",
    "Уважаемые жители! Напоминаем о правилах пожарной безопасности",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens at virtual ``at``.  Only the fields of its ``kind`` are set.

    * ``comment``: ``key`` is posted on ``page``/``post`` by ``from_id`` (``name``), in reply
      to comment ``reply_to`` (a label) when set;
    * ``edit`` / ``delete``: comment ``key`` gets ``text`` / is deleted by its author;
    * ``press``: ``person`` presses button ``act`` (an ``Act`` code, or ``assign:<agency>``)
      on their newest card of ``key``'s complaint (``double``: twice at once);
    * ``command``: ``person`` sends ``text``, with ``{id}`` standing for ``key``'s complaint;
    * ``fault``: the next ``count`` Bot API calls fail as ``fault`` says;
    * ``block``: ``person`` blocks the bot;
    * ``restart``: the app stops and starts again after ``downtime_s`` of virtual time.
    """

    at: datetime
    kind: StepKind
    key: str | None = None
    page: int | None = None
    post: int | None = None
    from_id: int | None = None
    name: str | None = None
    text: str | None = None
    reply_to: str | None = None
    person: int | None = None
    act: str | None = None
    double: bool = False
    fault: str | None = None
    count: int = 1
    delay_s: float = 0.0
    retry_after: int = 5
    downtime_s: float = 0.0
    compare: bool = True  # its reply is part of the two-speed comparison

    @property
    def telegram(self) -> bool:
        return self.kind in ("press", "command")

    def describe(self) -> str:
        """A short line for reports: what the step did (no residents' texts)."""
        what = {
            "comment": f"comment {self.key} on {self.page}/{self.post}"
            + (f" replying to {self.reply_to}" if self.reply_to else ""),
            "edit": f"edit of {self.key}",
            "delete": f"deletion of {self.key}",
            "press": f"{self.person} presses {self.act} on {self.key}"
            + (" twice" if self.double else ""),
            "command": f"{self.person} sends {self.text!r}"
            + (f" ({{id}} = {self.key})" if self.key else ""),
            "fault": f"Telegram fault {self.fault} ×{self.count}",
            "block": f"{self.person} blocks the bot",
            "restart": f"restart, down {self.downtime_s:.0f} s",
        }[self.kind]
        return f"{self.at.isoformat()} {what}"


@dataclass
class Plan:
    seed: int
    scenario: Scenario
    steps: list[Step]
    end: datetime  # the last step plus the drain
    lp_pages: frozenset[int]
    officials: dict[str, list[int]]  # agency -> its officials' telegram ids
    moderators: list[int]
    lead: int
    admin: int
    orphan_agency: str  # has no official at all
    blocked: int  # the official who blocks the bot (the only one of his agency)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def registry(self) -> Registry:
        return self.scenario.registry()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for step in self.steps:
            out[step.kind] = out.get(step.kind, 0) + 1
        return out


@dataclass
class _Thread:
    """One complaint's story while it is planned: its steps and SLA instants to avoid."""

    key: str
    page: int
    post: int
    author: int
    agency: str
    t: datetime  # when its last step happens
    crit: list[datetime] = field(default_factory=list)


class _Builder:
    def __init__(
        self,
        seed: int,
        *,
        start: datetime,
        days: float,
        pages: int,
        complaints_per_page_day: float,
        drain: timedelta,
    ) -> None:
        if pages < 3:
            raise ValueError("the soak needs at least 3 pages")
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.active_end = start + timedelta(days=days)
        self.end = self.active_end + drain
        self.n_pages = pages
        self.rate = complaints_per_page_day
        self.steps: list[Step] = []
        self.n_comments = 0
        self.n_residents = 0
        self.downtimes: list[tuple[datetime, datetime]] = []

    # ------------------------------------------------------------------ the world

    def world(self) -> dict[str, Any]:
        rng = self.rng
        n_ag = max(3, min(len(_AGENCY_NAMES), self.n_pages // 2 + 2))
        agencies: list[dict[str, Any]] = []
        for i in range(n_ag):
            hours = rng.choice((1.0, 1.5, 2.0, 4.0, 8.0))
            agencies.append(
                {
                    "id": f"ag{i}",
                    "name": _AGENCY_NAMES[i],
                    "tz": "Asia/Yekaterinburg" if i == 2 else "Europe/Moscow",
                    "first_response_hours": hours,
                    # Short deadlines run round the clock, so a few virtual hours reach
                    # nudges, breaches and lead escalations.
                    "always_open": hours <= 2.0 or rng.random() < 0.3,
                    "escalate_lead_after_hours": rng.choice((1.0, 2.0)),
                }
            )
        agencies[-1]["first_response_hours"] = 1.0  # the orphan: breaches come quickly
        agencies[-1]["always_open"] = True
        agencies[1]["first_response_hours"] = 1.0  # the blocked official's agency
        agencies[1]["always_open"] = True
        pages: list[dict[str, Any]] = []
        for i in range(self.n_pages):
            # Every agency has a page; the orphan and the blocked official's agency too.
            agency = str(agencies[i % n_ag]["id"] if i < n_ag else rng.choice(agencies)["id"])
            pages.append(
                {
                    "group_id": GROUP_BASE + i,
                    "name": f"{_AGENCY_NAMES[int(agency[2:])]} · страница {i + 1}",
                    "screen_name": f"soak_page_{i + 1}",
                    "agency": agency,
                }
            )
        people: list[dict[str, Any]] = []
        self.officials: dict[str, list[int]] = {str(a["id"]): [] for a in agencies}
        for i, entry in enumerate(agencies[:-1]):  # the last agency has no official
            agency_id = str(entry["id"])
            per = 2 if i == 0 else 1
            for j in range(per):
                tid = 501 + 10 * i + j
                people.append(
                    {
                        "telegram_id": tid,
                        "name": f"{_FIRST[(i + j) % len(_FIRST)]} {_LAST[i % len(_LAST)]}",
                        "role": "official",
                        "agencies": [agency_id],
                        "vk_id": OFFICIAL_VK_BASE + 10 * i + j,
                    }
                )
                self.officials[agency_id].append(tid)
        self.moderators = [601, 602]
        people += [
            {"telegram_id": 601, "name": "Ольга Модератова", "role": "moderator"},
            {"telegram_id": 602, "name": "Павел Модератов", "role": "moderator"},
            {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
            {"telegram_id": 801, "name": "Алла Админова", "role": "admin"},
        ]
        self.orphan = str(agencies[-1]["id"])
        self.blocked = self.officials[str(agencies[1]["id"])][0]
        self.agencies = agencies
        self.pages = pages
        self.page_ids: list[int] = [int(p["group_id"]) for p in pages]
        self.page_agency: dict[int, str] = {int(p["group_id"]): str(p["agency"]) for p in pages}
        # Every third page is followed through Long Poll (a community token), the rest polled.
        self.lp_pages = frozenset(gid for k, gid in enumerate(self.page_ids) if k % 3 == 1)
        posts = []
        self.posts: dict[int, list[int]] = {}
        for gid in self.page_ids:
            n = rng.randint(2, 4)
            ids = []
            for k in range(n):
                pid = 10 + k
                at = self.start - timedelta(hours=rng.uniform(1, 40))
                posts.append(
                    {"page": gid, "id": pid, "at": at.isoformat(), "text": rng.choice(_POSTS)}
                )
                ids.append(pid)
            self.posts[gid] = ids
        self.registry = Registry.model_validate(
            {"agencies": agencies, "pages": pages, "people": people}
        )
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "agencies": agencies,
            "pages": pages,
            "people": people,
            "posts": posts,
            "events": [],
        }

    # ------------------------------------------------------------------ helpers

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def new_key(self) -> str:
        self.n_comments += 1
        return f"k{self.n_comments}"

    def resident(self) -> tuple[int, str]:
        self.n_residents += 1
        rng = self.rng
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)[0]}."
        return RESIDENT_BASE + self.n_residents, name

    def complaint_text(self) -> str:
        rng = self.rng
        return rng.choice(_COMPLAINTS).format(
            street=rng.choice(_STREETS), house=rng.randint(1, 180), tail=rng.choice(_TAILS)
        )

    def crit(self, at: datetime, agency: str, kind: str = "first_response") -> list[datetime]:
        """The SLA instants of a clock started at ``at`` (warning, breach, lead)."""
        d = deadlines(
            at,
            agency_policy(self.registry, agency),
            agency_calendar(self.registry, agency),
            kind="update" if kind == "update" else "first_response",
        )
        return [d.warn_at, d.due_at, d.escalate_lead_at]

    def place(self, th: _Thread, lo_min: float, hi_min: float) -> datetime | None:
        """The next instant of ``th``'s story: ``lo..hi`` minutes after its last step, at
        least ``MIN_GAP`` later, clear of its SLA instants; None past the active window."""
        t = th.t + max(MIN_GAP, timedelta(minutes=self.rng.uniform(lo_min, hi_min)))
        for _ in range(8):
            near = [c for c in th.crit if abs(c - t) < MARGIN]
            if not near:
                break
            t = max(near) + MARGIN
        if t >= self.active_end:
            return None
        th.t = t
        return t

    def official_of(self, agency: str) -> int | None:
        found = [tid for tid in self.officials.get(agency, []) if tid != self.blocked]
        return found[0] if found else None

    def other_agency(self, agency: str) -> str:
        return self.rng.choice([str(a["id"]) for a in self.agencies if a["id"] != agency])

    def arrivals(self, per_day: float) -> list[datetime]:
        """Poisson arrivals over the active window, denser in the Moscow daytime."""
        out: list[datetime] = []
        t = self.start + timedelta(minutes=5)
        peak = 1.6
        while True:
            t += timedelta(seconds=self.rng.expovariate(per_day * peak / 86_400))
            if t >= self.active_end:
                return out
            hour = (t + timedelta(hours=3)).hour
            weight = 0.25 if hour < 7 else 1.0 if hour < 9 else 1.5 if hour < 22 else 0.6
            if self.rng.random() < weight / peak:
                out.append(t)

    # ------------------------------------------------------------------ stories

    def complaint(self, t0: datetime, page: int | None = None) -> _Thread:
        rng = self.rng
        gid = page if page is not None else rng.choice(self.page_ids)
        post = rng.choice(self.posts[gid])
        author, name = self.resident()
        key = self.new_key()
        self.add(
            Step(
                t0,
                "comment",
                key=key,
                page=gid,
                post=post,
                from_id=author,
                name=name,
                text=self.complaint_text(),
            )
        )
        agency = self.page_agency[gid]
        return _Thread(key, gid, post, author, agency, t0, self.crit(t0, agency))

    def story(self, t0: datetime) -> None:
        rng = self.rng
        th = self.complaint(t0)
        roll = rng.random()
        if roll < 0.16:
            self.deleted_story(th)
            return
        if rng.random() < 0.15 and (t := self.place(th, 5, 40)):
            extra = _ADDRESS.format(
                street=rng.choice(_STREETS), house=rng.randint(1, 99), entrance=rng.randint(1, 6)
            )
            self.add(Step(t, "edit", key=th.key, text=self.complaint_text() + extra))
        if rng.random() < 0.3 and (t := self.place(th, 5, 60)):
            who, name = self.resident()
            self.add(
                Step(
                    t,
                    "comment",
                    key=self.new_key(),
                    page=th.page,
                    post=th.post,
                    from_id=who,
                    name=name,
                    text=rng.choice(_CHATTER),
                    reply_to=th.key,
                )
            )
        if rng.random() < 0.45:
            self.actions(th)
        if rng.random() < 0.65:
            self.answer(th)

    def deleted_story(self, th: _Thread) -> None:
        """An unanswered complaint its author deletes: nothing may be escalated after."""
        official = self.official_of(th.agency)
        if official is not None and self.rng.random() < 0.4 and (t := self.place(th, 10, 30)):
            self.add(Step(t, "press", key=th.key, person=official, act="t"))
        if t := self.place(th, 10, 80):
            self.add(Step(t, "delete", key=th.key))

    def actions(self, th: _Thread) -> None:
        rng = self.rng
        official = self.official_of(th.agency)
        moderator = rng.choice(self.moderators)
        menu: list[str] = ["resolve", "dismiss", "assign", "mod_wait", "mod_press", "open_card"]
        if official is not None:
            menu += ["take", "take", "wait", "wait", "hand_answer", "double_wait"]
        for choice in rng.sample(menu, k=rng.choice((1, 1, 2))):
            t = self.place(th, 10, 90)
            if t is None:
                return
            if choice == "take" and official is not None:
                self.add(Step(t, "press", key=th.key, person=official, act="t"))
            elif choice in ("wait", "double_wait") and official is not None:
                double = choice == "double_wait"
                self.add(Step(t, "press", key=th.key, person=official, act="w", double=double))
                if rng.random() < 0.6 and (t2 := self.place(th, 15, 90)):
                    # The resident answers what was asked, in the thread: the clock runs again.
                    house = rng.randint(1, 99)
                    self.add(
                        Step(
                            t2,
                            "comment",
                            key=self.new_key(),
                            page=th.page,
                            post=th.post,
                            from_id=th.author,
                            text=_RESIDENT_REPLY.format(house=house, entrance=rng.randint(1, 6)),
                            reply_to=th.key,
                        )
                    )
                elif t3 := self.place(th, 15, 90):
                    self.add(Step(t3, "press", key=th.key, person=official, act="g"))
            elif choice == "hand_answer" and official is not None:
                self.add(Step(t, "press", key=th.key, person=official, act="a"))
            elif choice == "resolve":
                self.add(Step(t, "command", key=th.key, person=moderator, text="/resolve {id}"))
            elif choice == "dismiss":
                text = "/dismiss {id} не по теме"
                self.add(Step(t, "command", key=th.key, person=moderator, text=text))
            elif choice == "assign":
                target = self.other_agency(th.agency)
                if rng.random() < 0.5:
                    text = f"/assign {{id}} {target}"
                    self.add(Step(t, "command", key=th.key, person=moderator, text=text))
                else:
                    self.add(
                        Step(t, "press", key=th.key, person=moderator, act=f"assign:{target}")
                    )
                th.agency = target
                th.crit += self.crit(t, target)  # same clock, another calendar: avoid both
            elif choice == "mod_wait":
                text = "/wait {id} уточняем адрес у жителя"
                self.add(Step(t, "command", key=th.key, person=moderator, text=text))
                if t2 := self.place(th, 15, 90):
                    self.add(
                        Step(t2, "command", key=th.key, person=moderator, text="/resume {id}")
                    )
            elif choice == "mod_press":
                self.add(Step(t, "press", key=th.key, person=moderator, act=rng.choice("rd")))
            elif choice == "open_card":
                self.add(Step(t, "command", key=th.key, person=moderator, text="/complaint {id}"))

    def answer(self, th: _Thread, *, follow: bool = True) -> None:
        rng = self.rng
        t = self.place(th, 15, 200)
        if t is None:
            return
        official = self.official_of(th.agency)
        gid = th.page
        if official is not None and rng.random() < 0.3:
            from_id = OFFICIAL_VK_BASE + (official - 501)  # the official's own VK account
        else:
            from_id = -gid
        text = rng.choice(_PAGE_ANSWERS).format(day=rng.randint(24, 30), name="житель")
        self.add(
            Step(
                t,
                "comment",
                key=self.new_key(),
                page=gid,
                post=th.post,
                from_id=from_id,
                text=text,
                reply_to=th.key,
            )
        )
        if not follow:
            return
        roll = rng.random()
        if roll < 0.3 and (t2 := self.place(th, 15, 60)):
            # «ничего не сделали»: reopened with a new clock from this comment
            self.add(
                Step(
                    t2,
                    "comment",
                    key=self.new_key(),
                    page=gid,
                    post=th.post,
                    from_id=th.author,
                    text=rng.choice(_FOLLOWUPS),
                    reply_to=th.key,
                )
            )
            th.crit = self.crit(t2, th.agency, "update")
            if rng.random() < 0.5:
                self.answer(th, follow=False)
        elif roll < 0.4 and (t3 := self.place(th, 20, 120)):
            moderator = rng.choice(self.moderators)
            self.add(Step(t3, "command", key=th.key, person=moderator, text="/reopen {id}"))
            th.crit = self.crit(t3, th.agency, "update")

    def chatter_into_complaint(self, t0: datetime) -> None:
        """Chatter its author edits into a complaint (seen only if edits are read)."""
        rng = self.rng
        gid = rng.choice(self.page_ids)
        post = rng.choice(self.posts[gid])
        who, name = self.resident()
        key = self.new_key()
        self.add(
            Step(
                t0,
                "comment",
                key=key,
                page=gid,
                post=post,
                from_id=who,
                name=name,
                text=rng.choice(_CHATTER),
            )
        )
        agency = self.page_agency[gid]
        th = _Thread(key, gid, post, who, agency, t0)
        if t := self.place(th, 10, 60):
            self.add(Step(t, "edit", key=key, text=self.complaint_text()))
            th.crit = self.crit(t, agency)
            if rng.random() < 0.5:
                self.answer(th, follow=False)

    def burst(self, t0: datetime) -> None:
        """Five complaints to one page's officials within two minutes: one summary, then
        answers and a moderator's decision on complaints the officials know only from it."""
        page = self.page_ids[0]
        threads = []
        for i in range(5):
            threads.append(self.complaint(t0 + timedelta(seconds=25 * i), page=page))
        for th in threads[:2]:
            self.answer(th, follow=False)
        th = threads[2]
        if t := self.place(th, 15, 40):
            moderator = self.moderators[0]
            self.add(Step(t, "command", key=th.key, person=moderator, text="/resolve {id}"))
        th = threads[3]
        if t := self.place(th, 15, 40):
            self.add(Step(t, "delete", key=th.key))

    def chatter(self, t0: datetime) -> None:
        rng = self.rng
        gid = rng.choice(self.page_ids)
        who, name = self.resident()
        self.add(
            Step(
                t0,
                "comment",
                key=self.new_key(),
                page=gid,
                post=rng.choice(self.posts[gid]),
                from_id=who,
                name=name,
                text=rng.choice(_CHATTER),
            )
        )

    # ------------------------------------------------------------------ the timeline

    def timeline(self) -> None:
        rng = self.rng
        span = self.active_end - self.start
        hours = span.total_seconds() / 3600
        for t in self.arrivals(self.rate * self.n_pages):
            self.story(t)
        for t in self.arrivals(self.rate * self.n_pages * 0.5):
            self.chatter(t)
        for t in self.arrivals(self.rate * self.n_pages * 0.06):
            self.chatter_into_complaint(t)
        # Bursts: one early (before the first restart) and one a day.
        for k in range(max(1, math.ceil(hours / 24))):
            t = self.start + span * (0.12 if k == 0 else k / max(1.0, hours / 24) + 0.05)
            if t < self.active_end - timedelta(minutes=90):
                self.burst(t)
        # The official who blocks the bot: his agency then has nobody reachable.  Not within
        # minutes of a complaint to his agency (whether that alert beat the block would
        # depend on the machine).
        pages = {g for g, a in self.page_agency.items() if a == self.agencies[1]["id"]}
        near = [s.at for s in self.steps if s.kind == "comment" and s.page in pages]
        t_block = self.start + span * 0.2
        while any(abs(t - t_block) < MARGIN for t in near):
            t_block += timedelta(minutes=2)
        self.add(Step(t_block, "block", person=self.blocked))
        # Restarts: one a virtual day (at least one), some with the app down a while, and
        # complaints written while it is down.
        n_restarts = max(1, round(hours / 24))
        for k in range(n_restarts):
            t = self.start + span * ((k + 0.45) / n_restarts)
            down = rng.choice((0.0, 600.0, 1200.0)) if k else 900.0
            self.add(Step(t, "restart", downtime_s=down))
            if down:
                self.downtimes.append((t, t + timedelta(seconds=down)))
                for i in range(3):
                    self.story(t + timedelta(seconds=down * (i + 1) / 4))
                # Seen before the stop, changed while the app is down: one complaint is
                # deleted by its author, another gets the address added.
                # (On polled pages, where only a re-read shows such changes; the deletion on
                # an agency with a one-hour deadline, which comes within the run.)
                polled = [g for g in self.page_ids if g not in self.lp_pages]
                short = {self.orphan, str(self.agencies[1]["id"])}
                page = next((g for g in polled if self.page_agency[g] in short), polled[0])
                gone = self.complaint(t - timedelta(minutes=20), page=page)
                self.add(Step(t + timedelta(seconds=down / 2), "delete", key=gone.key))
                edited = self.complaint(t - timedelta(minutes=18), page=polled[-1])
                extra = _ADDRESS.format(street="Мира", house=7, entrance=2)
                text = self.complaint_text() + extra
                self.add(Step(t + timedelta(seconds=down / 3), "edit", key=edited.key, text=text))
        # Telegram faults: 429, 5xx and timeouts, several an hour of daytime.
        for t in self.arrivals(48.0 if hours < 12 else 24.0):
            kind = rng.choice(("http500", "http502", "timeout", "http429"))
            self.add(
                Step(
                    t,
                    "fault",
                    fault=kind,
                    count=rng.randint(1, 3),
                    delay_s=rng.uniform(5, 60),
                    retry_after=rng.randint(2, 20),
                )
            )
        # Lists now and then (their replies depend on the minute: not compared).
        who = [*self.moderators, *[t for ts in self.officials.values() for t in ts]]
        for t in self.arrivals(max(4.0, 24.0 / 2)):
            person = rng.choice([p for p in who if p != self.blocked])
            text = rng.choice(("/open", "/my", "/overdue", "/stats"))
            if text == "/my" and person in self.moderators:
                text = "/open"
            self.add(Step(t, "command", person=person, text=text, compare=False))

    def finish(self) -> list[Step]:
        """Sorted steps; Telegram steps that fall while the app is down move after it."""
        out = []
        for step in self.steps:
            if step.telegram:
                for a, b in self.downtimes:
                    if a <= step.at < b + timedelta(minutes=2):
                        step = replace(step, at=b + timedelta(minutes=2, seconds=1))
            for a, b in self.downtimes:
                if step.kind == "block" and a <= step.at < b:
                    step = replace(step, at=b + timedelta(minutes=1))
            out.append(step)
        order = {"restart": 0, "block": 1}
        out.sort(key=lambda s: (s.at, order.get(s.kind, 2)))
        # A step of a person who blocked the bot would unblock him (writing to a bot does):
        # his presses after the block are dropped.
        block_at = next((s.at for s in out if s.kind == "block"), None)
        if block_at is not None:
            out = [
                s
                for s in out
                if not (s.telegram and s.person == self.blocked and s.at >= block_at)
            ]
        return out


def make_plan(
    seed: int,
    *,
    days: float = 3.0,
    pages: int = 6,
    start: datetime = DEFAULT_START,
    complaints_per_page_day: float = 12.0,
    drain: timedelta = timedelta(minutes=40),
) -> Plan:
    """The world and the timeline of one soak run, all drawn from ``seed``."""
    b = _Builder(
        seed,
        start=start,
        days=days,
        pages=pages,
        complaints_per_page_day=complaints_per_page_day,
        drain=drain,
    )
    scenario = Scenario.model_validate(b.world())
    b.timeline()
    steps = b.finish()
    return Plan(
        seed=seed,
        scenario=scenario,
        steps=steps,
        end=b.end,
        lp_pages=b.lp_pages,
        officials=b.officials,
        moderators=b.moderators,
        lead=701,
        admin=801,
        orphan_agency=b.orphan,
        blocked=b.blocked,
        notes={"downtimes": [(a.isoformat(), c.isoformat()) for a, c in b.downtimes]},
    )


__all__ = ["DEFAULT_START", "Plan", "Step", "make_plan"]
