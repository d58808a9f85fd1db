"""Typed callback data and the inline keyboards that carry it.

Callback data comes back from the client and can be forged or stale, so it carries only ids
and short codes; every handler reloads the complaint and checks the presser's rights.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot import texts
from storage.actions import MODERATING_ROLES, OFFICIAL_ACTIONS, Action

WORKING = ("open", "in_work")
CLOSED = ("resolved", "dismissed")


class Act(StrEnum):
    """One-letter codes keep callback data far below Telegram's 64 bytes."""

    TAKE = "t"
    ANSWERED = "a"
    RESOLVE = "r"
    DISMISS = "d"
    PICK = "p"  # open the agency picker
    BACK = "b"  # close the picker
    REOPEN = "o"
    SHOW = "s"  # send the full card (from a list or a summary)
    WAIT = "w"  # «Ждём ответа жителя»: stop the clock
    RESUME = "g"  # run the clock again


ACT_ACTION = {
    Act.TAKE: Action.TAKE,
    Act.ANSWERED: Action.ANSWERED,
    Act.RESOLVE: Action.RESOLVE,
    Act.DISMISS: Action.DISMISS,
    Act.PICK: Action.REASSIGN,
    Act.REOPEN: Action.REOPEN,
    Act.WAIT: Action.WAIT,
    Act.RESUME: Action.RESUME,
}


#: A complaint id as a forged button may carry it: past the 32-bit column it is refused by
#: the filter (the button is "outdated"), not by the database.
ComplaintId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ComplaintCb(CallbackData, prefix="c"):
    act: Act
    id: ComplaintId


class AssignCb(CallbackData, prefix="ca"):
    id: ComplaintId
    agency: str


class ListCb(CallbackData, prefix="l"):
    """A page of a list; ``key`` is the list's filter (topic, page id or summary row id)."""

    kind: str
    key: str
    page: int


def _allowed(role: str, act: Act) -> bool:
    if role in MODERATING_ROLES:
        return True
    return role == "official" and ACT_ACTION.get(act) in OFFICIAL_ACTIONS


def alert_keyboard(
    complaint_id: int, status: str, role: str, *, waiting: bool = False
) -> InlineKeyboardMarkup | None:
    """The card's buttons for this person: only what their role may do in this status
    (``waiting``: the clock stands still on the resident, so it offers to resume it)."""
    if status in WORKING:
        wait = Act.RESUME if waiting else Act.WAIT
        acts = [Act.TAKE, Act.ANSWERED, wait, Act.RESOLVE, Act.DISMISS, Act.PICK]
        if status == "in_work":
            acts.remove(Act.TAKE)
    else:
        acts = [Act.REOPEN]
        if status == "answered":
            acts = [Act.RESOLVE, Act.DISMISS, Act.REOPEN]
    labels = {
        Act.TAKE: texts.BTN_TAKE,
        Act.ANSWERED: texts.BTN_ANSWERED,
        Act.RESOLVE: texts.BTN_RESOLVE,
        Act.DISMISS: texts.BTN_DISMISS,
        Act.PICK: texts.BTN_REASSIGN,
        Act.REOPEN: texts.BTN_REOPEN,
        Act.WAIT: texts.BTN_WAIT,
        Act.RESUME: texts.BTN_RESUME,
    }
    builder = InlineKeyboardBuilder()
    shown = [a for a in acts if _allowed(role, a)]
    for act in shown:
        builder.button(text=labels[act], callback_data=ComplaintCb(act=act, id=complaint_id))
    if not shown:
        return None
    builder.adjust(2)
    return builder.as_markup()


def agency_picker(complaint_id: int, agencies: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for agency_id, name in agencies:
        builder.button(text=name, callback_data=AssignCb(id=complaint_id, agency=agency_id))
    builder.button(text=texts.BTN_BACK, callback_data=ComplaintCb(act=Act.BACK, id=complaint_id))
    builder.adjust(1)
    return builder.as_markup()


def list_keyboard(
    kind: str, key: str, page: int, pages: int, ids: Sequence[int]
) -> InlineKeyboardMarkup | None:
    """A button per complaint on the page (opens its card) and ◀ ▶ between pages."""
    rows: list[list[InlineKeyboardButton]] = []
    openers = [
        InlineKeyboardButton(
            text=texts.BTN_OPEN.format(id=cid),
            callback_data=ComplaintCb(act=Act.SHOW, id=cid).pack(),
        )
        for cid in ids
    ]
    rows += [openers[i : i + 4] for i in range(0, len(openers), 4)]
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text=texts.BTN_PREV,
                callback_data=ListCb(kind=kind, key=key, page=page - 1).pack(),
            )
        )
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(
                text=texts.BTN_NEXT,
                callback_data=ListCb(kind=kind, key=key, page=page + 1).pack(),
            )
        )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
