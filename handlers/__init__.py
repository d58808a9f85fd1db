"""Telegram routers, one per feature, built fresh by factories (no module-level singletons)."""

from __future__ import annotations

from aiogram import Router

from handlers import moderation, start


def build_routers() -> list[Router]:
    return [start.build_router(), moderation.build_router()]
