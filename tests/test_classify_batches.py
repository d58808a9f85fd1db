"""`otklik classify` works through its input in batches (words new to the model are summed for
a batch at once): every decision is the one a comment gets alone, the input is read as a text
stream would read it, and a program that writes a line and waits gets its answer."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from matcher.classifier import BATCH, Matcher
from matcher.model import TokenCache
from matcher.textcli import run_classify

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "matcher" / "data"
SETS = (
    DATA / "real" / "kz_akimat_complaints.jsonl",
    DATA / "real" / "vk_news_comments.jsonl",
    DATA / "second_author" / "long_letters.jsonl",
    DATA / "second_author" / "young_parents.jsonl",
)


def _texts(limit: int) -> list[str]:
    texts: list[str] = []
    for path in SETS:
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return texts[:limit]


def _fresh_matcher(cache_tokens: int) -> Matcher:
    """The shipped model with its own token cache of ``cache_tokens`` tokens."""
    model = Matcher.default().model
    return Matcher(dataclasses.replace(model, _tokens=TokenCache(cache_tokens)))


@pytest.mark.parametrize("cache_tokens", [300, 30_000])
def test_a_batch_decides_every_comment_as_it_is_decided_alone(cache_tokens: int) -> None:
    """Scores equal to the last bit, reasons and urgency alike, across batches and (with a
    cache of 300 tokens) across the cache making room again and again within the run."""
    texts = _texts(3 * BATCH + 77)
    alone = _fresh_matcher(cache_tokens)
    one_by_one = [alone.classify(t) for t in texts]
    batched = _fresh_matcher(cache_tokens).classify_many(texts)
    assert len(batched) == len(texts)
    for text, one, many in zip(texts, one_by_one, batched, strict=True):
        assert many == one, text


# the installed entry point's code, run by this interpreter, without the caller's settings
CLASSIFY = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())", "classify"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("OTKLIK")}


def _otklik_classify(stdin: bytes) -> bytes:
    done = subprocess.run(
        CLASSIFY, input=stdin, capture_output=True, cwd=ROOT, env=_env(), timeout=300, check=True
    )
    return done.stdout


def test_standard_input_is_read_as_a_text_stream_reads_it() -> None:
    """Windows and old Mac line ends, bytes that are not UTF-8, blank lines, a last line
    without its end, broken lines, over several batches: the entry point's output is exactly
    what the same input read through Python's text layer (universal newlines, U+FFFD for
    bad bytes) gives, line numbers in the errors included."""
    good = [
        json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(_texts(1200))
    ]
    odd = [
        '{"id": "crlf", "text": "нет света"}\r\n'.encode(),
        '{"id": "cr", "text": "яма на дороге"}\r'.encode(),
        b'{"id": "bad bytes", "text": "\xff\xfe ' + "лифт".encode() + b'"}\n',
        b"\n",
        b"\r\n",
        b"{broken\n",
        b'{"id": "no text"}\n',
    ]
    data = bytearray()
    for i, line in enumerate(good):
        data += line.encode("utf-8") + b"\n"
        if i % 97 == 0:
            data += odd[i // 97 % len(odd)]
    data += '{"id": "last", "text": "мусор"}'.encode()  # no line end

    expected = io.StringIO()
    stream = io.TextIOWrapper(io.BytesIO(bytes(data)), encoding="utf-8", errors="replace")
    assert run_classify(stream, expected) == 0
    got = _otklik_classify(bytes(data)).decode("utf-8")
    assert got == expected.getvalue()

    rows = [json.loads(line) for line in got.splitlines()]
    ids = [r["id"] for r in rows]
    assert ids[-1] == "last" and {"crlf", "cr", "bad bytes"} <= set(ids)
    errors = [r for r in rows if "error" in r]
    assert errors and all(r["error"].startswith(f"line {r['line']}: ") for r in errors)
    lines = io.TextIOWrapper(io.BytesIO(bytes(data)), encoding="utf-8", errors="replace")
    assert len(rows) == sum(1 for line in lines if line.strip())  # one answer a line


def test_an_answer_comes_before_the_next_line_is_written() -> None:
    """A program that writes one line and waits for its answer (a co-process) is answered;
    a batch never waits for input that has not arrived."""
    proc = subprocess.Popen(
        CLASSIFY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    answers: list[dict[str, object]] = []

    def converse() -> None:
        assert proc.stdin is not None and proc.stdout is not None
        for ident, text in ((1, "Яма на дороге у школы"), (2, "Спасибо за праздник!")):
            line = json.dumps({"id": ident, "text": text}, ensure_ascii=False) + "\n"
            proc.stdin.write(line.encode("utf-8"))
            proc.stdin.flush()
            answers.append(json.loads(proc.stdout.readline()))
        proc.stdin.close()

    talk = threading.Thread(target=converse, daemon=True)
    talk.start()
    talk.join(timeout=300)  # a safety net only: a correct run answers at once
    try:
        if talk.is_alive():
            proc.kill()
            pytest.fail("otklik classify waited for more input before answering a line")
        assert proc.wait(timeout=300) == 0
    finally:
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
    assert [a["id"] for a in answers] == [1, 2]
    assert answers[0]["needs_answer"] is True and answers[1]["needs_answer"] is False


def test_a_post_given_with_a_comment_is_read_as_the_ingest_reads_it() -> None:
    """``post`` is optional: a comment that names no subject takes the post's topic, one sure
    of its own keeps it, the same comment without a post is read alone, and a post that is
    not a string is a clear error on its own line while the lines around it are answered; a post
    that names no subject (a greeting) changes nothing."""
    bridge = "С 3 июня закрывается движение по мосту через реку Сылву на капитальный ремонт."
    vague = "Когда уже закончат? Второй месяц так"
    lines = [
        {"id": 1, "text": vague, "post": bridge},
        {"id": 2, "text": "у нас во дворе мусор не вывозят вторую неделю", "post": bridge},
        {"id": 3, "text": vague},
        {"id": 4, "text": vague, "post": 7},
        {"id": 5, "text": vague, "post": bridge},
        {
            "id": 6,
            "text": vague,
            "post": "С Днём города, дорогие земляки! Желаем счастья и добра!",
        },
    ]
    out = io.StringIO()
    run_classify(io.StringIO("".join(json.dumps(d) + "\n" for d in lines)), out)
    got = {d["id"]: d for d in map(json.loads, out.getvalue().splitlines())}
    assert got[1]["topic"] == got[5]["topic"] == "roads"
    assert "тема из поста, под которым комментарий: Дороги" in got[1]["reasons"]
    assert got[2]["topic"] == "garbage"
    assert got[3]["topic"] != "roads" and got[3]["needs_answer"]
    assert got[6]["topic"] == got[3]["topic"]  # a greeting names no subject to take
    assert got[4] == {"id": 4, "line": 4, "error": "line 4: field 'post' must be a string"}
