"""The neutral callback codec (``bot/core/callbacks.py``): the strings aiogram's CallbackData
made before issue 13, so cards already in people's chats keep working; nothing forged gets in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from bot.core.callbacks import Act, AssignCb, ComplaintCb, ListCb, decode
from tests.bot_harness import Harness, buttons

MODERATOR = 601


# The definitions bot/keyboards.py had before issue 13, kept here as the reference.
class OldComplaintCb(CallbackData, prefix="c"):
    act: Act
    id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class OldAssignCb(CallbackData, prefix="ca"):
    id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    agency: str


class OldListCb(CallbackData, prefix="l"):
    kind: str
    key: str
    page: int


def _old(data: str) -> CallbackData | None:
    for kind in (OldComplaintCb, OldAssignCb, OldListCb):
        try:
            return kind.unpack(data)
        except (TypeError, ValueError):
            continue
    return None


IDS = st.integers(min_value=1, max_value=2**31 - 1)
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-", min_size=0, max_size=12)


@given(act=st.sampled_from(list(Act)), cid=IDS)
def test_card_buttons_carry_the_strings_aiogram_made(act: Act, cid: int) -> None:
    packed = ComplaintCb(act=act, id=cid).pack()
    assert packed == OldComplaintCb(act=act, id=cid).pack()
    assert decode(packed) == ComplaintCb(act=act, id=cid)


@given(cid=IDS, agency=WORDS)
def test_agency_buttons_carry_the_strings_aiogram_made(cid: int, agency: str) -> None:
    packed = AssignCb(id=cid, agency=agency).pack()
    assert packed == OldAssignCb(id=cid, agency=agency).pack()
    assert decode(packed) == AssignCb(id=cid, agency=agency)


@given(kind=WORDS, key=WORDS, page=st.integers(min_value=-5, max_value=10_000))
def test_list_buttons_carry_the_strings_aiogram_made(kind: str, key: str, page: int) -> None:
    packed = ListCb(kind=kind, key=key, page=page).pack()
    assert packed == OldListCb(kind=kind, key=key, page=page).pack()
    assert decode(packed) == ListCb(kind=kind, key=key, page=page)


def test_a_card_already_in_a_chat_still_means_the_same() -> None:
    assert decode("c:t:123") == ComplaintCb(act=Act.TAKE, id=123)
    assert decode("c:w:1") == ComplaintCb(act=Act.WAIT, id=1)
    assert decode("ca:7:roads") == AssignCb(id=7, agency="roads")
    assert decode("l:batch:42:1") == ListCb(kind="batch", key="42", page=1)
    assert decode("l:my::0") == ListCb(kind="my", key="", page=0)


FORGED = [
    "",
    "c",
    "c:t",
    "c:t:",
    "c:x:1",  # no such act
    "c:t:0",
    "c:t:-1",
    "c:t:2147483648",  # past the 32-bit id column
    "c:t:99999999999999999999",
    "c:t:1:2",
    "c:t:1.0",
    "c:t: 1",
    "c:T:1",
    "ca:0:roads",
    "ca:x:roads",
    "ca:1",
    "l:open::x",
    "l:open",
    "x:t:1",
    "c:t:" + "1" * 70,  # over 64 bytes
    "ca:1:" + "я" * 40,  # over 64 bytes in UTF-8
]


@pytest.mark.parametrize("data", FORGED)
def test_a_forged_payload_decodes_to_nothing(data: str) -> None:
    assert decode(data) is None


@given(st.text(max_size=80))
def test_the_codec_is_never_more_lenient_than_aiogram_was(data: str) -> None:
    """Whatever decodes now, aiogram read the same way (the codec only refuses more: an
    oversized payload, a number written oddly)."""
    found = decode(data)
    if found is None:
        return
    old = _old(data)
    assert old is not None
    assert old.pack() == found.pack() == data


def test_a_payload_that_would_not_fit_is_a_bug_not_a_button() -> None:
    with pytest.raises(ValueError):
        AssignCb(id=1, agency="a" * 70).pack()
    with pytest.raises(ValueError):
        AssignCb(id=1, agency="a:b").pack()
    with pytest.raises(ValueError):
        ComplaintCb(act=Act.TAKE, id=0)


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


async def test_a_filtered_open_list_pages(h: Harness) -> None:
    """``/open roads`` with more than a page: aiogram's CallbackData refused the ``:`` in the
    list's key (``t:roads``), so the list never came; the codec carries it."""
    for _ in range(11):
        await h.complaint(topic="roads")
    await h.complaint(topic="snow")
    reply = await h.reply(MODERATOR, "/open roads")
    assert "Открытые жалобы: 11" in reply and "Страница 1 из 2" in reply
    mid, msg = h.last(MODERATOR)
    nav = dict(buttons(msg))
    assert nav["▶"] == "l:open:t:roads:1"
    await h.press(MODERATOR, mid, nav["▶"])
    page2 = h.fake.messages(MODERATOR)[mid]
    assert "Страница 2 из 2" in page2["text"] and "№9" in dict(buttons(page2))
    assert "◀" in dict(buttons(page2))
