"""Answer templates (issue 15): moderators keep them per topic and agency, officials start
from one and fill its placeholders («{адрес}», «{дата}») before the answer can be published.

Each function works in the caller's transaction and never commits; rights follow the rest of
the bot: moderators and admins manage templates of the agencies in their scope, everyone
who may answer a complaint sees the templates that fit it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.actions import MODERATING_ROLES, actor_of, audit
from storage.models import Agency, AnswerTemplate, Complaint, Person
from storage.scope import in_scope, scope_of

#: «{адрес}», «{дата}», «{что угодно}»: a placeholder is a name in braces on one line.
PLACEHOLDER_RE = re.compile(r"\{[^{}\n]{1,40}\}")
MAX_TITLE = 100
MAX_TEXT = 4000


def placeholders(text: str) -> list[str]:
    """Unfilled placeholders in ``text``, in order, each once (e.g. ``["{адрес}"]``)."""
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(text)))


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with the placeholders named in ``values`` (with or without braces) filled."""
    for name, value in values.items():
        key = name if name.startswith("{") else f"{{{name}}}"
        text = text.replace(key, value)
    return text


class TemplateOutcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"  # not a moderator or admin
    AGENCY_OUT_OF_SCOPE = "agency_out_of_scope"
    UNKNOWN_AGENCY = "unknown_agency"
    INVALID = "invalid"  # empty or too long title or text


@dataclass(frozen=True, slots=True)
class TemplateResult:
    outcome: TemplateOutcome
    template: AnswerTemplate | None = None


def _valid(title: str, text: str) -> bool:
    return 0 < len(title.strip()) <= MAX_TITLE and 0 < len(text.strip()) <= MAX_TEXT


async def _may_manage(
    session: AsyncSession, person: Person, agency_id: str | None
) -> TemplateOutcome | None:
    """Why ``person`` may not manage templates of ``agency_id`` (None: any), or None."""
    if person.role not in MODERATING_ROLES:
        return TemplateOutcome.FORBIDDEN
    scope = await scope_of(session, person)
    if agency_id is None:
        # A template for every agency is the whole installation's: only unscoped people.
        return None if scope is None else TemplateOutcome.AGENCY_OUT_OF_SCOPE
    if await session.get(Agency, agency_id) is None:
        return TemplateOutcome.UNKNOWN_AGENCY
    return None if in_scope(scope, agency_id) else TemplateOutcome.AGENCY_OUT_OF_SCOPE


async def add_template(
    session: AsyncSession,
    person: Person,
    *,
    title: str,
    text: str,
    topic: str | None,
    agency_id: str | None,
    now: datetime,
) -> TemplateResult:
    """A new template (audited)."""
    if (refused := await _may_manage(session, person, agency_id)) is not None:
        return TemplateResult(refused)
    if not _valid(title, text):
        return TemplateResult(TemplateOutcome.INVALID)
    template = AnswerTemplate(
        topic=topic,
        agency_id=agency_id,
        title=title.strip(),
        text=text.strip(),
        created_by=person.id,
        created_at=now,
        updated_at=now,
    )
    session.add(template)
    await session.flush()
    audit(
        session,
        actor=actor_of(person),
        action="template_add",
        now=now,
        after={"template": template.id, "topic": topic, "agency": agency_id, "title": title},
    )
    return TemplateResult(TemplateOutcome.DONE, template)


async def edit_template(
    session: AsyncSession,
    person: Person,
    template_id: int,
    *,
    now: datetime,
    title: str | None = None,
    text: str | None = None,
) -> TemplateResult:
    """Change a template's title and/or text (audited)."""
    template = await session.get(AnswerTemplate, template_id)
    if template is None:
        return TemplateResult(TemplateOutcome.NOT_FOUND)
    if (refused := await _may_manage(session, person, template.agency_id)) is not None:
        return TemplateResult(refused)
    new_title = template.title if title is None else title
    new_text = template.text if text is None else text
    if not _valid(new_title, new_text):
        return TemplateResult(TemplateOutcome.INVALID)
    before = {"title": template.title, "text": template.text}
    template.title, template.text, template.updated_at = new_title.strip(), new_text.strip(), now
    audit(
        session,
        actor=actor_of(person),
        action="template_edit",
        now=now,
        before={"template": template.id, **before},
        after={"template": template.id, "title": template.title, "text": template.text},
    )
    return TemplateResult(TemplateOutcome.DONE, template)


async def remove_template(
    session: AsyncSession, person: Person, template_id: int, *, now: datetime
) -> TemplateResult:
    """Delete a template (audited; drafts started from it keep their text)."""
    template = await session.get(AnswerTemplate, template_id)
    if template is None:
        return TemplateResult(TemplateOutcome.NOT_FOUND)
    if (refused := await _may_manage(session, person, template.agency_id)) is not None:
        return TemplateResult(refused)
    audit(
        session,
        actor=actor_of(person),
        action="template_remove",
        now=now,
        before={"template": template.id, "title": template.title, "text": template.text},
    )
    await session.delete(template)
    await session.flush()  # gone for the rest of the transaction too
    return TemplateResult(TemplateOutcome.DONE, template)


async def templates_for(
    session: AsyncSession, person: Person, *, complaint: Complaint | None = None
) -> list[AnswerTemplate]:
    """Templates ``person`` may use: for ``complaint`` those of its agency (or any agency)
    and its topic (or any topic); without one, every template in the person's scope."""
    scope = await scope_of(session, person)
    query = select(AnswerTemplate).order_by(AnswerTemplate.id)
    if complaint is not None:
        query = query.where(
            or_(
                AnswerTemplate.agency_id.is_(None), AnswerTemplate.agency_id == complaint.agency_id
            ),
            or_(AnswerTemplate.topic.is_(None), AnswerTemplate.topic == complaint.topic),
        )
    rows = (await session.execute(query)).scalars()
    return [t for t in rows if t.agency_id is None or in_scope(scope, t.agency_id)]
