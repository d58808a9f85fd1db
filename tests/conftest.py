"""Shared fixtures: scenario builders for end-to-end runs."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.scenario import Scenario

BASE_SCENARIO: dict[str, Any] = {
    "start": "2026-11-23T08:00:00+03:00",
    "end": "2026-11-23T10:00:00+03:00",
    "agencies": [{"id": "city", "name": "Администрация г. Примерска", "tz": "Europe/Moscow"}],
    "pages": [
        {
            "group_id": 1001,
            "name": "Администрация г. Примерска",
            "screen_name": "adm_primersk",
            "agency": "city",
        }
    ],
    "people": [
        {
            "telegram_id": 501,
            "name": "Иван Петров",
            "role": "official",
            "agencies": ["city"],
            "vk_id": 9001,
        },
        {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
        {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
    ],
    "posts": [
        {"page": 1001, "id": 10, "at": "2026-11-23T08:00:00+03:00", "text": "Итоги ремонта дорог"}
    ],
    "events": [],
}


@pytest.fixture
def make_scenario() -> Any:
    def make(events: list[dict[str, Any]], **overrides: Any) -> Scenario:
        data = {**BASE_SCENARIO, **overrides, "events": events}
        return Scenario.model_validate(data)

    return make
