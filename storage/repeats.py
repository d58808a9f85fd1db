"""Repeats: is a new complaint the same author's again, or a copy of an earlier text?

A complaint repeats the earliest complaint (by ``created_at``) created within the 30 days up to
it that has the same author and topic, or a near-identical text (``similarity >=
NEAR_DUPLICATE``) on any page.  Nothing here reads every stored complaint:

* same author and topic: one indexed query (``ix_complaints_author``) for a batch's authors;
* near-identical text: each complaint is listed in ``complaint_keys`` under the first ~43% of
  its text's shingles in a fixed order (:func:`matcher.followup.repeat_keys`), and two
  near-duplicates share at least :func:`~matcher.followup.shared_keys_needed` of those keys.
  The keys are kept apart by the set of numbers the text names
  (:func:`~matcher.followup.stored_part`): texts naming other numbers (house 5, house 7) are
  near-duplicates only with the very same shingles, which one more key per complaint, of the
  whole shingle set, finds.  One query fetches the complaints listed under the new
  complaints' keys; only those sharing enough keys are compared with the exact
  :func:`matcher.followup.similarity`.

The keys are written in the same transaction as the complaint, so other processes find a
complaint when (and only when) it is committed, and a rolled-back batch leaves nothing behind.
Complaints created earlier in the same batch are found too, before they are in the database.

A key that many complaints share (a phrase everybody uses that the frozen commonness table
does not know) would make every look-up read its whole list.  :class:`KeyStats` remembers, per
process, how many complaints were listed under each key seen; a new complaint may skip up to
``shared_keys_needed - 1`` of its hottest keys for partners of each size, which still leaves a
shared key to find every near-duplicate by, and reads the skipped keys only for partner sizes
where the bound is too small to skip them (:func:`_skip_bands`).  The estimates only steer the
cost; what is found never depends on them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from matcher.followup import (
    LONG_TEXT,
    NEAR_DUPLICATE,
    Fingerprint,
    fingerprint,
    numbers_part,
    partner_sizes,
    repeat_keys,
    set_key,
    shared_keys_needed,
    similarity,
    stored_part,
)
from storage.models import Comment, Complaint, ComplaintKey

REPEAT_WINDOW = timedelta(days=30)
_KEYS = cast(Table, ComplaintKey.__table__)
#: Keys or ids per ``IN (...)`` list: far below SQLite's and asyncpg's parameter limits.
IN_CHUNK = 2000
#: A key listed for at least this many complaints is read only where it is needed.
HOT_KEY = 48
#: Keys remembered by :class:`KeyStats` before the rarely seen ones are forgotten.
STATS_LIMIT = 400_000
#: The index part of whole-set keys (number parts are never 0 or 1; 0 holds long texts).
SET_PART = 1
_MASK63 = (1 << 63) - 1
_PART_MIX = 0xD6E8FEB86659FD93
_KEY_MIX = 0x9E3779B97F4A7C15


def _mix(part: int, key: int) -> int:
    """The stored key: a shingle key within a part of the index, as one BIGINT.  (Two
    different pairs may collide; that only adds a candidate, which ``similarity`` decides.)"""
    return ((part * _PART_MIX) ^ (key * _KEY_MIX)) & _MASK63


def _mixed(part: int, keys: Iterable[int]) -> list[int]:
    """:func:`_mix` of many keys of one part."""
    p = part * _PART_MIX
    return [(p ^ (k * _KEY_MIX)) & _MASK63 for k in keys]


def stored_keys(fp: Fingerprint) -> list[int]:
    """The keys a complaint whose text has this fingerprint is listed under."""
    if not fp.shingles:
        return []
    return [*_mixed(stored_part(fp), repeat_keys(fp)), _mix(SET_PART, set_key(fp))]


@dataclass
class NewComplaint:
    """What repeat detection needs of a complaint being created, and what it found."""

    author_id: int
    topic: str
    created_at: datetime
    query_text: str  # the new comment's text, compared with earlier complaints
    stored_text: str  # its stored comment's current text, compared with later complaints
    repeat_of: int | None = None  # a complaint already in the database
    repeat_of_new: int | None = None  # or an earlier complaint of the same batch (its index)


@dataclass
class KeyStats:
    """Per-process estimates of how many complaints each key lists (a cost heuristic only)."""

    counts: Counter[int] = field(default_factory=Counter)

    def seen(self, key: int, listed: int) -> None:
        if listed > self.counts[key]:
            self.counts[key] = listed

    def added(self, keys: Iterable[int]) -> None:
        self.counts.update(keys)
        if len(self.counts) > STATS_LIMIT:
            self.counts = Counter({k: n for k, n in self.counts.items() if n >= 3})


@lru_cache(maxsize=8192)
def _skip_bands(size: int, skipped: int) -> tuple[tuple[int, int], ...]:
    """Partner sizes for which a text of ``size`` shingles must still read the ``skipped``
    keys it skips: where fewer than ``skipped + 1`` shared keys are guaranteed."""
    lo, hi = partner_sizes(size)
    bands: list[list[int]] = []
    for b in range(lo, hi + 1):
        if shared_keys_needed(size, b) <= skipped:
            if bands and bands[-1][1] == b - 1:
                bands[-1][1] = b
            else:
                bands.append([b, b])
    return tuple((b0, b1) for b0, b1 in bands)


@dataclass
class _Probe:
    """One new complaint's look-up plan: the keys it reads, and which it reads where."""

    size: int
    keys: list[int]  # its keys in its own number part (the ones it may skip)
    long_keys: list[int]  # the same in part 0 (long texts), if it could match one
    whole: int  # its whole-set key, always read
    skipped: list[int]
    bands: tuple[tuple[int, int], ...]

    def in_band(self, b: int) -> bool:
        return any(b0 <= b <= b1 for b0, b1 in self.bands)


def _plan(text: str, stats: KeyStats) -> _Probe:
    fp = fingerprint(text)
    size = len(fp.shingles)
    prefix = repeat_keys(fp)
    keys = _mixed(numbers_part(fp), prefix)
    counts, hot_from = stats.counts, HOT_KEY
    hot = sorted((k for k in keys if counts.get(k, 0) >= hot_from), key=lambda k: -counts[k])
    # Skipping s keys is exact for every partner size: where fewer than s + 1 shared keys are
    # guaranteed, the skipped keys are read for that size anyway (the bands).
    skipped = hot[: max(0, shared_keys_needed(size, size) - 1)]
    bands = _skip_bands(size, len(skipped)) if skipped else ()
    whole = _mix(SET_PART, set_key(fp)) if size else -1
    # Part 0 lists texts of LONG_TEXT shingles or more: only a long text can have such a
    # near-duplicate.
    long_keys = _mixed(0, prefix) if partner_sizes(size)[1] >= LONG_TEXT else []
    return _Probe(size, keys, long_keys, whole, skipped, bands)


def _postings(keys: list[int], postgresql: bool) -> Any:
    """SELECT (key, size, complaint_id) listed under ``keys``, with one parameter whatever
    their count (thousands of parameters cost more to bind and plan than the look-up), as
    one index look-up per key: a join with ``unnest(array)`` on PostgreSQL (whose planner
    would rather scan the whole table for ``= ANY(array)`` up to a million rows or so), and
    ``IN (SELECT value FROM json_each(...))`` on SQLite."""
    cols = (_KEYS.c.key, _KEYS.c.size, _KEYS.c.complaint_id)  # Core: no ORM row processing
    if postgresql:
        array = bindparam(None, keys, type_=ARRAY(BigInteger))
        listed = func.unnest(array).table_valued("key").render_derived(name="listed")
        return select(*cols).select_from(listed).join(_KEYS, _KEYS.c.key == listed.c.key)
    listed = func.json_each(bindparam(None, json.dumps(keys), type_=String)).table_valued("value")
    return select(*cols).where(_KEYS.c.key.in_(select(listed.c.value)))


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(values))
    for i in range(0, len(items), IN_CHUNK):
        yield items[i : i + IN_CHUNK]


def key_rows(complaint_id: int, text: str) -> list[tuple[int, int, int]]:
    """The ``complaint_keys`` rows (key, size, complaint_id) of a complaint saying ``text``."""
    fp = fingerprint(text)
    size = len(fp.shingles)
    # dict.fromkeys: two keys mixing to one BIGINT (never seen, but possible) are one row.
    return [(key, size, complaint_id) for key in dict.fromkeys(stored_keys(fp))]


async def add_keys(session: AsyncSession, rows: list[tuple[int, int, int]]) -> None:
    """Insert index rows in the session's transaction: a batch's rows at once (PostgreSQL's
    COPY through asyncpg where available, else one executemany)."""
    if not rows:
        return
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        copy = getattr(raw, "copy_records_to_table", None)
        if copy is not None:
            await copy("complaint_keys", records=rows, columns=["key", "size", "complaint_id"])
            return
        sql = 'INSERT INTO complaint_keys ("key", size, complaint_id) VALUES ($1, $2, $3)'
    else:
        sql = 'INSERT INTO complaint_keys ("key", size, complaint_id) VALUES (?, ?, ?)'
    await conn.exec_driver_sql(sql, rows)


async def reindex_edited(session: AsyncSession, edits: dict[int, tuple[str, str]]) -> None:
    """Comments edited in a batch (pk -> (text before, text after)): re-list their complaints
    under the new text's keys, so the index follows ``comments.text`` as repeats always did."""
    changed = {pk: texts for pk, texts in edits.items() if texts[0] != texts[1]}
    if not changed:
        return
    found: list[tuple[int, int]] = []
    for chunk in _chunks(changed):
        rows = await session.execute(
            select(Complaint.id, Complaint.comment_pk).where(Complaint.comment_pk.in_(chunk))
        )
        found.extend((int(cid), int(pk)) for cid, pk in rows.all())
    for complaint_id, pk in found:
        before, after = changed[pk]
        old = set(key_rows(complaint_id, before))
        new = set(key_rows(complaint_id, after))
        gone = sorted(old - new)
        for chunk in _chunks(key for key, _, _ in gone):
            await session.execute(
                delete(ComplaintKey).where(
                    ComplaintKey.complaint_id == complaint_id,
                    ComplaintKey.size == gone[0][1],
                    ComplaintKey.key.in_(chunk),
                )
            )
        # Rows of an even older text (one erased by retention, say) may stay: they only add
        # candidates, which the exact similarity then turns down.
        fresh = sorted(new - old)
        present: set[tuple[int, int]] = set()
        for chunk in _chunks(key for key, _, _ in fresh):
            existing = await session.execute(
                select(ComplaintKey.key, ComplaintKey.size).where(
                    ComplaintKey.complaint_id == complaint_id, ComplaintKey.key.in_(chunk)
                )
            )
            present.update((int(k), int(s)) for k, s in existing.all())
        await add_keys(session, [r for r in fresh if (r[0], r[1]) not in present])


async def _fetch(session: AsyncSession, probes: list[_Probe]) -> list[tuple[int, int, int]]:
    """(key, size, complaint_id) listed under the probes' keys: skipped keys only for the
    sizes of their bands.  (Whether a complaint is in a new one's 30 days is checked with its
    text, for the few that share enough keys.)"""
    out: list[tuple[int, int, int]] = []
    pg = session.get_bind().dialect.name == "postgresql"
    read: set[int] = set()
    for p in probes:
        if p.size:
            read.update(set(p.keys).difference(p.skipped), p.long_keys, (p.whole,))
    sizes = [partner_sizes(p.size) for p in probes if p.size]
    if sizes and read:
        smallest, largest = min(s[0] for s in sizes), max(s[1] for s in sizes)
        for chunk in _chunks(read):
            rows = await session.execute(
                _postings(chunk, pg).where(_KEYS.c.size >= smallest, _KEYS.c.size <= largest)
            )
            out.extend(rows.all())
    banded: list[Any] = []
    for p in probes:
        skipped = sorted(set(p.skipped).difference(read))
        if skipped and p.bands:
            sizes_ok = or_(*(_KEYS.c.size.between(b0, b1) for b0, b1 in p.bands))
            banded.append(_postings(skipped, pg).where(sizes_ok))
    for i in range(0, len(banded), 50):
        rows = await session.execute(union_all(*banded[i : i + 50]))
        out.extend(rows.all())
    return out


async def find_repeats(
    session: AsyncSession, items: Sequence[NewComplaint], stats: KeyStats | None = None
) -> None:
    """Set ``repeat_of`` / ``repeat_of_new`` of a batch's new complaints, given in the order
    they are created (by ``created_at``)."""
    if not items:
        return
    stats = stats if stats is not None else KeyStats()
    lo = min(it.created_at for it in items) - REPEAT_WINDOW
    hi = max(it.created_at for it in items)

    # Stored complaints listed under the new complaints' keys.
    probes = [_plan(it.query_text, stats) for it in items]
    postings: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, size, cid in await _fetch(session, probes):
        postings[int(key)].append((int(size), int(cid)))
    for key, listed_here in postings.items():
        stats.seen(key, len(listed_here))

    shortlists: list[set[int]] = []  # per new complaint: stored ones sharing enough keys
    for probe in probes:
        # The very same shingles (whatever numbers), or enough shared keys.
        hits = {cid for size_b, cid in postings.get(probe.whole, ()) if size_b == probe.size}
        shared: Counter[tuple[int, int]] = Counter(
            (cid, size_b)
            for key in (*probe.keys, *probe.long_keys)
            for size_b, cid in postings.get(key, ())
        )
        skipped = len(probe.skipped)
        for (cid, size_b), n in shared.items():
            need = shared_keys_needed(probe.size, size_b)
            if need and not probe.in_band(size_b):
                need -= skipped  # the skipped keys were not read for this size
            if need > 0 and n >= need:
                hits.add(cid)
        shortlists.append(hits)

    # In one query: the shortlisted complaints' texts, and the complaints of the new ones'
    # authors (same author and topic), if they are within the batch's 30 days.
    stored: dict[int, tuple[datetime, str]] = {}
    same_author: dict[tuple[int, str], set[tuple[datetime, int]]] = defaultdict(set)
    authors = {it.author_id for it in items}
    shortlisted = list(_chunks(cid for hits in shortlists for cid in hits))
    by_author = list(_chunks(authors))
    for i in range(max(len(shortlisted), len(by_author))):
        wanted = []
        if i < len(shortlisted):
            wanted.append(Complaint.id.in_(shortlisted[i]))
        if i < len(by_author):
            wanted.append(Complaint.author_id.in_(by_author[i]))
        rows = await session.execute(
            select(
                Complaint.id,
                Complaint.author_id,
                Complaint.topic,
                Complaint.created_at,
                Comment.text,
            )
            .join(Comment, Comment.id == Complaint.comment_pk)
            .where(or_(*wanted), Complaint.created_at >= lo, Complaint.created_at <= hi)
        )
        for cid, author, topic, at, text in rows.all():
            stored[int(cid)] = (at, text or "")
            if author in authors:
                same_author[(int(author), str(topic))].add((at, int(cid)))
    earliest_by_author = {k: sorted(v) for k, v in same_author.items()}

    earliest: list[tuple[datetime, int] | None] = []
    for it, hits in zip(items, shortlists, strict=True):
        since = it.created_at - REPEAT_WINDOW
        best = next(
            (f for f in earliest_by_author.get((it.author_id, it.topic), ()) if since <= f[0]),
            None,
        )
        if best is not None and best[0] > it.created_at:
            best = None
        in_window = sorted(
            (stored[cid][0], cid)
            for cid in hits
            if cid in stored and since <= stored[cid][0] <= it.created_at
        )
        for at, cid in in_window:
            if best is not None and (at, cid) >= best:
                break  # an earlier complaint already answers
            if similarity(stored[cid][1], it.query_text) >= NEAR_DUPLICATE:
                best = (at, cid)
                break
        earliest.append(best)

    # Earlier complaints of this batch: listed here as they are created.
    local_keys: dict[int, list[int]] = defaultdict(list)  # key -> indexes of items
    local_author: dict[tuple[int, str], list[int]] = defaultdict(list)
    local_sizes: list[int] = []
    for i, it in enumerate(items):
        best = earliest[i]
        since = it.created_at - REPEAT_WINDOW
        local = {
            j
            for j in local_author.get((it.author_id, it.topic), ())
            if items[j].created_at >= since
        }
        probe = probes[i]
        shared_local: Counter[int] = Counter(
            j for key in (*probe.keys, *probe.long_keys) for j in local_keys.get(key, ())
        )
        text_hits = {
            j
            for j, n in shared_local.items()
            if 0 < shared_keys_needed(probe.size, local_sizes[j]) <= n
        }
        text_hits.update(
            j for j in local_keys.get(probe.whole, ()) if local_sizes[j] == probe.size
        )
        local_hit: int | None = None
        for j in sorted(local | text_hits):
            at = items[j].created_at
            if at < since:
                continue
            if best is not None and best[0] <= at:
                break  # a stored complaint is as early (and has the lower id)
            if j in local or similarity(items[j].stored_text, it.query_text) >= NEAR_DUPLICATE:
                local_hit = j
                break
        if local_hit is not None:
            it.repeat_of_new = local_hit
        elif best is not None:
            it.repeat_of = best[1]
        local_author[(it.author_id, it.topic)].append(i)
        stored_fp = fingerprint(it.stored_text)
        local_sizes.append(len(stored_fp.shingles))
        keys = stored_keys(stored_fp)
        for key in keys:
            local_keys[key].append(i)
        stats.added(keys)
