"""Registry validation (clear errors), routing rules and answer detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.texts import complaints_n
from config.registry import Registry, RegistryError, load_registry, parse_registry
from matcher.answers import CommentRef, answers, responders_for
from matcher.routing import route
from matcher.topics import Topic

REGISTRY = {
    "agencies": [
        {"id": "city", "name": "Администрация", "answering_pages": [3003]},
        {"id": "water", "name": "Водоканал"},
    ],
    "pages": [
        {"group_id": 1001, "name": "Администрация", "agency": "city"},
        {"group_id": 1002, "name": "Школа №5", "agency": "city"},
    ],
    "people": [
        {
            "telegram_id": 501,
            "name": "Иван",
            "role": "official",
            "agencies": ["city"],
            "vk_id": 9001,
        },
        {
            "telegram_id": 502,
            "name": "Елена",
            "role": "official",
            "agencies": ["water"],
            "vk_id": 9002,
        },
    ],
    "rules": [
        {"topic": "housing", "agency": "water"},
        {"topic": "roads", "agency": "water", "page": 1002},
    ],
}


@pytest.fixture
def registry() -> Registry:
    return parse_registry(REGISTRY)


def test_routing_prefers_page_rule_then_topic_rule_then_page_default(registry: Registry) -> None:
    assert route(registry, 1002, Topic.ROADS).agency_id == "water"  # page + topic
    assert route(registry, 1001, Topic.HOUSING).agency_id == "water"  # topic anywhere
    fallback = route(registry, 1001, Topic.ROADS)
    assert fallback is not None and fallback.agency_id == "city"
    assert "default" in fallback.rule
    assert route(registry, 4242, Topic.ROADS) is None  # not a watched page


def test_page_reply_in_thread_answers_but_other_residents_do_not(registry: Registry) -> None:
    complaint = CommentRef(-1001, 10, 11, from_id=7001)
    who = responders_for(registry, 1001)
    page_reply = CommentRef(
        -1001, 10, 12, -1001, thread_id=11, reply_to_comment=11, reply_to_user=7001
    )
    resident_reply = CommentRef(
        -1001, 10, 13, 7002, thread_id=11, reply_to_comment=11, reply_to_user=7001
    )
    official_reply = CommentRef(-1001, 10, 14, 9001, thread_id=11, reply_to_user=7001)
    other_agency_official = CommentRef(-1001, 10, 15, 9002, thread_id=11, reply_to_user=7001)
    answering_page = CommentRef(-1001, 10, 16, -3003, thread_id=11, reply_to_user=7001)
    assert answers(page_reply, complaint, who)
    assert not answers(resident_reply, complaint, who)
    assert answers(official_reply, complaint, who)
    assert not answers(other_agency_official, complaint, who)
    assert answers(answering_page, complaint, who)


def test_top_level_page_comment_addressed_to_author_is_an_answer(registry: Registry) -> None:
    complaint = CommentRef(-1001, 10, 11, from_id=7001)
    who = responders_for(registry, 1001)
    addressed = CommentRef(-1001, 10, 20, -1001, reply_to_user=7001)
    unrelated = CommentRef(-1001, 10, 21, -1001)
    other_post = CommentRef(-1001, 99, 22, -1001, reply_to_user=7001)
    page_talking_to_someone_else = CommentRef(
        -1001, 10, 23, -1001, thread_id=11, reply_to_comment=19, reply_to_user=7009
    )
    assert answers(addressed, complaint, who)
    assert not answers(unrelated, complaint, who)
    assert not answers(other_post, complaint, who)
    assert not answers(page_talking_to_someone_else, complaint, who)


def test_registry_errors_name_file_line_entry_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(
        "agencies:\n"
        "  - {id: city, name: Администрация}\n"
        "pages:\n"
        "  - {group_id: 1001, name: Страница, agency: city}\n"
        "  - {group_id: -5, name: Вторая, agency: city}\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    message = str(err.value)
    assert f"{path}:5" in message
    assert "pages[1].group_id" in message
    assert "greater than 0" in message


def test_registry_unknown_agency_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "agencies: [{id: a, name: A}]\npages: [{group_id: 1, name: P, agency: b}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match=r"pages\[0\] \(group_id 1\): unknown agency 'b'"):
        load_registry(path)
    path.write_text("agencies: [{id: a, name: A}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(path)
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 жалоба"),
        (2, "2 жалобы"),
        (5, "5 жалоб"),
        (11, "11 жалоб"),
        (21, "21 жалоба"),
        (22, "22 жалобы"),
        (112, "112 жалоб"),
        (0, "0 жалоб"),
    ],
)
def test_russian_plural_forms(n: int, text: str) -> None:
    assert complaints_n(n) == text
