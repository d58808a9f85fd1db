"""The buttons under cards and lists, as neutral :class:`~bot.core.types.Keyboard` values.

Each adapter lays them out in its own client's terms (``bot/telegram/markup.py``,
``bot/max/markup.py``); the payloads are the codec's (``bot/core/callbacks.py``), so a press
means the same on every messenger.  A person sees only what their role may do.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import texts
from bot.core.callbacks import ACT_ACTION, Act, AssignCb, ComplaintCb, ListCb
from bot.core.types import Button, Keyboard
from storage.actions import MODERATING_ROLES, OFFICIAL_ACTIONS

__all__ = [
    "CLOSED",
    "WORKING",
    "agency_picker",
    "alert_keyboard",
    "list_keyboard",
    "open_keyboard",
]

WORKING = ("open", "in_work")
CLOSED = ("resolved", "dismissed")
#: Complaint buttons in a list: this many to a row.
OPENERS_PER_ROW = 4
#: Who may answer a complaint on VK from its card (issue 15; the card reaches officials of its
#: agency only, and ``bot.answering`` re-checks the scope).
ANSWERING_ROLES = ("official", *sorted(MODERATING_ROLES))
#: The agency picker's rows at most (MAX shows 30 rows of buttons).
PICKER_ROWS = 30

LABELS = {
    Act.TAKE: texts.BTN_TAKE,
    Act.ANSWERED: texts.BTN_ANSWERED,
    Act.RESOLVE: texts.BTN_RESOLVE,
    Act.DISMISS: texts.BTN_DISMISS,
    Act.PICK: texts.BTN_REASSIGN,
    Act.REOPEN: texts.BTN_REOPEN,
    Act.WAIT: texts.BTN_WAIT,
    Act.RESUME: texts.BTN_RESUME,
}


def _allowed(role: str, act: Act) -> bool:
    if role in MODERATING_ROLES:
        return True
    return role == "official" and ACT_ACTION.get(act) in OFFICIAL_ACTIONS


def alert_keyboard(
    complaint_id: int, status: str, role: str, *, waiting: bool = False
) -> Keyboard | None:
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
    buttons = [
        Button(LABELS[act], payload=ComplaintCb(act=act, id=complaint_id).pack())
        for act in acts
        if _allowed(role, act)
    ]
    if status in WORKING and role in ANSWERING_ROLES:  # issue 15: handlers/answers.py
        buttons.insert(0, Button(texts.BTN_ANSWER, payload=f"an:{complaint_id}"))
    return Keyboard.grid(buttons, 2)


def agency_picker(complaint_id: int, agencies: Sequence[tuple[str, str]]) -> Keyboard:
    """One agency a row, and «Назад» to the card's own buttons; more agencies than MAX has
    rows for (30, «Назад» included) go two or more to a row."""
    buttons = [
        Button(name, payload=AssignCb(id=complaint_id, agency=agency_id).pack())
        for agency_id, name in agencies
    ]
    buttons.append(
        Button(texts.BTN_BACK, payload=ComplaintCb(act=Act.BACK, id=complaint_id).pack())
    )
    keyboard = Keyboard.grid(buttons, -(-len(buttons) // PICKER_ROWS))
    assert keyboard is not None  # «Назад» is always there
    return keyboard


def list_keyboard(
    kind: str, key: str, page: int, pages: int, ids: Sequence[int]
) -> Keyboard | None:
    """A button per complaint on the page (opens its card) and ◀ ▶ between pages."""
    openers = [
        Button(texts.BTN_OPEN.format(id=cid), payload=ComplaintCb(act=Act.SHOW, id=cid).pack())
        for cid in ids
    ]
    rows = [openers[i : i + OPENERS_PER_ROW] for i in range(0, len(openers), OPENERS_PER_ROW)]
    nav: list[Button] = []
    if page > 0:
        nav.append(
            Button(texts.BTN_PREV, payload=ListCb(kind=kind, key=key, page=page - 1).pack())
        )
    if page + 1 < pages:
        nav.append(
            Button(texts.BTN_NEXT, payload=ListCb(kind=kind, key=key, page=page + 1).pack())
        )
    rows.append(nav)
    return Keyboard.of(rows)


def open_keyboard(complaint_id: int) -> Keyboard:
    """One button that opens the complaint's card (under an SLA notice or a moderator's note)."""
    return Keyboard(
        (
            (
                Button(
                    texts.BTN_OPEN.format(id=complaint_id),
                    payload=ComplaintCb(act=Act.SHOW, id=complaint_id).pack(),
                ),
            ),
        )
    )
