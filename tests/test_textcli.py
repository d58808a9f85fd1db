"""`otklik classify` and `otklik rate-answer`: the JSON-lines contract of product.md §8."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from matcher.classifier import Matcher
from matcher.model import MODEL_PATH, Model
from matcher.textcli import run_classify, run_rate_answer
from matcher.topics import Topic


def run(fn: Any, lines: list[str]) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert fn(io.StringIO("".join(line + "\n" for line in lines)), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_classify_contract_one_line_per_input_in_order() -> None:
    rows = run(
        run_classify,
        [
            json.dumps({"id": 1, "text": "когда уберут снег на Мира 5?"}, ensure_ascii=False),
            json.dumps({"id": "b", "text": "С праздником!"}, ensure_ascii=False),
            json.dumps({"id": None, "text": "👍"}),
        ],
    )
    assert [r["id"] for r in rows] == [1, "b", None]
    for r in rows:
        assert set(r) == {"id", "needs_answer", "topic", "score", "urgent", "reasons"}
        assert isinstance(r["urgent"], bool)
        assert all(isinstance(x, str) for x in r["reasons"])
        assert isinstance(r["needs_answer"], bool)
        assert r["topic"] in {t.value for t in Topic}
        assert 0.0 <= r["score"] <= 1.0
    assert rows[0]["needs_answer"] is True
    assert rows[0]["topic"] == "snow"
    assert rows[1]["needs_answer"] is False


def test_classify_bad_lines_give_errors_and_processing_continues() -> None:
    rows = run(
        run_classify,
        [
            "{not json",
            "[1, 2]",
            json.dumps({"id": 7}),
            json.dumps({"id": 8, "text": 42}),
            json.dumps({"id": {"x": 1}, "text": "a"}),
            "",
            json.dumps({"id": 9, "text": "третий день нет горячей воды"}, ensure_ascii=False),
        ],
    )
    assert len(rows) == 6  # the blank line is not an input
    assert rows[0]["id"] is None and "invalid JSON" in rows[0]["error"]
    assert rows[1]["id"] is None and "JSON object" in rows[1]["error"]
    # The line number is named (issue 14): the blank line counts, as in an editor.
    assert rows[2] == {"id": 7, "line": 3, "error": "line 3: missing field 'text'"}
    assert rows[3] == {"id": 8, "line": 4, "error": "line 4: field 'text' must be a string"}
    assert rows[0]["error"].startswith("line 1: invalid JSON")
    assert rows[4]["id"] is None and "id" in rows[4]["error"]
    assert rows[5]["id"] == 9 and rows[5]["needs_answer"] is True


def test_rate_answer_contract() -> None:
    rows = run(
        run_rate_answer,
        [
            json.dumps(
                {
                    "id": "a1",
                    "complaint": "Яма у дома 5, когда заделаете?",
                    "answer": "Ваше обращение передано в ответственную службу",
                },
                ensure_ascii=False,
            ),
            json.dumps(
                {"id": "a2", "answer": "Бригада выйдет 25 ноября, яму засыплют до конца недели"},
                ensure_ascii=False,
            ),
            json.dumps({"id": "a3", "complaint": "x"}),
            "oops",
        ],
    )
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", None]
    first, second = rows[0], rows[1]
    assert set(first) == {"id", "otpiska", "quality", "reasons"}
    assert first["otpiska"] is True and 0 <= first["quality"] < 50
    assert all(isinstance(x, str) for x in first["reasons"]) and first["reasons"]
    assert second["otpiska"] is False and second["quality"] >= 50
    assert rows[2] == {"id": "a3", "line": 3, "error": "line 3: missing field 'answer'"}
    assert "invalid JSON" in rows[3]["error"]


def test_non_ascii_is_written_as_is() -> None:
    out = io.StringIO()
    run_rate_answer(io.StringIO('{"id": 1, "answer": "Напишите в личку"}\n'), out)
    assert "перенос разговора" in out.getvalue()


COMPLAINT = "Третий день нет горячей воды в доме 12 по Садовой, когда дадут?"


def fresh_pair() -> tuple[Matcher, Matcher]:
    """Two matchers on the same shipped weights, each with its own (empty) token cache."""
    text = MODEL_PATH.read_text(encoding="utf-8")
    return Matcher(Model.from_json(text)), Matcher(Model.from_json(text))


@pytest.mark.parametrize("first", ["👍", "", "?!...", "   ", "😡😡😡"])
def test_a_fresh_matcher_whose_first_text_has_no_words(first: str) -> None:
    """Issue 11: the model's token cache starts empty, and a first text without words crashed
    it (a numpy broadcast error); it is a valid decision: no answer needed, and why."""
    for matcher, untouched in (fresh_pair(), (Matcher.rules_only(), Matcher.rules_only())):
        c = matcher.classify(first)
        assert c.needs_answer is False and c.topic is Topic.OTHER
        assert c.reasons[0] == "нет слов (только эмодзи или знаки)"
        # What comes next is classified as if the empty text had not been there.
        assert matcher.classify(COMPLAINT) == untouched.classify(COMPLAINT)


def test_classify_contract_when_the_first_line_has_no_words() -> None:
    matcher, untouched = fresh_pair()
    out = io.StringIO()
    lines = [
        json.dumps({"id": 1, "text": "🙏"}),
        "not json",
        json.dumps({"id": 3, "text": COMPLAINT}, ensure_ascii=False),
    ]
    assert run_classify(io.StringIO("\n".join(lines) + "\n"), out, matcher) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == [1, None, 3]
    assert rows[0]["needs_answer"] is False and rows[0]["topic"] == "other"
    assert 0.0 <= rows[0]["score"] < 0.5
    assert "invalid JSON" in rows[1]["error"]
    expected = untouched.classify(COMPLAINT)
    assert (rows[2]["needs_answer"], rows[2]["topic"], rows[2]["score"]) == (
        expected.needs_answer,
        expected.topic.value,
        expected.score,
    )
