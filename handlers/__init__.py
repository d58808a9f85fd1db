"""Telegram routers, one per feature, built fresh by factories (no module-level singletons).

Features written once for every messenger are served through ``bot.telegram.commands``."""

from __future__ import annotations

from aiogram import Router

from bot.telegram.commands import feature_router
from handlers import admin, complaints, fallback, moderation, reports, start, waiting


def build_routers() -> list[Router]:
    return [
        feature_router(start.FEATURE),
        moderation.build_router(),
        complaints.build_router(),
        feature_router(waiting.FEATURE),
        admin.build_router(),
        feature_router(reports.FEATURE),
        fallback.build_router(),  # last: answers whatever nobody else handled
    ]
