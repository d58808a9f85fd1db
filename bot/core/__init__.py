"""The messenger-neutral core (issue 13): what a person sees and does, described once.

Nothing under ``bot/core`` imports aiogram or maxapi; each messenger's folder
(``bot/telegram``, ``bot/max``) translates these types to and from its wire format.
"""
