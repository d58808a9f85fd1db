"""Answering from the alert (issue 15): write, check, publish on VK as the page.

Messenger-neutral: Telegram's and MAX's handlers call these functions and phrase nothing but
buttons; every text a person reads comes back in :class:`AnswerResult` (Russian).

The flow a UI drives:

* :func:`write_answer` — the official (or a moderator) sends a text: a draft is made (or the
  open one updated), addressed to the resident by name and checked with the same rules as
  published answers (``matcher.quality.rate_answer``) plus unfilled template placeholders.
  ``READY`` means «show it and offer Опубликовать»; ``HELD`` means an отписка: the reasons
  are shown and the official chooses «Исправить» (write again) or «Опубликовать как есть».
* :func:`publish_answer` — publishes the draft (``force=True``: «как есть», audited).
* :func:`answer_now` — ``/answer <номер> <текст>``: write, and publish if the check passes.
* :func:`publish_held` — ``/publish <номер>``: publish the person's held draft as is.
* :func:`resume_publishing` — at start-up: finish publications a crash interrupted.

Durability: the draft's ``guid`` is fixed when it is made; the state ``publishing`` is
committed before the ``wall.createComment`` call and ``published`` after it.  A crash
between VK's answer and our commit leaves ``publishing``; the retry sends the same guid, and
VK answers with the comment it already made instead of publishing a second one.

The published comment is the page's (``from_id == -group_id``) reply to the resident's
comment, so answer detection (collector → ``storage.ingest``) records it like any page
answer: ``answered_at``, response times, quality, card edits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from collectors.vk_client import VkClient, VkError
from config.clock import Clock
from config.settings import VKSettings
from matcher.quality import rate_answer
from storage.actions import MODERATING_ROLES, Action, actor_of, can_see, may
from storage.answers import (
    OPEN_STATES,
    audit_answer,
    latest_draft,
    mark_failed,
    mark_published,
    mark_publishing,
    new_draft,
    published_draft,
    set_checked,
    stuck_publishing,
)
from storage.models import (
    AnswerDraft,
    AnswerState,
    AnswerTemplate,
    Comment,
    Complaint,
    ComplaintStatus,
    Page,
    Person,
)
from storage.templates import placeholders

log = logging.getLogger(__name__)

#: Characters; a longer answer is no answer a resident reads, and the preview (the text with
#: the page and the verdict) must still fit one message (Telegram 4096, MAX 4000).
MAX_ANSWER = 3000
SYSTEM = "system"


class CommentWriter(Protocol):
    """Publishes a comment on a page's wall as the page (VK ``wall.createComment``)."""

    def can_publish(self, group_id: int) -> bool:
        """Whether a community token is configured for the page."""
        ...

    async def create_comment(
        self, group_id: int, *, post_id: int, reply_to_comment: int, message: str, guid: str
    ) -> int:
        """The new (or, for a guid seen before, the existing) comment id; raises
        :class:`collectors.vk_client.VkError` when VK refuses or cannot be reached."""
        ...

    async def resident_name(self, group_id: int, user_id: int) -> str | None:
        """The resident's «Имя Фамилия» when the comment came without it (Long Poll events
        carry no names); None if it cannot be learnt."""
        ...


#: Transport and server hiccups retried once at once, with the same guid.
_RETRY_AT_ONCE = frozenset({-2, -1, 1, 6, 10})


class VkCommentWriter:
    """The real writer: one :class:`VkClient` per community token (``OTKLIK__VK__COMMUNITY_
    TOKENS``, the same keys the collector uses for Long Poll), vk_api in a thread."""

    def __init__(
        self,
        vk: VKSettings,
        clock: Clock,
        *,
        tokens: Mapping[int, SecretStr] | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self._vk = vk
        self._clock = clock
        self._tokens = dict(vk.community_tokens if tokens is None else tokens)
        self._timeout = vk.request_timeout_s if timeout_s is None else timeout_s
        self._clients: dict[int, VkClient] = {}

    def can_publish(self, group_id: int) -> bool:
        return group_id in self._tokens

    def _client(self, group_id: int) -> VkClient:
        client = self._clients.get(group_id)
        if client is None:
            client = VkClient(
                self._tokens[group_id].get_secret_value(),
                clock=self._clock,
                api_base=self._vk.api_base,
                api_version=self._vk.api_version,
                timeout=self._timeout,
                retries=0,  # retried here, with the guid, and by the person
                quotas={},
                kind="group",
                group_id=group_id,
                human_pause_s=0.0,
            )
            self._clients[group_id] = client
        # A refused token is re-tried on the person's next attempt (the admin may fix it).
        client.dead_reason = None
        client.paused_until = None
        return client

    async def create_comment(
        self, group_id: int, *, post_id: int, reply_to_comment: int, message: str, guid: str
    ) -> int:
        params = {
            "owner_id": -group_id,
            "post_id": post_id,
            "reply_to_comment": reply_to_comment,
            "from_group": group_id,
            "message": message,
            "guid": guid,
        }
        for attempt in range(2):
            try:
                result = await self._client(group_id).call("wall.createComment", params)
            except VkError as err:
                if attempt == 0 and err.code in _RETRY_AT_ONCE:
                    await self._clock.sleep(1.0)
                    continue
                raise
            return int(result["comment_id"])
        raise AssertionError("unreachable")

    async def resident_name(self, group_id: int, user_id: int) -> str | None:
        if not self.can_publish(group_id) or user_id <= 0:
            return None
        try:
            users = await self._client(group_id).call("users.get", {"user_ids": user_id})
        except VkError:
            return None  # the answer goes out without the name rather than not at all
        if not users:
            return None
        first, last = users[0].get("first_name") or "", users[0].get("last_name") or ""
        return f"{first} {last}".strip() or None

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


@dataclass(frozen=True, slots=True)
class AnswerDeps:
    """What answering needs: the database, the app clock and the VK writer."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    writer: CommentWriter


class AnswerOutcome(StrEnum):
    READY = "ready"  # checked, no отписка: show it with «Опубликовать»
    HELD = "held"  # an отписка (or unfilled placeholders): reasons, «Исправить» / «как есть»
    PUBLISHED = "published"  # on VK now
    ALREADY_PUBLISHED = "already_published"  # answered from the messenger before
    FAILED = "failed"  # VK refused or was away; the draft is kept (retry or copy by hand)
    PUBLISHING = "publishing"  # an earlier attempt is unfinished: «Опубликовать» finishes it
    NO_TOKEN = "no_token"  # the page has no community token: nothing sent, draft kept
    NOT_FOUND = "not_found"  # no such complaint (or not in the person's scope)
    FORBIDDEN = "forbidden"  # the person's role may not answer it
    GONE = "gone"  # the resident deleted the comment: there is nothing to answer under
    EMPTY = "empty"  # no text, or far too long
    NO_DRAFT = "no_draft"  # /publish without a draft to publish


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What happened, with everything a UI shows: the text as it will appear, the page it
    is published from, the check's reasons and a Russian message."""

    outcome: AnswerOutcome
    complaint_id: int
    message: str
    draft_id: int | None = None
    text: str | None = None  # the answer as it appears on VK (addressed to the resident)
    page: str | None = None  # «Администрация г. Примерска»: published as this page
    reasons: tuple[str, ...] = ()
    vk_comment_id: int | None = None
    link: str | None = None  # the published comment on VK
    retryable: bool = False  # a later attempt may succeed (show «Повторить»)
    forced: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    #: The resident's first name the answer addresses: hidden where a messenger may carry no
    #: personal data (issue 13).
    resident: str | None = None


# ---------------------------------------------------------------------- pure helpers


def first_name(author_name: str | None) -> str | None:
    """«Мария К.» → «Мария»: how an answer addresses the resident."""
    if not author_name:
        return None
    name = author_name.strip().split()[0] if author_name.strip() else ""
    return name if name and name[0].isalpha() else None


def addressed(text: str, author_name: str | None) -> str:
    """The answer addressed to the resident by name, unless it already names them."""
    text = text.strip()
    name = first_name(author_name)
    if name is None or re.search(rf"\b{re.escape(name)}\b", text[:80]):
        return text
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return f"{name}, {text}"


@dataclass(frozen=True, slots=True)
class Check:
    """The отписка check of one answer text."""

    passed: bool
    otpiska: bool  # the rate-answer rules call it an отписка (not just a template left unfilled)
    quality: int
    reasons: tuple[str, ...]


def check_answer(complaint_text: str, answer_text: str) -> Check:
    """``rate-answer``'s rules, plus: every template placeholder must be filled."""
    rating = rate_answer(complaint_text, answer_text)
    unfilled = placeholders(answer_text)
    reasons = list(rating.reasons) if rating.otpiska else []
    if unfilled:
        reasons.insert(0, "не заполнено: " + ", ".join(f"«{p}»" for p in unfilled))
    passed = not rating.otpiska and not unfilled
    return Check(passed, rating.otpiska, rating.quality, tuple(reasons))


def comment_link(group_id: int, post_id: int, comment_id: int, thread: int | None) -> str:
    """The VK address of a comment (in its thread)."""
    base = f"https://vk.com/wall-{group_id}_{post_id}?reply={comment_id}"
    return base if thread is None else f"{base}&thread={thread}"


_NO_TOKEN = (
    "У страницы «{page}» нет ключа доступа сообщества в Otklik, поэтому опубликовать ответ "
    "отсюда нельзя. Текст сохранён: скопируйте его и опубликуйте во ВКонтакте от имени "
    "страницы сами или попросите администратора добавить ключ сообщества."
)
_KEPT = " Черновик сохранён: повторите позже или скопируйте текст и опубликуйте вручную."


def describe_vk_failure(code: int, page: str) -> tuple[str, bool]:
    """A VK failure in Russian for the official, and whether retrying later may help."""
    if code in (5, 27, 28):
        text = (
            f"ВКонтакте не принял ключ сообщества страницы «{page}» (ключ отозван, неверен "
            "или это не ключ сообщества). Сообщите администратору."
        )
        return text + _KEPT, False
    if code in (7, 15):
        text = (
            f"Ключ сообщества страницы «{page}» не даёт писать от её имени: нужен ключ этого "
            "сообщества с правом «Управление сообществом». Сообщите администратору."
        )
        return text + _KEPT, False
    if code in (212, 213):
        return "Комментарии под этой записью закрыты: ответить под ней нельзя." + _KEPT, False
    if code in (210, 104):
        return "Запись удалена или скрыта: ответить под ней нельзя." + _KEPT, False
    if code in (211, 100):
        text = "Комментарий жителя удалён или недоступен: ответить на него нельзя."
        return text + _KEPT, False
    if code == 222:
        return "ВКонтакте не пропускает ссылки в этом ответе: уберите ссылку." + _KEPT, False
    if code in (6, 9, 29, 223):
        text = "ВКонтакте просит писать реже: попробуйте через минуту-другую."
        return text + _KEPT, True
    if code in (14, 17):
        text = "ВКонтакте просит подтверждение (капчу) для ключа сообщества."
        return text + _KEPT, True
    text = "ВКонтакте сейчас не отвечает или ответил ошибкой."
    return text + _KEPT, True


# ---------------------------------------------------------------------- the flow


@dataclass(slots=True)
class _Context:
    complaint: Complaint
    comment: Comment
    page: str
    group_id: int
    resident: str | None = None  # the first name the answer addresses


async def _context(
    session: AsyncSession, complaint_id: int, person: Person | None
) -> _Context | AnswerResult:
    """The complaint and what answering it needs, or the refusal (scope, role, deleted)."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or (person is not None and not await can_see(session, person, complaint)):
        # Another agency's complaint is reported as missing, as every action does.
        return AnswerResult(
            AnswerOutcome.NOT_FOUND, complaint_id, f"Жалоба №{complaint_id} не найдена."
        )
    if person is not None and not may(person, Action.ANSWERED, complaint):
        return AnswerResult(
            AnswerOutcome.FORBIDDEN,
            complaint_id,
            "Отвечать на жалобы могут исполнители её ведомства, модераторы и администраторы.",
        )
    comment = await session.get(Comment, complaint.comment_pk)
    if comment is None or comment.deleted or complaint.status == ComplaintStatus.DELETED:
        return AnswerResult(
            AnswerOutcome.GONE,
            complaint_id,
            f"Житель удалил комментарий жалобы №{complaint_id}: отвечать не на что.",
        )
    group_id = -complaint.owner_id
    page = await session.get(Page, group_id)
    return _Context(complaint, comment, page.name if page else f"club{group_id}", group_id)


async def answer_refusal(
    session: AsyncSession, complaint_id: int, person: Person
) -> AnswerResult | None:
    """Why ``person`` cannot answer the complaint (missing, out of scope, role, deleted), or
    None: what the «Ответить» button checks before it asks for the text."""
    ctx = await _context(session, complaint_id, person)
    if isinstance(ctx, AnswerResult):
        return ctx
    return await _already_published(session, ctx)


async def _already_published(session: AsyncSession, ctx: _Context) -> AnswerResult | None:
    """The complaint already has an answer published from Otklik: nothing more to write."""
    done = await published_draft(session, ctx.complaint.id)
    if done is None:
        return None
    return _result(
        AnswerOutcome.ALREADY_PUBLISHED,
        ctx,
        done,
        f"На жалобу №{ctx.complaint.id} уже ответили из Otklik.",
    )


async def answer_page(session: AsyncSession, complaint_id: int) -> str | None:
    """The name of the page an answer to the complaint is published from."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        return None
    page = await session.get(Page, -complaint.owner_id)
    return page.name if page else f"club{-complaint.owner_id}"


def _result(
    outcome: AnswerOutcome,
    ctx: _Context,
    draft: AnswerDraft,
    message: str,
    *,
    retryable: bool = False,
) -> AnswerResult:
    link = None
    if draft.vk_comment_id is not None:
        thread = ctx.comment.thread_id or ctx.comment.comment_id
        link = comment_link(ctx.group_id, ctx.complaint.post_id, draft.vk_comment_id, thread)
    return AnswerResult(
        outcome,
        ctx.complaint.id,
        message,
        draft_id=draft.id,
        text=draft.text,
        page=ctx.page,
        reasons=tuple(draft.check_reasons or ()),
        vk_comment_id=draft.vk_comment_id,
        link=link,
        forced=draft.forced,
        retryable=retryable,
        resident=ctx.resident or first_name(ctx.comment.author_name),
    )


async def write_answer(
    deps: AnswerDeps,
    complaint_id: int,
    person: Person,
    text: str,
    *,
    template_id: int | None = None,
) -> AnswerResult:
    """The person's answer text for the complaint: stored as their draft (a new one, or the
    open one rewritten: «Исправить»), addressed to the resident and checked.

    ``READY``: show ``text`` (as it will appear) and ``page`` with «Опубликовать».
    ``HELD``: show ``reasons`` with «Исправить» and «Опубликовать как есть»."""
    now = deps.clock.now()
    async with deps.sessions() as session:
        ctx = await _context(session, complaint_id, person)
        if isinstance(ctx, AnswerResult):
            return ctx
    # A Long Poll comment comes without its author's name: ask VK (outside the transaction).
    name = ctx.comment.author_name
    if name is None:
        name = await deps.writer.resident_name(ctx.group_id, ctx.comment.from_id)
    async with deps.sessions() as session, session.begin():
        ctx = await _context(session, complaint_id, person)
        if isinstance(ctx, AnswerResult):
            return ctx
        if (done := await _already_published(session, ctx)) is not None:
            return done
        body = text.strip()
        if not body or len(body) > MAX_ANSWER:
            return AnswerResult(
                AnswerOutcome.EMPTY,
                complaint_id,
                f"Напишите текст ответа (до {MAX_ANSWER} знаков).",
            )
        ctx.resident = first_name(ctx.comment.author_name or name)
        final = addressed(body, ctx.comment.author_name or name)
        draft = await latest_draft(session, complaint_id, person.id)
        if draft is not None and draft.state == AnswerState.PUBLISHING:
            # The earlier text may already be on VK: it is finished first, never replaced.
            return _result(
                AnswerOutcome.PUBLISHING,
                ctx,
                draft,
                "Предыдущий вариант ответа ещё публикуется: нажмите «Опубликовать», чтобы "
                "завершить; второй раз он не появится.",
                retryable=True,
            )
        if draft is None or draft.state not in OPEN_STATES:
            draft = new_draft(
                session, ctx.complaint, person.id, final, now, template_id=template_id
            )
        else:
            draft.text = final
            draft.forced = False
            if template_id is not None:
                draft.template_id = template_id
        check = check_answer(ctx.comment.text, final)
        set_checked(
            draft,
            otpiska=not check.passed,
            quality=check.quality,
            reasons=list(check.reasons),
            now=now,
        )
        await session.flush()
        if check.passed:
            return _result(
                AnswerOutcome.READY,
                ctx,
                draft,
                f"Ответ будет опубликован от имени страницы «{ctx.page}».",
            )
        log.info("answer draft %s to complaint %s held by the check", draft.id, complaint_id)
        lead = (
            "Похоже на отписку, ответ не опубликован: "
            if check.otpiska
            else ("Ответ не опубликован: ")
        )
        then = (
            " Заполните поля в фигурных скобках и пришлите текст заново."
            if placeholders(final)
            else " Исправьте текст или опубликуйте как есть."
        )
        return _result(
            AnswerOutcome.HELD, ctx, draft, lead + "; ".join(check.reasons) + "." + then
        )


async def publish_answer(
    deps: AnswerDeps, draft_id: int, person: Person | None, *, force: bool = False
) -> AnswerResult:
    """Publish the draft on VK as the page (``person=None``: the system, resuming).

    A held draft is published only with ``force`` («Опубликовать как есть»), which is audited
    and counted.  Failures keep the draft (``FAILED`` or ``NO_TOKEN``) with a Russian message;
    a retry is the same call and never publishes twice."""
    now = deps.clock.now()
    actor = actor_of(person) if person is not None else SYSTEM
    async with deps.sessions() as session, session.begin():
        draft = await session.get(AnswerDraft, draft_id)
        if draft is None or (
            person is not None
            and draft.author_id != person.id
            and person.role not in MODERATING_ROLES
        ):
            return AnswerResult(AnswerOutcome.NO_DRAFT, 0, "Черновик ответа не найден.")
        ctx = await _context(session, draft.complaint_id, person)
        if isinstance(ctx, AnswerResult):
            if ctx.outcome is AnswerOutcome.GONE and draft.state == AnswerState.PUBLISHING:
                mark_failed(draft, 0, ctx.message, now)  # not retried at every start
            return ctx
        if draft.state == AnswerState.PUBLISHED:
            return _result(
                AnswerOutcome.ALREADY_PUBLISHED, ctx, draft, "Этот ответ уже опубликован."
            )
        other = await published_draft(session, draft.complaint_id)
        if other is not None:
            return _result(
                AnswerOutcome.ALREADY_PUBLISHED,
                ctx,
                other,
                f"На жалобу №{draft.complaint_id} уже ответили из Otklik.",
            )
        if draft.state == AnswerState.HELD and not force:
            return _result(
                AnswerOutcome.HELD,
                ctx,
                draft,
                "Ответ похож на отписку: исправьте его или опубликуйте как есть.",
            )
        if unfilled := placeholders(draft.text):
            # «Как есть» never publishes «{адрес}» to residents: a template must be filled.
            return _result(
                AnswerOutcome.HELD,
                ctx,
                draft,
                "Сначала заполните в тексте "
                + ", ".join(f"«{p}»" for p in unfilled)
                + ": пришлите исправленный ответ.",
            )
        if not deps.writer.can_publish(ctx.group_id):
            draft.last_error = _NO_TOKEN.format(page=ctx.page)
            draft.updated_at = now
            return _result(AnswerOutcome.NO_TOKEN, ctx, draft, draft.last_error)
        forcing = draft.state == AnswerState.HELD  # with ``force``: «как есть»
        if forcing and not draft.forced:
            audit_answer(
                session,
                actor=actor,
                action="answer_forced",
                draft=draft,
                now=now,
                before={"reasons": list(draft.check_reasons or [])},
                after={"forced": True},
            )
        mark_publishing(draft, now, forced=forcing)
        guid, text = draft.guid, draft.text
        post_id, reply_to = ctx.complaint.post_id, ctx.complaint.comment_id
    # Committed: a crash from here on leaves ``publishing`` with its guid, retried safely.
    log.info("answer draft %s: publishing to wall -%s (guid fixed)", draft_id, ctx.group_id)
    try:
        comment_id = await deps.writer.create_comment(
            ctx.group_id, post_id=post_id, reply_to_comment=reply_to, message=text, guid=guid
        )
    except VkError as err:
        message, retryable = describe_vk_failure(err.code, ctx.page)
        log.info("answer draft %s: VK refused (%s)", draft_id, err.code)
        async with deps.sessions() as session, session.begin():
            draft = await session.get(AnswerDraft, draft_id)
            assert draft is not None
            if draft.state != AnswerState.PUBLISHED:  # a parallel retry may have finished
                mark_failed(draft, err.code, message, deps.clock.now())
            return _result(AnswerOutcome.FAILED, ctx, draft, message, retryable=retryable)
    async with deps.sessions() as session, session.begin():
        draft = await session.get(AnswerDraft, draft_id)
        assert draft is not None
        if draft.state != AnswerState.PUBLISHED:
            mark_published(draft, comment_id, deps.clock.now())
            audit_answer(
                session,
                actor=actor,
                action="answer_published",
                draft=draft,
                now=deps.clock.now(),
                after={
                    "vk_comment_id": comment_id,
                    "forced": draft.forced,
                    "attempts": draft.attempts,
                },
            )
        log.info("answer draft %s published as comment %s", draft_id, comment_id)
        return _result(
            AnswerOutcome.PUBLISHED,
            ctx,
            draft,
            f"Ответ опубликован от имени страницы «{ctx.page}».",
        )


async def answer_now(
    deps: AnswerDeps, complaint_id: int, person: Person, text: str
) -> AnswerResult:
    """``/answer <номер> <текст>``: the command is the confirmation when the check passes;
    an отписка is held as with the button (``/publish <номер>`` publishes it as is)."""
    written = await write_answer(deps, complaint_id, person, text)
    if written.outcome is not AnswerOutcome.READY or written.draft_id is None:
        return written
    return await publish_answer(deps, written.draft_id, person)


async def publish_held(deps: AnswerDeps, complaint_id: int, person: Person) -> AnswerResult:
    """``/publish <номер>``: the person's latest unpublished draft of the complaint, as is
    (a held one is forced and audited; a failed one is retried)."""
    async with deps.sessions() as session:
        ctx = await _context(session, complaint_id, person)
        if isinstance(ctx, AnswerResult):
            return ctx
        draft = await latest_draft(session, complaint_id, person.id)
        draft_id = draft.id if draft is not None else None
    if draft_id is None:
        return AnswerResult(
            AnswerOutcome.NO_DRAFT,
            complaint_id,
            f"У вас нет черновика ответа на жалобу №{complaint_id}: сначала напишите ответ.",
        )
    return await publish_answer(deps, draft_id, person, force=True)


async def resume_publishing(deps: AnswerDeps) -> list[AnswerResult]:
    """Finish the publications a crash interrupted (state ``publishing``): each is sent again
    with its guid, so VK returns the comment it made, if it made one, instead of a second."""
    async with deps.sessions() as session:
        ids = [d.id for d in await stuck_publishing(session)]
    results = []
    for draft_id in ids:
        log.info("answer draft %s: resuming an interrupted publication", draft_id)
        results.append(await publish_answer(deps, draft_id, None, force=True))
    return results


async def start_from_template(
    deps: AnswerDeps, complaint_id: int, person: Person, template_id: int
) -> AnswerResult:
    """Start the answer from a template: the draft holds the template's text, and the check
    holds it until every placeholder («{адрес}», «{дата}») is filled."""
    async with deps.sessions() as session:
        template = await session.get(AnswerTemplate, template_id)
        text = template.text if template is not None else None
    if text is None:
        return AnswerResult(AnswerOutcome.NOT_FOUND, complaint_id, "Шаблон не найден.")
    return await write_answer(deps, complaint_id, person, text, template_id=template_id)
