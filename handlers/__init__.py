"""Telegram routers, one per feature, built fresh by factories (no module-level singletons)."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, complaints, fallback, moderation, reports, start, waiting


def build_routers() -> list[Router]:
    return [
        start.build_router(),
        moderation.build_router(),
        complaints.build_router(),
        waiting.build_router(),
        admin.build_router(),
        reports.build_router(),
        fallback.build_router(),  # last: answers whatever nobody else handled
    ]
