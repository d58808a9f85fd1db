"""Topic codes of product.md §3 and their Russian labels."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ROADS = "roads"
    HOUSING = "housing"
    IMPROVEMENT = "improvement"
    GARBAGE = "garbage"
    SNOW = "snow"
    TRANSPORT = "transport"
    HEALTH = "health"
    EDUCATION = "education"
    SOCIAL = "social"
    SAFETY = "safety"
    ANIMALS = "animals"
    ECOLOGY = "ecology"
    OTHER = "other"


TOPIC_LABELS: dict[Topic, str] = {
    Topic.ROADS: "Дороги",
    Topic.HOUSING: "ЖКХ",
    Topic.IMPROVEMENT: "Благоустройство",
    Topic.GARBAGE: "Мусор",
    Topic.SNOW: "Снег и наледь",
    Topic.TRANSPORT: "Транспорт",
    Topic.HEALTH: "Здравоохранение",
    Topic.EDUCATION: "Образование",
    Topic.SOCIAL: "Соцзащита",
    Topic.SAFETY: "Безопасность",
    Topic.ANIMALS: "Животные",
    Topic.ECOLOGY: "Экология",
    Topic.OTHER: "Другое",
}
