"""JSON-lines text tools behind `otklik classify` and `otklik rate-answer` (product.md §8).

One output line per input line, in the same order.  A line that cannot be processed gives
``{"id": <id or null>, "line": <n>, "error": "line <n>: <message>"}`` (``n`` counts every line
of the input from 1, blank ones too, as an editor does) and processing continues.  Blank
lines are not inputs and are skipped.
"""

from __future__ import annotations

import gc
import json
import os
import select
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final, TextIO

from matcher.classifier import BATCH, Matcher, default_matcher
from matcher.model import BATCH_TOKEN_CACHE_SIZE
from matcher.quality import rate_answer

_NO_ID: Final = object()
YOUNG_OBJECTS: Final = 100_000  # settle_process


def _line_encoder() -> Callable[[dict[str, Any]], str]:
    """One JSON encoder for every output line: ``json.dumps`` with any non-default option, and
    ``JSONEncoder.encode`` itself, build a new C encoder per call (half of a line's cost)."""
    encoder = json.JSONEncoder(ensure_ascii=False)
    make: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without json's C accelerator
        return encoder.encode
    # markers None: no cycle check (our results are plain dicts); the separators of json.dumps
    chunks = make(None, encoder.default, json.encoder.encode_basestring, None, ": ", ", ",
                  False, False, True)  # fmt: skip

    def encode(obj: dict[str, Any]) -> str:
        return "".join(chunks(obj, 0))

    return encode


_encode: Final = _line_encoder()


def _parse(line: str) -> tuple[Any, dict[str, Any] | str]:
    """(id, the object) or (id, error message)."""
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(doc, dict):
        return None, f"expected a JSON object, got {type(doc).__name__}"
    ident = doc.get("id")
    if isinstance(ident, (dict, list)):
        return None, "field 'id' must be a string, a number or null"
    return ident, doc


def _line_chunks(inp: TextIO, size: int) -> Iterator[list[tuple[int, str]]]:
    """The input's lines with their numbers, up to ``size`` at a time.

    A chunk never waits for lines that have not arrived: a program that writes one line and
    waits for its answer gets it.  Standard input is read from its descriptor for that (a text
    stream's buffer cannot say whether the next line is there), split as universal newlines
    split it and decoded with U+FFFD for bytes that are not UTF-8."""
    fd = _descriptor(inp)
    if fd is None:
        chunk: list[tuple[int, str]] = []
        for number, line in enumerate(inp, start=1):
            chunk.append((number, line))
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    pending: deque[bytes] = deque()
    partial = b""
    number = 0
    eof = False
    while True:
        while not eof and len(pending) < size and (not pending or _has_input(fd)):
            data = os.read(fd, _READ_SIZE)
            if not data:
                eof = True
                if partial:
                    pending.append(partial)
                break
            pieces = (partial + data).split(b"\n")
            partial = pieces.pop()
            pending.extend(pieces)
        if not pending:
            return
        chunk = []
        while pending and len(chunk) < size:
            raw = pending.popleft()
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            for piece in raw.split(b"\r") if b"\r" in raw else (raw,):
                number += 1
                chunk.append((number, piece.decode("utf-8", errors="replace")))
        yield chunk


_READ_SIZE: Final = 1 << 16


def _descriptor(inp: TextIO) -> int | None:
    """The file descriptor of the process's standard input, None for anything else."""
    if inp is not sys.stdin or os.name != "posix":
        return None
    try:
        return inp.fileno()
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
        return None


def _has_input(fd: int) -> bool:
    """Whether reading ``fd`` now would not wait."""
    return bool(select.select([fd], [], [], 0)[0])


def _run(inp: TextIO, out: TextIO, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    for number, line in enumerate(inp, start=1):
        if not line.strip():
            continue
        ident, parsed = _parse(line)
        problem: str | None = parsed if isinstance(parsed, str) else None
        if not isinstance(parsed, str):
            try:
                result: dict[str, Any] = {"id": ident, **handle(parsed)}
            except _InputError as exc:
                problem = str(exc)
        if problem is not None:
            result = {"id": ident, "line": number, "error": f"line {number}: {problem}"}
        out.write(_encode(result) + "\n")
    out.flush()
    return 0


class _InputError(ValueError):
    pass


def _string_field(doc: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = doc.get(name, _NO_ID)
    if value is _NO_ID or value is None:
        if required:
            raise _InputError(f"missing field '{name}'")
        return ""
    if not isinstance(value, str):
        raise _InputError(f"field '{name}' must be a string")
    return value


def settle_process(*, answers: bool = False) -> None:
    """For a one-shot batch process: load everything a line needs (the matcher's weights, word
    tables and cue phrases, or the answer checker's), then hide what now lives from the cycle
    collector (``gc.freeze``): it all lives until the process ends, and each full collection
    walked it again.  Objects made later are collected as usual, only less often.
    """
    if answers:
        rate_answer("Яма во дворе.", "Работы выполнены, яма засыпана.")
    else:
        default_matcher().classify("Яма во дворе, когда заделают?")
    gc.collect()
    gc.freeze()
    # Objects are counted only while they live, so this many new ones between collections is
    # what the caches keep (words, token sums), not garbage: collections 3.5% -> 1.3% of a run.
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def run_classify(
    inp: TextIO, out: TextIO, matcher: Matcher | None = None, *, explain: bool = False
) -> int:
    """{"id","text"} -> {"id","needs_answer","topic","score","urgent","reasons"} per line.

    An optional ``post`` (the text of the post the comment is under) is read as the ingest
    reads it: a comment that names no subject of its own takes the post's clear topic
    (``Classification.under_post``).
    ``reasons`` are the phrases behind the decision, then «срочно — …» for each urgency cue.
    With ``explain`` each line also gets ``explain``: the cue groups, rule flags, weighted
    features and topic keywords behind the decision (matcher.explain).
    """
    m = matcher if matcher is not None else default_matcher()
    m.model.keep_more_tokens(BATCH_TOKEN_CACHE_SIZE)
    if explain:
        from matcher.explain import explain as explain_text
    for chunk in _line_chunks(inp, BATCH):
        # (line, id, problem, text, post)
        parsed: list[tuple[int, Any, str | None, str, str]] = []
        for number, line in chunk:
            if not line.strip():
                continue
            ident, doc = _parse(line)
            try:
                problem = doc if isinstance(doc, str) else None
                text = _string_field(doc, "text") if isinstance(doc, dict) else ""
                post = _string_field(doc, "post", required=False) if isinstance(doc, dict) else ""
            except _InputError as exc:
                problem, text, post = str(exc), "", ""
            parsed.append((number, ident, problem, text, post))
        valid = [(t, p) for _, _, problem, t, p in parsed if problem is None]
        decisions = iter(m.classify_many([t for t, _ in valid]))
        posts = list(dict.fromkeys(p for _, p in valid if p))
        post_verdicts = dict(zip(posts, m.classify_many(posts, explain_all=False), strict=True))
        for number, ident, problem, text, post in parsed:
            if problem is not None:
                result = {"id": ident, "line": number, "error": f"line {number}: {problem}"}
            else:
                c = next(decisions)
                if post:
                    c = c.under_post(post_verdicts[post])
                result = {
                    "id": ident,
                    "needs_answer": c.needs_answer,
                    "topic": c.topic.value,
                    "score": c.score,
                    "urgent": c.urgent,
                    "reasons": [*c.reasons, *(f"срочно — {r}" for r in c.urgent_reasons)],
                }
                if explain:
                    result["explain"] = explain_text(m, text)
            out.write(_encode(result) + "\n")
        out.flush()
    return 0


def run_rate_answer(inp: TextIO, out: TextIO) -> int:
    """{"id","complaint","answer"} -> {"id","otpiska","quality","reasons"} per line."""

    def handle(doc: dict[str, Any]) -> dict[str, Any]:
        complaint = _string_field(doc, "complaint", required=False)
        r = rate_answer(complaint, _string_field(doc, "answer"))
        return {"otpiska": r.otpiska, "quality": r.quality, "reasons": list(r.reasons)}

    return _run(inp, out, handle)
