"""Answering from the alert (issue 15): «Ответить», /answer, /publish and /templates, written
once for every messenger (``bot.core.handling``).

The work is :mod:`bot.answering`'s (check, publish on VK as the page, failures kept); this
module asks for the text, shows it back «как увидят жители» with the page it goes out from,
and offers the choices.  Pressing «Ответить» (or ``/answer 12`` without a text) remembers in
``kv`` (``answering:<person id>``, with an expiry) that the person's next plain message is
the answer to that complaint, so a restart in between loses nothing.

Payloads (each at most 64 bytes, and forgeable: every handler reloads and re-checks rights
through ``bot.answering``)::

    an:<complaint>            «Ответить»: ask for the text
    at:<complaint>:<template> start from a template
    ap:<draft>                «Опубликовать» / «Повторить»
    af:<draft>                «Опубликовать как есть» (audited)
    ae:<draft>                «Исправить»: ask for a new text
    ax:<complaint>            «Отмена»: the next message is an ordinary one again

Write order: ``bot.answering`` works in its own transactions, so every handler here writes
to the request's session (``kv``, templates) only after those calls, and first commits what
the request's session may hold (a person marked reachable again), so the two never wait on
each other's lock on SQLite.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from html import escape

from bot.answering import (
    AnswerDeps,
    AnswerOutcome,
    AnswerResult,
    answer_now,
    answer_page,
    answer_refusal,
    publish_answer,
    publish_held,
    start_from_template,
    write_answer,
)
from bot.core import texts
from bot.core.handling import Feature, Request
from bot.core.privacy import hiding
from bot.core.types import Button, Card, Keyboard
from bot.menus import commands_for
from handlers.common import (
    agency_choices,
    allowed,
    match_agency,
    not_allowed_text,
    parse_id,
    parse_topic,
    request_complaint_args,
    topic_names,
)
from matcher.topics import TOPIC_LABELS
from storage.answers import OPEN_STATES, answer_counts
from storage.models import AnswerDraft, AnswerTemplate, Complaint, KeyValue, Person
from storage.scope import agencies_arg, scope_of
from storage.templates import (
    MAX_TEXT,
    MAX_TITLE,
    TemplateOutcome,
    TemplateResult,
    add_template,
    edit_template,
    placeholders,
    remove_template,
    templates_for,
)

log = logging.getLogger(__name__)

#: How long «the next message is the answer» holds after «Ответить» or «Исправить».
PENDING_FOR = timedelta(hours=2)
#: Template buttons under the «напишите ответ» card at most.
MAX_TEMPLATE_BUTTONS = 8
#: /templates shows each text up to this many characters, and the list up to this length.
LIST_TEXT = 300
LIST_LIMIT = 3300
#: Words for «any» topic or agency in /templates.
ANY_WORDS = frozenset({"все", "всё", "любая", "любое", "любые", "-", "*", "any"})

# ---------------------------------------------------------------------- state and helpers


def _pending_key(person: Person) -> str:
    return f"answering:{person.id}"


async def _pending(req: Request, person: Person) -> int | None:
    """The complaint the person's next plain message answers, if they pressed «Ответить»
    (or «Исправить») and it has not expired."""
    row = await req.session.get(KeyValue, _pending_key(person))
    if row is None:
        return None
    try:
        until = datetime.fromisoformat(str(row.value.get("until")))
        complaint_id = int(row.value["complaint"])
    except (KeyError, TypeError, ValueError):
        return None
    return complaint_id if until > req.deps.clock.now() else None


async def _set_pending(req: Request, person: Person, complaint_id: int | None) -> None:
    """Remember (or, with None, forget) what the next plain message answers."""
    row = await req.session.get(KeyValue, _pending_key(person))
    if complaint_id is None:
        if row is not None:
            await req.session.delete(row)
        return
    value = {
        "complaint": complaint_id,
        "until": (req.deps.clock.now() + PENDING_FOR).isoformat(),
    }
    if row is None:
        req.session.add(KeyValue(key=_pending_key(person), value=value))
    else:
        row.value = value


def _deps(req: Request) -> AnswerDeps | None:
    found = req.deps.extra.get("answers")
    return found if isinstance(found, AnswerDeps) else None


async def _settle(req: Request) -> None:
    """Commit what the request's session holds so far (``bot.answering`` writes in its own
    transactions: on SQLite an open write here would make them wait for the lock)."""
    if req.session.in_transaction():
        await req.session.commit()


async def _presser(req: Request) -> Person | None:
    """The active person pressing an answer button whose role may answer, or None once
    told why not."""
    person = req.person
    if person is None or not person.active:
        await req.convo.toast(texts.START_UNKNOWN, alert=True)
        return None
    if "answer" not in commands_for(person.role):
        await req.convo.toast(not_allowed_text("answer"), alert=True)
        return None
    return person


def _payload_ids(payload: str, count: int) -> list[int] | None:
    """``ap:12`` → [12]; anything forged or malformed → None."""
    _, _, rest = payload.partition(":")
    parts = rest.split(":")
    if len(parts) != count:
        return None
    ids = [parse_id(p) for p in parts]
    if any(i is None or i == 0 for i in ids):
        return None
    return [i for i in ids if i is not None]


# ---------------------------------------------------------------------- cards


def result_card(result: AnswerResult, *, from_template: bool = False) -> Card:
    """What a person sees after writing or publishing: the answer «как увидят жители», the
    page, the check's verdict and the buttons that fit."""
    cid, draft = result.complaint_id, result.draft_id
    outcome = result.outcome
    if result.text is None or draft is None:
        return Card(escape(result.message))
    if hiding() and result.resident:  # a messenger that may carry no resident's name
        pattern = rf"\b{re.escape(result.resident)}\b"
        result = replace(result, text=re.sub(pattern, texts.RESIDENT_HIDDEN, result.text))
    assert result.text is not None
    preview = texts.ANSWER_PREVIEW.format(
        id=cid, page=escape(result.page or ""), text=escape(result.text)
    )
    rows: list[list[Button]] = []
    if outcome is AnswerOutcome.READY:
        html = preview + texts.ANSWER_READY
        rows = [
            [Button(texts.BTN_PUBLISH, payload=f"ap:{draft}")],
            [Button(texts.BTN_FIX, payload=f"ae:{draft}")],
        ]
    elif outcome is AnswerOutcome.HELD:
        html = preview + texts.ANSWER_HELD.format(message=escape(result.message))
        fix = [Button(texts.BTN_FIX, payload=f"ae:{draft}")]
        if from_template:
            html += texts.ANSWER_TEMPLATE_STARTED
        if placeholders(result.text):
            rows = [fix]  # «как есть» never publishes an unfilled template
        else:
            html += texts.ANSWER_HELD_PUBLISH.format(id=cid)
            rows = [fix, [Button(texts.BTN_PUBLISH_AS_IS, payload=f"af:{draft}")]]
    elif outcome in (AnswerOutcome.PUBLISHED, AnswerOutcome.ALREADY_PUBLISHED):
        html = f"{escape(result.message)}\n\n<i>{escape(result.text)}</i>"
        if result.link:
            rows = [[Button(texts.BTN_VK_ANSWER, url=result.link)]]
    elif outcome is AnswerOutcome.PUBLISHING:
        html = preview + texts.ANSWER_HELD.format(message=escape(result.message))
        rows = [[Button(texts.BTN_PUBLISH, payload=f"ap:{draft}")]]
    elif outcome in (AnswerOutcome.FAILED, AnswerOutcome.NO_TOKEN):
        html = escape(result.message) + texts.ANSWER_COPY.format(text=escape(result.text))
        if result.retryable:
            rows = [[Button(texts.BTN_RETRY, payload=f"ap:{draft}")]]
    else:
        html = escape(result.message)
    return Card(html, Keyboard.of(rows))


async def _show(req: Request, card: Card, *, replace: bool) -> None:
    """On a press: the card the button was on becomes ``card`` (sent anew when it cannot be
    edited); otherwise a new message."""
    if replace and await req.convo.edit(card):
        return
    await req.convo.reply(card)


async def _ask(req: Request, person: Person, complaint_id: int, *, fix: bool = False) -> None:
    """«Напишите ответ…»: remembered in ``kv``; the templates that fit are offered."""
    complaint = await req.session.get(Complaint, complaint_id)
    assert complaint is not None  # checked by the caller
    page = await answer_page(req.session, complaint_id) or ""
    if fix:
        html = texts.ANSWER_ASK_FIX.format(id=complaint_id)
        found: list[AnswerTemplate] = []
    else:
        html = texts.ANSWER_ASK.format(id=complaint_id, page=escape(page))
        found = (await templates_for(req.session, person, complaint=complaint))[
            :MAX_TEMPLATE_BUTTONS
        ]
        if found:
            html += texts.ANSWER_ASK_TEMPLATES
    rows = [
        [
            Button(
                texts.BTN_TEMPLATE.format(title=t.title[:40]), payload=f"at:{complaint_id}:{t.id}"
            )
        ]
        for t in found
    ]
    rows.append([Button(texts.BTN_CANCEL, payload=f"ax:{complaint_id}")])
    await _set_pending(req, person, complaint_id)
    await req.convo.reply(Card(html, Keyboard.of(rows)))


# ---------------------------------------------------------------------- buttons


async def press_answer(req: Request) -> None:
    """«Ответить» on the card (``an:<complaint>``)."""
    if (person := await _presser(req)) is None:
        return
    ids = _payload_ids(req.args, 1)
    if ids is None:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    if _deps(req) is None:
        await req.convo.toast(texts.ANSWER_OFF, alert=True)
        return
    refusal = await answer_refusal(req.session, ids[0], person)
    if refusal is not None:
        await req.convo.toast(refusal.message, alert=True)
        return
    await _ask(req, person, ids[0])


async def press_template(req: Request) -> None:
    """A template under «Напишите ответ» (``at:<complaint>:<template>``): the draft starts
    from it; its placeholders hold it until the filled text is sent."""
    if (person := await _presser(req)) is None:
        return
    ids = _payload_ids(req.args, 2)
    deps = _deps(req)
    if ids is None or deps is None:
        await req.convo.toast(texts.CB_UNKNOWN if ids is None else texts.ANSWER_OFF, alert=True)
        return
    complaint_id, template_id = ids
    complaint = await req.session.get(Complaint, complaint_id)
    usable = (
        []
        if complaint is None
        else [t.id for t in await templates_for(req.session, person, complaint=complaint)]
    )
    if template_id not in usable:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    await _settle(req)
    result = await start_from_template(deps, complaint_id, person, template_id)
    if result.draft_id is not None:
        await _set_pending(req, person, complaint_id)  # the filled text comes next
    await req.convo.reply(result_card(result, from_template=True))


async def _press_publish(req: Request, *, force: bool) -> None:
    if (person := await _presser(req)) is None:
        return
    ids = _payload_ids(req.args, 1)
    deps = _deps(req)
    if ids is None or deps is None:
        await req.convo.toast(texts.CB_UNKNOWN if ids is None else texts.ANSWER_OFF, alert=True)
        return
    await _settle(req)
    result = await publish_answer(deps, ids[0], person, force=force)
    if result.outcome is AnswerOutcome.NO_DRAFT:
        await req.convo.toast(result.message, alert=True)
        return
    published = result.outcome is AnswerOutcome.PUBLISHED
    await req.convo.toast(result.message, alert=not published)
    await _show(req, result_card(result), replace=True)


async def press_publish(req: Request) -> None:
    """«Опубликовать» / «Повторить» (``ap:<draft>``)."""
    await _press_publish(req, force=False)


async def press_publish_as_is(req: Request) -> None:
    """«Опубликовать как есть» (``af:<draft>``): the held отписка goes out, audited."""
    await _press_publish(req, force=True)


async def press_fix(req: Request) -> None:
    """«Исправить» (``ae:<draft>``): the next plain message is the new text."""
    if (person := await _presser(req)) is None:
        return
    ids = _payload_ids(req.args, 1)
    draft = await req.session.get(AnswerDraft, ids[0]) if ids is not None else None
    if draft is None or draft.author_id != person.id:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    refusal = await answer_refusal(req.session, draft.complaint_id, person)
    if refusal is not None or draft.state not in OPEN_STATES:
        message = refusal.message if refusal is not None else texts.CB_UNKNOWN
        await req.convo.toast(message, alert=True)
        return
    await _ask(req, person, draft.complaint_id, fix=True)


async def press_cancel(req: Request) -> None:
    """«Отмена» (``ax:<complaint>``): the next message is an ordinary one again."""
    person = req.person
    if person is None or not person.active:
        await req.convo.toast(texts.START_UNKNOWN, alert=True)
        return
    await _set_pending(req, person, None)
    await req.convo.toast(texts.ANSWER_CANCELLED)
    await req.convo.edit(Card(texts.ANSWER_CANCELLED))


# ---------------------------------------------------------------------- the text itself


async def take_answer(req: Request) -> bool:
    """A plain message after «Ответить»/«Исправить»: the answer's text, checked and shown
    back; anything else is left to the next feature."""
    person = req.person
    if person is None or not person.active:
        return False
    complaint_id = await _pending(req, person)
    if complaint_id is None:
        return False
    deps = _deps(req)
    if deps is None:
        await req.reply(texts.ANSWER_OFF)
        return True
    await _settle(req)
    result = await write_answer(deps, complaint_id, person, req.args)
    if result.outcome is not AnswerOutcome.EMPTY:
        await _set_pending(req, person, None)  # one text per press; «Исправить» asks again
    log.info("answer text for complaint %s: %s", complaint_id, result.outcome)
    await req.convo.reply(result_card(result))
    return True


# ---------------------------------------------------------------------- commands


async def answer(req: Request) -> None:
    """``/answer 12 текст``: published at once when the check passes, otherwise held with
    the reasons and the choices; ``/answer 12`` alone asks for the text like the button."""
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, text = args
    deps = _deps(req)
    if deps is None:
        await req.reply(texts.ANSWER_OFF)
        return
    if text is None:
        refusal = await answer_refusal(req.session, complaint_id, who)
        if refusal is not None:
            await req.convo.reply(result_card(refusal))
            return
        await _ask(req, who, complaint_id)
        return
    await _settle(req)
    result = await answer_now(deps, complaint_id, who, text)
    if await _pending(req, who) == complaint_id:
        await _set_pending(req, who, None)  # answered by the command: no text awaited
    await req.convo.reply(result_card(result))


async def publish(req: Request) -> None:
    """``/publish 12``: the person's held (or failed) draft, as is."""
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, _ = args
    deps = _deps(req)
    if deps is None:
        await req.reply(texts.ANSWER_OFF)
        return
    await _settle(req)
    await req.convo.reply(result_card(await publish_held(deps, complaint_id, who)))


async def stats_line(req: Request, person: Person, days: int) -> str:
    """/stats: answers published from the messenger in the period (those «как есть»
    counted apart) and отписки held now, in the person's scope; "" when there are none."""
    now = req.deps.clock.now()
    scope = agencies_arg(await scope_of(req.session, person))
    until = now + timedelta(microseconds=1)  # up to now, inclusive
    counts = await answer_counts(req.session, now - timedelta(days=days), until, scope)
    if not (counts.published or counts.held_now):
        return ""
    return texts.STATS_ANSWERS.format(
        published=counts.published, forced=counts.forced, held=counts.held_now
    )


# ---------------------------------------------------------------------- templates

_ADD = frozenset({"add", "добавить", "новый"})
_EDIT = frozenset({"edit", "изменить", "исправить"})
_REMOVE = frozenset({"remove", "delete", "del", "удалить"})


def _topic_label(topic: str | None) -> str:
    if topic is None:
        return texts.TEMPLATE_ANY_TOPIC
    for known, label in TOPIC_LABELS.items():
        if known.value == topic:
            return label.lower()
    return topic


async def _template_list(req: Request, person: Person) -> str:
    found = await templates_for(req.session, person)
    names = dict(await agency_choices(req.session))
    html = texts.TEMPLATES_TITLE.format(n=len(found)) if found else texts.TEMPLATES_NONE
    for shown, t in enumerate(found):
        agency = names.get(t.agency_id, t.agency_id) if t.agency_id else None
        text = t.text if len(t.text) <= LIST_TEXT else t.text[: LIST_TEXT - 1] + "…"
        line = texts.TEMPLATE_LINE.format(
            id=t.id,
            title=escape(t.title),
            topic=escape(_topic_label(t.topic)),
            agency=escape(agency or texts.TEMPLATE_ANY_AGENCY),
            text=escape(text),
        )
        if len(html) + len(line) > LIST_LIMIT:  # one message: a messenger takes ~4000
            return html + texts.TEMPLATES_MORE.format(n=len(found) - shown)
        html += line
    return html


async def _template_refusal(req: Request, person: Person, result: TemplateResult) -> str:
    if result.outcome is TemplateOutcome.FORBIDDEN:
        return texts.TEMPLATE_FORBIDDEN
    if result.outcome is TemplateOutcome.INVALID:
        return texts.TEMPLATE_INVALID.format(title=MAX_TITLE, text=MAX_TEXT)
    mine = [name for _, name in await agency_choices(req.session, person)]
    return texts.TEMPLATE_OUT_OF_SCOPE.format(agencies=escape(", ".join(mine) or "—"))


async def _template_add(req: Request, person: Person, rest: str) -> str:
    parts = [p.strip() for p in rest.split("|", 3)]
    if len(parts) != 4 or not all(parts):
        return texts.TEMPLATE_ADD_USAGE
    topic_typed, agency_typed, title, text = parts
    topic = None
    if topic_typed.lower() not in ANY_WORDS:
        found_topic = parse_topic(topic_typed)
        if found_topic is None:
            return texts.TEMPLATE_BAD_TOPIC.format(
                topic=escape(topic_typed), topics=escape(topic_names())
            )
        topic = found_topic.value
    agency = None
    if agency_typed.lower() not in ANY_WORDS:
        choices = await agency_choices(req.session, person)
        match = match_agency(agency_typed, choices)
        if match.agency_id is None:
            return texts.UNKNOWN_AGENCY.format(
                agency=escape(agency_typed), known=escape(", ".join(n for _, n in choices))
            )
        agency = match.agency_id
    result = await add_template(
        req.session,
        person,
        title=title,
        text=text,
        topic=topic,
        agency_id=agency,
        now=req.deps.clock.now(),
    )
    if result.outcome is not TemplateOutcome.DONE or result.template is None:
        return await _template_refusal(req, person, result)
    return texts.TEMPLATE_ADDED.format(id=result.template.id, title=escape(result.template.title))


async def _template_edit(req: Request, person: Person, rest: str) -> str:
    parts = [p.strip() for p in rest.split("|", 2)]
    template_id = parse_id(parts[0].lstrip("№#"))
    if len(parts) != 3 or not template_id or not parts[1] or not parts[2]:
        return texts.TEMPLATE_EDIT_USAGE
    title = None if parts[1] == "-" else parts[1]
    text = None if parts[2] == "-" else parts[2]
    result = await edit_template(
        req.session, person, template_id, now=req.deps.clock.now(), title=title, text=text
    )
    if result.outcome is TemplateOutcome.NOT_FOUND or result.template is None:
        if result.outcome is TemplateOutcome.NOT_FOUND:
            return texts.TEMPLATE_NOT_FOUND.format(id=template_id)
        return await _template_refusal(req, person, result)
    if result.outcome is not TemplateOutcome.DONE:
        return await _template_refusal(req, person, result)
    return texts.TEMPLATE_EDITED.format(id=template_id, title=escape(result.template.title))


async def _template_remove(req: Request, person: Person, rest: str) -> str:
    template_id = parse_id(rest.strip().lstrip("№#"))
    if not template_id:
        return texts.TEMPLATE_REMOVE_USAGE
    result = await remove_template(req.session, person, template_id, now=req.deps.clock.now())
    if result.outcome is TemplateOutcome.NOT_FOUND or result.template is None:
        return texts.TEMPLATE_NOT_FOUND.format(id=template_id)
    if result.outcome is not TemplateOutcome.DONE:
        return await _template_refusal(req, person, result)
    return texts.TEMPLATE_REMOVED.format(id=template_id, title=escape(result.template.title))


async def templates(req: Request) -> None:
    """``/templates``: the templates the person may use; moderators and admins also add,
    edit and remove them (``добавить``, ``изменить``, ``удалить``)."""
    if (person := await allowed(req, "templates")) is None:
        return
    verb, _, rest = req.args.partition(" ")
    verb = verb.lower()
    if verb in _ADD:
        await req.reply(await _template_add(req, person, rest))
    elif verb in _EDIT:
        await req.reply(await _template_edit(req, person, rest))
    elif verb in _REMOVE:
        await req.reply(await _template_remove(req, person, rest))
    else:
        html = await _template_list(req, person)
        if person.role in ("moderator", "admin"):
            html += texts.TEMPLATES_HELP
        await req.reply(html)


FEATURE = Feature(
    "answers",
    {"answer": answer, "publish": publish, "templates": templates},
    buttons={
        "an": press_answer,
        "at": press_template,
        "ap": press_publish,
        "af": press_publish_as_is,
        "ae": press_fix,
        "ax": press_cancel,
    },
    texts=(take_answer,),
)
