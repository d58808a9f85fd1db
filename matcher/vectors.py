"""Russian word vectors, so that words the lexicon and the training data never saw still count.

The vectors are navec's (``navec_news_v1_1B_250K_300d_100q``: 250,000 words x 300 dimensions,
product-quantised, MIT), the file the ``natasha`` wheel ships in ``natasha/data/emb/``.  Nothing is
downloaded at run time; natasha itself is never imported (its import pulls pymorphy2), the file is
only located through the installed package and read with tarfile, gzip and numpy.  Without the
package the block is empty and the model decides on its other features.

A comment's block is the sum of the vectors of its content words (stop words and numbers left
out) divided by the square root of their number (``per_word``): about ``WEIGHT`` long whatever
the comment's length, and linear in each word, so the model keeps each word's share of the scores
in its token cache instead of decoding and summing vectors for every comment.
"""

from __future__ import annotations

import ctypes
import gzip
import importlib.util
import math
import tarfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

NAVEC_FILE: Final = ("data", "emb", "navec_news_v1_1B_250K_300d_100q.tar")
DIM: Final = 300
WEIGHT: Final = 0.5
PREFIX: Final = "e:"
NAMES: Final[tuple[str, ...]] = tuple(f"{PREFIX}{i}" for i in range(DIM))

SHARES_AT_ONCE: Final = 256  # words (WordVectors.shares)
VOCABULARY: Final = 100_000  # words kept (by frequency): memory, see README.md of matcher/data

FloatArray = npt.NDArray[np.float32]
Rows = npt.NDArray[np.intp]  # rows of the table, one per known word of a comment


class WordVectors:
    """Word -> row of a product-quantised table (``indexes``) -> 300 floats from ``codes``.

    Words are kept as 64-bit hashes (Python's ``hash`` of the string, computed in this process
    when the table is read), sorted, with the table's rows in the same order: 8 bytes a word
    instead of a dict entry and a string (about 130 bytes).  Two different words with the same
    hash are about as likely as a bit flip in RAM.
    """

    __slots__ = ("codes", "hashes", "indexes", "offsets")

    def __init__(
        self, hashes: npt.NDArray[np.int64], indexes: npt.NDArray[np.uint8], codes: FloatArray
    ):
        self.hashes = hashes  # (words,) sorted
        self.indexes = indexes  # (words, parts) uint8: the centroid of each part of a vector
        parts, centroids, width = codes.shape
        self.codes = np.ascontiguousarray(codes.reshape(parts * centroids, width))
        self.offsets = np.arange(parts, dtype=np.intp) * centroids  # part p starts at row p*c

    def __len__(self) -> int:
        return len(self.hashes)

    def rows(self, pairs: Sequence[tuple[str, str]]) -> Rows:
        """The rows of (word form, lemma) pairs: the form's, else the lemma's; unknown left out."""
        chosen = self._chosen(pairs)
        out: Rows = chosen[chosen >= 0]
        return out

    def rows_or_none(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """``row`` of each (word form, lemma) pair, -1 where neither is known."""
        chosen: list[int] = self._chosen(pairs).tolist()
        return chosen

    def _chosen(self, pairs: Sequence[tuple[str, str]]) -> Rows:
        """Each pair's row or -1, in one pass of array operations."""
        if not pairs:
            return NO_ROWS
        keys = np.fromiter((hash(w) for pair in pairs for w in pair), np.int64, 2 * len(pairs))
        hashes = self.hashes
        at = hashes.searchsorted(keys)
        at[at == len(hashes)] = 0
        found = np.where(hashes[at] == keys, at, -1).reshape(-1, 2)
        chosen: Rows = np.where(found[:, 0] >= 0, found[:, 0], found[:, 1])
        return chosen

    def part_scores(self, weights: FloatArray) -> FloatArray:
        """What each centroid of each part of a vector adds to each column of ``weights``
        (``DIM`` x columns): a (parts x centroids) x columns table, 1.5 MB for 15 columns.

        A word's share of the columns is then the sum of one row per part (``shares``), the same
        sum in the same order whether a word comes alone or with a thousand others; a matrix
        product's result can differ in its last bits with the number of rows it multiplies."""
        parts = len(self.offsets)
        width = self.codes.shape[1]
        codes = self.codes.reshape(parts, -1, width)
        per_part = weights.reshape(parts, width, -1)
        table: FloatArray = np.einsum("pcw,pwk->pck", codes, per_part).reshape(
            -1, weights.shape[1]
        )
        return np.ascontiguousarray(table, dtype=np.float32)

    def shares(self, part_scores: FloatArray, rows: Sequence[int]) -> FloatArray:
        """Each word's share of the columns (``part_scores``' table): words x columns.

        ``SHARES_AT_ONCE`` words at a time: the gathered parts are 6 KB a word, and a batch's
        3,000 new words at once held 18 MB for a moment."""
        out: FloatArray = np.empty((len(rows), part_scores.shape[1]), dtype=np.float32)
        for first in range(0, len(rows), SHARES_AT_ONCE):
            some = np.asarray(rows[first : first + SHARES_AT_ONCE], dtype=np.intp)
            picked = part_scores.take(self.indexes[some] + self.offsets, axis=0)
            np.add.reduce(picked, axis=1, out=out[first : first + len(some)])
        return out

    def row(self, word: str, lemma: str) -> int:
        """The row of one word (its form's, else its lemma's), -1 when neither is known.

        ``rows`` for a single word: one scalar search instead of a pass of array operations
        (a word the process meets for the first time, matcher.model.TokenCache)."""
        hashes = self.hashes
        size = len(hashes)
        for key in (hash(word), hash(lemma)):
            at = int(hashes.searchsorted(key))
            if at < size and hashes[at] == key:
                return at
        return -1

    def block(self, rows: Rows) -> FloatArray | None:
        """The comment's vector block for the given rows (None when no word is known)."""
        if len(rows) == 0:
            return None
        total: FloatArray = np.add.reduce(self._parts(rows), axis=0).reshape(DIM)
        out: FloatArray = total * np.float32(per_word(len(rows)))
        return out

    def _parts(self, rows: Rows) -> FloatArray:
        """One gather of the code rows of each part of each word: (words x) parts x width."""
        out: FloatArray = self.codes.take(self.indexes[rows] + self.offsets, axis=0)
        return out

    @classmethod
    def load(cls, path: Path, limit: int = VOCABULARY) -> WordVectors:
        """Read a navec archive, keeping the ``limit`` most frequent Cyrillic words.

        Comments are Russian, and the rare tail (names, Latin words) would cost memory for
        nothing.  Each kept word is decoded only to be hashed; the table is read in slices and
        each slice's kept rows go straight to their sorted place, so nothing large is copied.
        """
        with tarfile.open(path) as tar:
            pq = tar.extractfile("pq.bin")
            if pq is None:
                raise ValueError(f"{path}: not a navec archive")
            counts, text = _read_vocabulary(tar, path)
            n, dim, parts, centroids = (int(x) for x in np.frombuffer(pq.read(16), np.uint32))
            if dim != DIM:
                raise ValueError(f"{path}: {dim} dimensions, expected {DIM}")
            starts, ends, kept = _choose(text, counts[:n], n, limit)
            keys = np.empty(len(kept), dtype=np.int64)
            for first in range(0, len(kept), _CHUNK):  # in slices: short-lived lists
                bounds = zip(
                    starts[first : first + _CHUNK].tolist(),
                    ends[first : first + _CHUNK].tolist(),
                    strict=True,
                )
                keys[first : first + _CHUNK] = [hash(text[a:b].decode("utf-8")) for a, b in bounds]
            del text, starts, ends, counts
            order = np.argsort(keys, kind="stable")
            place = np.empty_like(order)
            place[order] = np.arange(len(order))  # kept word k goes to sorted row place[k]
            hashes = keys[order]
            del keys, order
            indexes = np.empty((len(kept), parts), dtype=np.uint8)
            done = 0
            for first in range(0, n, _CHUNK):  # the table is read in slices, not in one piece
                rows = min(_CHUNK, n - first)
                chunk = np.frombuffer(pq.read(rows * parts), np.uint8).reshape(rows, parts)
                here = kept[(kept >= first) & (kept < first + rows)]
                indexes[place[done : done + len(here)]] = chunk[here - first]
                done += len(here)
            codes = np.frombuffer(pq.read(), np.float32).reshape(parts, centroids, -1).copy()
        _give_back_free_memory()
        return cls(hashes, indexes, codes)


# One navec word's vector is about this long (median 5.96 over the kept words, 5.0-6.9 for 90%),
# so a lone word's block is ``WEIGHT`` long, as it was when every block was scaled to that length.
# A comment's words lean together (their sum is 8.2 x sqrt(k) long at the median), so a longer
# coherent comment weighs a little more.  Chosen from 6.0, 7.0 and 8.2 on the real held-out sets
# (matcher/data/README.md, session 12).
TYPICAL_NORM: Final = 6.0


def per_word(words: int) -> float:
    """The factor on the sum of a comment's ``words`` word vectors."""
    return WEIGHT / (TYPICAL_NORM * math.sqrt(words))


_CHUNK: Final = 20_000
NO_ROWS: Final[Rows] = np.empty(0, dtype=np.intp)


def _read_vocabulary(tar: tarfile.TarFile, path: Path) -> tuple[npt.NDArray[np.uint32], bytes]:
    """The words' corpus counts and their text (one word a line) from a navec archive."""
    vocab = tar.extractfile("vocab.bin")
    if vocab is None:
        raise ValueError(f"{path}: not a navec archive")
    with gzip.GzipFile(mode="rb", fileobj=vocab) as fh:
        size = int(np.frombuffer(fh.read(4), np.uint32)[0])
        counts = np.frombuffer(fh.read(4 * size), np.uint32)
        return counts, fh.read()


def navec_vocabulary(path: Path, limit: int = VOCABULARY) -> list[str]:
    """The ``limit`` most frequent Cyrillic words of a navec archive, most frequent first."""
    with tarfile.open(path) as tar:
        counts, text = _read_vocabulary(tar, path)
    starts, ends, kept = _choose(text, counts, len(counts), limit)
    order = np.argsort(-counts[kept].astype(np.int64), kind="stable")
    return [text[starts[i] : ends[i]].decode("utf-8") for i in order.tolist()]


def _choose(
    text: bytes, counts: npt.NDArray[np.uint32], n: int, limit: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Where the kept words start and end in ``text``, and their rows (sorted)."""
    raw = np.frombuffer(text, np.uint8)
    ends = np.append(np.flatnonzero(raw == 10), len(raw))[:n]
    starts = np.concatenate(([0], ends[:-1] + 1))
    # a word whose first letter is Cyrillic: UTF-8 lead byte 0xD0 or 0xD1
    lead = raw[np.minimum(starts, len(raw) - 1)]
    kept = np.flatnonzero((lead == 0xD0) | (lead == 0xD1))
    if len(kept) > limit:
        order = np.argsort(-counts[kept].astype(np.int64), kind="stable")[:limit]
        kept = np.sort(kept[order])
    return starts[kept], ends[kept], kept


def _give_back_free_memory() -> None:
    """Hand the load's freed scratch memory (about 10 MB) back to the system.

    glibc keeps freed heap for reuse, and after the load's large temporaries it keeps it as
    resident memory for good; ``malloc_trim`` returns it.  Elsewhere (no glibc) nothing happens.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def navec_path() -> Path | None:
    """The navec file inside the installed natasha package, located without importing it."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*NAVEC_FILE)
    return path if path.exists() else None


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors | None:
    """The process-wide vectors (loaded once: 0.3 s, 16 MB), or None without natasha."""
    path = navec_path()
    return WordVectors.load(path) if path is not None else None
