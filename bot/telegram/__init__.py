"""The Telegram adapter (aiogram): updates in, neutral cards out (issue 13)."""
