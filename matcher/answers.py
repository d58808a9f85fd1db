"""Who answers for a page, and whether a reply answers a complaint (product.md §2.5)."""

from __future__ import annotations

from dataclasses import dataclass

from config.registry import Registry, Role


@dataclass(frozen=True, slots=True)
class CommentRef:
    """The fields of a VK comment that answer detection needs."""

    owner_id: int
    post_id: int
    comment_id: int
    from_id: int
    thread_id: int | None = None  # top-level comment of the thread; None for top-level
    reply_to_comment: int | None = None
    reply_to_user: int | None = None


@dataclass(frozen=True, slots=True)
class Responders:
    """Accounts whose replies count as an answer on one page."""

    group_id: int
    official_vk_ids: frozenset[int] = frozenset()
    answering_pages: frozenset[int] = frozenset()

    def includes(self, from_id: int) -> bool:
        if from_id == -self.group_id:
            return True
        if from_id > 0:
            return from_id in self.official_vk_ids
        return -from_id in self.answering_pages


def responders_for(registry: Registry, group_id: int) -> Responders:
    """The page itself, the VK accounts of its agency's officials, and pages answering for it."""
    page = registry.page(group_id)
    if page is None:
        return Responders(group_id)
    agency = registry.agency(page.agency)
    officials = frozenset(
        p.vk_id
        for p in registry.people
        if p.vk_id is not None and p.role is Role.OFFICIAL and page.agency in p.agencies
    )
    return Responders(group_id, officials, frozenset(agency.answering_pages))


def answers(reply: CommentRef, complaint: CommentRef, responders: Responders) -> bool:
    """A responder's reply in the complaint's thread, or addressed to its comment or author."""
    if not responders.includes(reply.from_id):
        return False
    if (reply.owner_id, reply.post_id) != (complaint.owner_id, complaint.post_id):
        return False
    if reply.comment_id == complaint.comment_id:
        return False
    complaint_thread = complaint.thread_id or complaint.comment_id
    return (
        reply.reply_to_comment == complaint.comment_id
        or (
            complaint.thread_id is None
            and reply.thread_id == complaint.comment_id
            and reply.reply_to_user in (None, complaint.from_id, -responders.group_id)
        )
        or (
            reply.reply_to_user == complaint.from_id
            and reply.thread_id in (None, complaint_thread)
        )
    )
