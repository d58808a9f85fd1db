"""Telegram routers, one per feature, built fresh by factories (no module-level singletons).

Features written once for every messenger are served through ``bot.telegram.commands``."""

from __future__ import annotations

from aiogram import Router

from bot.core.handling import Feature
from bot.telegram.commands import feature_router
from handlers import admin, answers, complaints, fallback, moderation, reports, start, waiting


def neutral_features() -> list[Feature]:
    """The features written once for every messenger (``bot.core.handling``), in the order
    their commands, buttons and texts are looked up; MAX is served from this list alone."""
    return [
        start.FEATURE,
        moderation.FEATURE,
        complaints.FEATURE,
        waiting.FEATURE,
        admin.FEATURE,
        reports.FEATURE,
        answers.FEATURE,
    ]


def build_routers() -> list[Router]:
    return [
        *(feature_router(feature) for feature in neutral_features()),
        fallback.build_router(),  # last: answers whatever nobody else handled
    ]
