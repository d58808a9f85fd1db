"""Every text a person reads in Telegram, in one place (Russian)."""

from __future__ import annotations

from typing import Final


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n``: 1 жалоба, 2 жалобы, 5 жалоб, 11 жалоб, 21 жалоба."""
    n_abs = abs(n)
    if n_abs % 10 == 1 and n_abs % 100 != 11:
        return one
    if 2 <= n_abs % 10 <= 4 and not 12 <= n_abs % 100 <= 14:
        return few
    return many


def complaints_n(n: int) -> str:
    return f"{n} {plural(n, 'жалоба', 'жалобы', 'жалоб')}"


START_UNKNOWN: Final = (
    "Здравствуйте! Это служебный бот «Отклик» для ответов на обращения жителей.\n"
    "Доступ выдаётся по приглашению администратора. Если вы сотрудник ведомства или ЦУР, "
    "попросите у администратора ссылку-приглашение."
)
START_KNOWN: Final = "Здравствуйте, {name}! Вы подключены к «Отклику» как {role}.\n\n{help}"
ROLE_NAMES: Final = {
    "official": "исполнитель",
    "moderator": "модератор ЦУР",
    "lead": "руководитель",
    "admin": "администратор",
}
HELP: Final = {
    "official": (
        "Я пришлю уведомление о каждой жалобе жителя на ваших страницах ВКонтакте, "
        "напомню о сроке ответа и покажу, когда ответ опубликован.\n"
        "/help — эта справка"
    ),
    "moderator": (
        "Вы видите жалобы всего региона и получаете эскалации при нарушении сроков.\n"
        "/resolve &lt;номер&gt; [комментарий] — закрыть жалобу как решённую\n"
        "/dismiss &lt;номер&gt; [причина] — отметить «не жалоба»\n"
        "/help — эта справка"
    ),
    "lead": "Каждое утро в 09:00 я пришлю сводку по жалобам и срокам ответа.\n/help — эта справка",
    "admin": "Вы управляете страницами, ведомствами и пользователями.\n/help — эта справка",
}
NOT_ALLOWED: Final = "Эта команда вам недоступна."
BAD_COMPLAINT_ID: Final = "Укажите номер жалобы числом, например: {example}"
NO_SUCH_COMPLAINT: Final = "Жалоба №{id} не найдена."
ALREADY_CLOSED: Final = "Жалоба №{id} уже закрыта (статус: {status})."
RESOLVED_OK: Final = "Жалоба №{id} закрыта как решённая."
DISMISSED_OK: Final = "Жалоба №{id} отмечена как «не жалоба»."

ALERT_TITLE: Final = "🔔 <b>Жалоба №{id}</b> · {topic}"
ALERT_PAGE: Final = "<b>Страница:</b> {page}"
ALERT_POST: Final = "<b>Пост:</b> {post}"
ALERT_AUTHOR: Final = "<b>Автор:</b> {author}"
ALERT_LINK: Final = '<a href="{url}">Открыть комментарий ВКонтакте</a>'
ALERT_DUE: Final = "⏰ Ответить до {due}"
ALERT_ANSWERED: Final = "✅ <b>Ответ дан</b> через {calendar} (рабочее время: {working})"
ALERT_ANSWER_TEXT: Final = "<b>Ответ:</b> {text}"
ALERT_OTPISKA: Final = "⚠️ Похоже на отписку: {reasons}"
ALERT_QUALITY_OK: Final = "Качество ответа: {quality}/100"
STATUS_LINE: Final = {
    "open": "",
    "in_work": "🛠 В работе",
    "answered": "",
    "resolved": "☑️ <b>Решено</b>",
    "dismissed": "🚫 <b>Не жалоба</b>",
}
AUTHOR_UNKNOWN: Final = "житель (id {id})"
