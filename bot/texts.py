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

# --- Deadlines, digests, reports, spikes (issue 6) ---------------------------------------
SLA_NUDGE: Final = (
    "⏳ <b>Жалоба №{id}</b> · {agency}\n"
    "До срока ответа осталось {left} рабочего времени (срок: {due}).\n"
    "«{text}»\n"
    '<a href="{url}">Ответить ВКонтакте</a>'
)
SLA_NUDGE_LATE: Final = (
    "⏳ <b>Жалоба №{id}</b> · {agency}\n"
    "Срок ответа истёк {due}, ответа всё ещё нет.\n"
    "«{text}»\n"
    '<a href="{url}">Ответить ВКонтакте</a>'
)
SLA_ESCALATION: Final = (
    "🚨 <b>Просрочена жалоба №{id}</b> · {agency}\n"
    "Срок ответа истёк {due}, ответа нет. Исполнители: {officials}.\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
SLA_ESCALATION_LEAD: Final = (
    "🚨 <b>Жалоба №{id} без ответа</b> · {agency}\n"
    "Просрочка: {overdue} рабочего времени (срок был {due}). Модераторы уведомлены.\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
SLA_SOLUTION_BREACH: Final = (
    "🚨 <b>Жалоба №{id} не решена в срок</b> · {agency}\n"
    "Срок решения истёк {due}.\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
NO_OFFICIALS: Final = "не назначены"

DIGEST_TITLE: Final = "📊 <b>Сводка за {day}</b>"
DIGEST_EMPTY: Final = "Вчера жалоб не было."
DIGEST_COUNTS: Final = "Жалоб: <b>{complaints}</b>, отвечено: <b>{answered}</b>"
DIGEST_ON_TIME: Final = "В срок: <b>{share}</b> ({on_time} из {measured})"
DIGEST_TIMES: Final = "Время ответа (рабочее): медиана <b>{median}</b>, 90% — до <b>{p90}</b>"
DIGEST_TIMES_CAL: Final = "Время ответа (календарное): медиана {median}, 90% — до {p90}"
DIGEST_OTPISKI: Final = "Отписки: <b>{share}</b> ({n} из {rated})"
DIGEST_TOPICS: Final = "<b>Темы</b> (к среднему за прошлую неделю):"
DIGEST_TOPIC_LINE: Final = "• {topic}: {count} ({change}){spike}"
DIGEST_SPIKE: Final = " ⚠️ всплеск"
DIGEST_NEW_TOPIC: Final = "новая"
DIGEST_BEST: Final = "👍 Лучше всех: {agency} ({median}, в срок {share})"
DIGEST_WORST: Final = "👎 Хуже всех: {agency} ({median}, в срок {share})"
DIGEST_OVERDUE: Final = "<b>Просрочено без ответа: {n}</b>"
DIGEST_OVERDUE_LINE: Final = '• <a href="{url}">№{id}</a> {agency}: просрочка {overdue}'
DIGEST_OVERDUE_MORE: Final = "…и ещё {n}"
DIGEST_NONE: Final = "нет"
DIGEST_DASH: Final = "—"
DIGEST_CHART_CAPTION: Final = "Жалобы и время ответа по ведомствам за {day}"
CHART_COMPLAINTS: Final = "Жалобы"
CHART_ANSWERED: Final = "Отвечено"
CHART_MEDIAN: Final = "Медиана ответа, рабочие часы"
CHART_P90: Final = "90% ответов, рабочие часы"

REPORT_CAPTION: Final = "📈 Рейтинг ведомств за {week} ({start} — {end})"
REPORT_BAD_WEEK: Final = "Укажите неделю так: /report 2026-W47 (или просто /report — прошлая неделя)."
EXPORT_CAPTION: Final = "Жалобы с {start} по {end}: {n}"
EXPORT_BAD_PERIOD: Final = (
    "Укажите период датами: /export 2026-11-01 2026-11-30 (не больше 366 дней)."
)
XLSX_RANKING_SHEET: Final = "Рейтинг"
XLSX_COMPLAINTS_SHEET: Final = "Жалобы"
RANKING_HEADERS: Final = (
    "Место",
    "Ведомство",
    "Жалоб",
    "Отвечено",
    "В срок",
    "Медиана ответа, раб. ч",
    "90% ответов, раб. ч",
    "Медиана ответа, ч",
    "Отписки",
    "Качество ответа",
    "Просрочено без ответа",
)
COMPLAINT_HEADERS: Final = (
    "№",
    "Создана",
    "Ведомство",
    "Страница",
    "Тема",
    "Статус",
    "Срок ответа",
    "Ответ дан",
    "Время ответа, ч",
    "Рабочее время ответа, ч",
    "В срок",
    "Отписка",
    "Качество",
    "Ссылка",
    "Текст",
)
YES: Final = "да"
NO: Final = "нет"

SPIKE_ALERT: Final = (
    "📈 <b>Всплеск: {topic}</b> · {area}\n"
    "Сегодня {count_text} (обычно {baseline} в день).\n"
    "Примеры:\n{examples}"
)
SPIKE_EXAMPLE: Final = '• <a href="{url}">«{text}»</a>'

HELP_REPORTS: Final = (
    "/digest — сводка за вчера\n"
    "/report [2026-W47] — рейтинг ведомств за неделю (Excel)\n"
    "/export 2026-11-01 2026-11-30 — выгрузка жалоб за период (CSV)"
)
