"""A synthetic region of government VK pages for the collector benchmark.

The benchmark needs a world the size of a real region (thousands of pages, ~200k posts) whose
activity looks like the real thing where it matters for a poller: a few busy pages and a long
tail of quiet ones (Zipf-like page activity), comments concentrated on fresh posts, a daytime
peak in Moscow time, replies in threads and official answers after a delay.  Everything is
drawn from one seed, so runs are comparable, and returned as ground truth so the benchmark can
score what the collector saw and when.

Generation is vectorised with numpy where it can be and the items go into the fake in time
order, so ids on each wall increase with time as on VK (one counter per wall for posts and
comments).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from sandbox.fake_vk import FakeVK

DAY_S = 86_400.0
MSK_OFFSET_S = 3 * 3600.0
GROUP_ID_BASE = 100_000
EXISTING_POST_MAX_AGE_S = 14 * DAY_S

# Relative activity by Moscow hour (0..23); normalised to mean 1 below.
COMMENT_PROFILE = (
    0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.6, 0.95, 1.2, 1.35, 1.4,
    1.4, 1.4, 1.35, 1.35, 1.35, 1.4, 1.5, 1.6, 1.6, 1.45, 1.1, 0.7,
)  # fmt: skip
POST_PROFILE = (
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.3, 1.5, 2.5, 2.5, 2.3,
    2.0, 2.3, 2.5, 2.3, 2.0, 1.5, 0.8, 0.5, 0.3, 0.1, 0.0, 0.0,
)  # fmt: skip

_TOWNS = ("Примерск", "Заречный", "Лесогорск", "Новоозёрск", "Светлогорье", "Каменка")
_STREETS = ("Ленина", "Мира", "Садовая", "Советская", "Школьная", "Набережная", "Гагарина")
_COMPLAINTS = (
    "Когда отремонтируют дорогу на ул. {street}, {house}? Ямы по колено.",
    "На {street}, {house} третий день нет горячей воды. Куда звонить?",
    "Почему не вывозят мусор у дома {house} по ул. {street}?",
    "Снег во дворе {street}, {house} не убирают, не пройти с коляской.",
    "Не работает уличное освещение на {street}. Темно и опасно.",
    "Спасибо за информацию! А что с остановкой на {street}?",
    "Детская площадка у дома {house} на {street} сломана уже месяц.",
    "Автобус №{house} опять не пришёл, ждали 40 минут на {street}.",
)
_REPLIES = (
    "Поддерживаю, у нас то же самое.",
    "Писали уже, ответа нет.",
    "Вчера вроде начали делать.",
    "Звоните в управляющую компанию.",
)
_OFFICIAL = (
    "Здравствуйте! Информация передана в профильное управление, ответ будет дан в течение "
    "трёх рабочих дней.",
    "Добрый день! Работы запланированы на следующую неделю.",
    "Здравствуйте! Обращение принято, специалисты выедут на место.",
    "Уважаемый житель, по вашему вопросу направлен запрос в управляющую компанию.",
)
_POSTS = (
    "Информация о плановом отключении водоснабжения.",
    "Итоги заседания администрации.",
    "Продолжаются работы по благоустройству дворов.",
    "Уважаемые жители! Напоминаем о правилах пожарной безопасности.",
    "Приглашаем на публичные слушания.",
    "График приёма граждан на следующую неделю.",
)


class SynthPost(NamedTuple):
    """Ground truth for one post."""

    group_id: int
    post_id: int
    at: datetime


class SynthEdit(NamedTuple):
    """Ground truth for one edit: the comment's text becomes ``text`` at ``at``."""

    group_id: int
    post_id: int
    comment_id: int
    at: datetime
    text: str


class SynthComment(NamedTuple):
    """Ground truth for one comment; ``reply_to`` is the comment answered (None: top level)."""

    group_id: int
    post_id: int
    comment_id: int
    at: datetime
    from_id: int
    reply_to: int | None

    @property
    def official(self) -> bool:
        """Written on behalf of the community (``from_id == -group_id``)."""
        return self.from_id == -self.group_id


@dataclass
class SynthWorld:
    """What :func:`generate_region` put into the fake, ordered by time."""

    start: datetime
    end: datetime
    group_ids: list[int]
    page_weights: list[float]  # share of comments per page, aligned with group_ids
    posts: list[SynthPost] = field(default_factory=list)
    comments: list[SynthComment] = field(default_factory=list)
    edits: list[SynthEdit] = field(default_factory=list)  # ordered by time

    def comments_between(self, t0: datetime, t1: datetime) -> list[SynthComment]:
        """Comments with ``t0 <= at < t1`` (e.g. the benchmark period)."""
        keys = [c.at for c in self.comments]
        return self.comments[bisect_left(keys, t0) : bisect_left(keys, t1)]

    def citizen_comments(self) -> list[SynthComment]:
        """Comments by residents (positive from_id)."""
        return [c for c in self.comments if c.from_id > 0]


def _profile(values: tuple[float, ...]) -> npt.NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    out: npt.NDArray[np.float64] = arr / float(arr.mean())
    return out


def _hours_msk(t: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return (((t + MSK_OFFSET_S) // 3600) % 24).astype(np.int64)


def _poisson_times(
    rng: np.random.Generator,
    per_day: float,
    t0: float,
    t1: float,
    profile: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Sorted event times of an inhomogeneous Poisson process (thinning by hour of day)."""
    if t1 <= t0 or per_day <= 0:
        return np.empty(0)
    peak = float(profile.max())
    n = int(rng.poisson(per_day / DAY_S * peak * (t1 - t0)))
    t = rng.uniform(t0, t1, n)
    keep = rng.random(n) < profile[_hours_msk(t)] / peak
    return np.sort(t[keep])


def _ts_to_dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def generate_region(
    fake: FakeVK,
    *,
    start: datetime,
    hours: float,
    pages: int = 6000,
    posts_per_page: int = 30,
    new_posts_per_day: int = 3000,
    comments_per_day: int = 20000,
    seed: int = 1,
    official_reply_share: float = 0.5,
    official_reply_delay_s: tuple[float, float] = (600, 7200),
    history_hours: float = 24.0,
    reply_share: float = 0.15,
    zipf_s: float = 0.9,
    freshness_hours: float = 12.0,
    pinned_share: float = 0.2,
    closed_share: float = 0.01,
    edit_share: float = 0.0,
    edit_delay_s: float = 90.0,
    edit_late_share: float = 0.2,
    edit_late_delay_s: float = 1800.0,
) -> SynthWorld:
    """Fill ``fake`` with a region and return the ground truth.

    * ``pages`` communities (ids from 100000, screen names ``region_page_<n>``), each with
      ``posts_per_page`` existing posts aged up to 14 days (busier pages post more often, so
      their posts are younger; daytime only); ``pinned_share`` of pages pin an old post and
      ``closed_share`` of posts have comments closed.
    * ``new_posts_per_day`` new posts during ``[start, start + hours)``.
    * Comments: a Poisson process of ``comments_per_day`` with a Moscow daytime peak, over
      ``[start - history_hours, start + hours)`` (the history gives existing posts realistic
      recent comment counts without creating two weeks of comments).  Each picks a page by
      Zipf-like weight and a post with probability decaying as ``exp(-age/freshness)`` (10% pick
      uniformly among older posts); ``reply_share`` of them reply in an existing thread.
    * ``official_reply_share`` of residents' top-level comments get an answer from the
      community (``from_id = -group_id``) after a uniform delay in ``official_reply_delay_s``,
      if it falls before the end.
    * ``edit_share`` of residents' comments are edited once, if before the end: most soon
      after writing (log-normal, median ``edit_delay_s``: a typo, the address added), and
      ``edit_late_share`` of them later (median ``edit_late_delay_s``).  A complaint gets its
      address added; a reply in a thread becomes a complaint.  Edits are drawn from their own
      random stream, so posts and comments are the same as without them.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if pages < 1 or posts_per_page < 1 or hours < 0:
        raise ValueError("need at least one page and one post per page")
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    t_start = start.timestamp()
    t_end = t_start + hours * 3600.0
    t_hist = t_start - history_hours * 3600.0
    tau = freshness_hours * 3600.0

    # --- pages: Zipf-like comment activity, flatter posting activity
    ranks = rng.permutation(pages) + 1
    comment_w = 1.0 / ranks.astype(np.float64) ** zipf_s
    comment_w /= comment_w.sum()
    post_w = np.sqrt(comment_w)
    post_w /= post_w.sum()
    group_ids = [GROUP_ID_BASE + i for i in range(pages)]
    for i, gid in enumerate(group_ids):
        town = _TOWNS[i % len(_TOWNS)]
        fake.add_group(gid, f"Администрация {town} №{i}", f"region_page_{i}")

    # --- posts: (time, page, pinned, closed)
    post_profile = _profile(POST_PROFILE)
    post_t: list[float] = []
    post_page: list[int] = []
    for page in range(pages):
        rate_per_s = max(new_posts_per_day * float(post_w[page]), 1e-3) / DAY_S
        span = min(EXISTING_POST_MAX_AGE_S, 1.5 * posts_per_page / rate_per_s)
        cand = rng.uniform(t_start - span, t_start, posts_per_page * 6)
        ok = cand[rng.random(cand.size) < post_profile[_hours_msk(cand)] / post_profile.max()]
        chosen = ok[:posts_per_page]
        if chosen.size < posts_per_page:  # practically never: pad with plain uniform times
            chosen = np.concatenate([chosen, cand[: posts_per_page - chosen.size]])
        post_t.extend(chosen.tolist())
        post_page.extend([page] * posts_per_page)
    new_t = _poisson_times(rng, new_posts_per_day, t_start, t_end, post_profile)
    post_t.extend(new_t.tolist())
    post_page.extend(rng.choice(pages, size=new_t.size, p=post_w).tolist())
    n_posts = len(post_t)
    closed = (rng.random(n_posts) < closed_share).tolist()
    pinned = [False] * n_posts
    for page in np.flatnonzero(rng.random(pages) < pinned_share).tolist():
        pinned[page * posts_per_page + prng.randrange(posts_per_page)] = True

    # per page: post keys sorted by time, their times and cumulative freshness weights
    by_page: list[list[int]] = [[] for _ in range(pages)]
    for key in sorted(range(n_posts), key=post_t.__getitem__):
        by_page[post_page[key]].append(key)
    page_times = [[post_t[k] for k in keys] for keys in by_page]
    page_cum: list[list[float]] = []
    for times in page_times:
        acc, cum = 0.0, []
        for t in times:
            acc += math.exp((t - t_end) / tau)
            cum.append(acc)
        page_cum.append(cum)

    # --- comments, processed in time order so replies can find earlier comments
    c_t = _poisson_times(rng, comments_per_day, t_hist, t_end, _profile(COMMENT_PROFILE))
    c_page = rng.choice(pages, size=c_t.size, p=comment_w).tolist()
    users = rng.integers(1, 50_000_000, size=c_t.size).tolist()
    texts = [
        tpl.format(street=_STREETS[i % len(_STREETS)], house=1 + (i * 7) % 97)
        for i, tpl in enumerate(_COMPLAINTS * 25)
    ]
    lo, hi = official_reply_delay_s
    rnd = prng.random
    # comment records: (time, post key, from_id, parent comment key or -1, text)
    com: list[tuple[float, int, int, int, str]] = []
    tops: dict[int, list[int]] = {}
    for t, page, user in zip(c_t.tolist(), c_page, users, strict=True):
        times = page_times[page]
        k = bisect_right(times, t)
        if k == 0:
            continue
        if rnd() < 0.1:
            j = int(rnd() * k)
        else:
            cum = page_cum[page]
            j = min(bisect_left(cum, rnd() * cum[k - 1]), k - 1)
        pkey = by_page[page][j]
        if closed[pkey]:
            continue
        thread = tops.get(pkey)
        if thread and rnd() < reply_share:
            com.append((t, pkey, user, thread[int(rnd() * len(thread))], _REPLIES[user % 4]))
            continue
        ckey = len(com)
        com.append((t, pkey, user, -1, texts[user % len(texts)]))
        tops.setdefault(pkey, []).append(ckey)
        if rnd() < official_reply_share:
            at = t + lo + (hi - lo) * rnd()
            if at < t_end:
                gid = group_ids[post_page[pkey]]
                com.append((at, pkey, -gid, ckey, _OFFICIAL[ckey % len(_OFFICIAL)]))

    # --- feed the fake in time order (posts first on ties) so ids grow with time
    order: list[tuple[float, int, int]] = [(t, 0, k) for k, t in enumerate(post_t)]
    order.extend((c[0], 1, k) for k, c in enumerate(com))
    order.sort()
    post_ids = [0] * n_posts
    comment_ids = [0] * len(com)
    world = SynthWorld(start, _ts_to_dt(t_end), group_ids, comment_w.tolist())
    base_ids = rng.integers(100, 50_000, size=pages).tolist()
    started = [False] * pages
    for t, kind, key in order:
        at = _ts_to_dt(t)
        if kind == 0:
            page = post_page[key]
            gid = group_ids[page]
            explicit = None if started[page] else int(base_ids[page])
            started[page] = True
            pid = fake.add_post(
                gid,
                at=at,
                text=_POSTS[key % len(_POSTS)],
                post_id=explicit,
                comments_closed=closed[key],
                is_pinned=pinned[key],
            )
            post_ids[key] = pid
            world.posts.append(SynthPost(gid, pid, at))
        else:
            _, pkey, from_id, parent, text = com[key]
            gid = group_ids[post_page[pkey]]
            reply_to = comment_ids[parent] if parent >= 0 else None
            cid = fake.add_comment(
                gid, post_ids[pkey], at=at, from_id=from_id, text=text, reply_to=reply_to
            )
            comment_ids[key] = cid
            world.comments.append(SynthComment(gid, post_ids[pkey], cid, at, from_id, reply_to))
    if edit_share > 0:
        _add_edits(
            fake, world, seed, t_end, edit_share, (edit_delay_s, edit_late_delay_s),
            edit_late_share,
        )  # fmt: skip
    return world


def _add_edits(
    fake: FakeVK,
    world: SynthWorld,
    seed: int,
    t_end: float,
    share: float,
    delays: tuple[float, float],
    late_share: float,
) -> None:
    """Edit a share of the residents' comments (see :func:`generate_region`)."""
    rng = np.random.default_rng([seed, 11])  # its own stream: the rest of the world stays
    residents = [c for c in world.comments if c.from_id > 0]
    picked = rng.random(len(residents)) < share
    late = rng.random(len(residents)) < late_share
    wait = np.exp(rng.normal(0.0, 1.0, len(residents)))  # log-normal, median 1
    edits: list[SynthEdit] = []
    for i, c in enumerate(residents):
        if not picked[i]:
            continue
        at = c.at.timestamp() + float(wait[i]) * delays[1 if late[i] else 0]
        if at >= t_end:
            continue
        old = fake.world.walls[c.group_id].comments[c.comment_id].text
        if c.reply_to is None:
            street = _STREETS[c.comment_id % len(_STREETS)]
            text = f"{old} Адрес: ул. {street}, д. {1 + c.comment_id % 97}."
        else:
            text = f"{old} И у нас во дворе то же: " + _COMPLAINTS[c.comment_id % 5].format(
                street=_STREETS[c.comment_id % len(_STREETS)], house=1 + c.comment_id % 97
            )
        edits.append(SynthEdit(c.group_id, c.post_id, c.comment_id, _ts_to_dt(at), text))
    edits.sort(key=lambda e: e.at)
    for e in edits:
        fake.edit_comment(e.group_id, e.comment_id, at=e.at, text=e.text)
    world.edits = edits


__all__ = ["SynthComment", "SynthEdit", "SynthPost", "SynthWorld", "generate_region"]
