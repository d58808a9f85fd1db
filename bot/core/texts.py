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


def new_complaints_n(n: int) -> str:
    return f"{n} {plural(n, 'новая жалоба', 'новые жалобы', 'новых жалоб')}"


def changed_complaints_n(n: int) -> str:
    """«по 1 жалобе», «по 5 жалобам» (a summary of changes)."""
    return f"по {n} {plural(n, 'жалобе', 'жалобам', 'жалобам')}"


def pages_n(n: int) -> str:
    return f"{n} {plural(n, 'страница', 'страницы', 'страниц')}"


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
        "Я пришлю уведомление о каждой жалобе жителя на страницах ваших ведомств, "
        "напомню о сроке ответа и покажу, когда ответ опубликован."
    ),
    "moderator": (
        "Вы видите жалобы всего региона и получаете эскалации при нарушении сроков; "
        "можете закрывать, передавать и переоткрывать жалобы."
    ),
    "lead": "Каждое утро в 09:00 я пришлю сводку по жалобам и срокам ответа.",
    "admin": "Вы управляете страницами, ведомствами и пользователями.",
}
#: Menu and /help descriptions of every command (issue 6 adds digest/report here).
COMMAND_DESCRIPTIONS: Final = {
    "start": "начало работы",
    "help": "справка",
    "my": "мои открытые жалобы",
    "open": "открытые жалобы [тема|страница]",
    "overdue": "просроченные жалобы",
    "complaint": "карточка жалобы по номеру",
    "resolve": "закрыть как решённую: номер [комментарий]",
    "dismiss": "отметить «не жалоба»: номер [причина]",
    "assign": "передать другому ведомству: номер",
    "reopen": "переоткрыть жалобу: номер",
    "wait": "ждём ответа жителя, срок стоит: номер [что спросили]",
    "resume": "срок ответа снова идёт: номер",
    "stats": "статистика: [дней], например /stats 30",
    "pages": "отслеживаемые страницы",
    "addpage": "добавить страницу: ссылка ведомство",
    "invite": "приглашение: роль [ведомство]",
    "users": "пользователи",
    "mute": "не беспокоить N часов (0 — снять)",
    "status": "состояние сборщика",
    "digest": "сводка за вчера",
    "report": "рейтинг ведомств за неделю (Excel): [номер недели]",
    "export": "выгрузка жалоб (CSV): с по, например 01.11.2026 30.11.2026",
    "answer": "ответить жителю во ВКонтакте: номер текст",
    "publish": "опубликовать задержанный ответ как есть: номер",
    "templates": "шаблоны ответов",
}
HELP_LINE: Final = "/{command} — {description}"
NOT_ALLOWED: Final = "Эта команда вам недоступна."
#: Issue 14: a refusal says what was refused, why, and who can do it.
NOT_ALLOWED_WHO: Final = (
    "Команда /{command} ({what}) вам недоступна: её выполняют {roles}. Ваши команды — /help."
)
NOT_ALLOWED_NOBODY: Final = "Команды /{command} нет. Ваши команды — /help."
#: Nominative plural, for «её выполняют …».
ROLE_NAMES_PLURAL: Final = {
    "official": "исполнители",
    "moderator": "модераторы ЦУР",
    "lead": "руководители",
    "admin": "администраторы",
}
#: What each action on a complaint is, for «… могут …» refusals of buttons and commands.
ACTION_NAMES: Final = {
    "take": "брать жалобу в работу",
    "answered": "отмечать «Ответ дан»",
    "resolve": "закрывать жалобу как решённую",
    "dismiss": "отмечать «Не жалоба»",
    "reassign": "передавать жалобу другому ведомству",
    "reopen": "переоткрывать жалобу",
    "wait": "останавливать срок («Ждём ответа жителя»)",
    "resume": "возобновлять срок",
}
FORBIDDEN_WHO: Final = "Жалоба №{id}: {action} могут {roles}."
FORBIDDEN_OFFICIALS: Final = "исполнители ведомства жалобы"
OUT_OF_SCOPE_AGENCIES: Final = (
    "Жалоба №{id} есть, но она не из ваших ведомств ({agencies}): "
    "её ведут исполнители другого ведомства и модераторы ЦУР."
)
DB_BUSY: Final = (
    "⏳ Сервис сейчас перегружен, действие не выполнено и ничего не изменилось. "
    "Повторите, пожалуйста, через минуту."
)
BAD_COMPLAINT_ID: Final = "Укажите номер жалобы числом, например: {example}"
NO_SUCH_COMPLAINT: Final = "Жалоба №{id} не найдена."
NO_SUCH_COMPLAINT_IN_REGION: Final = "Жалоба №{id} есть, но она не из вашего региона ({region})."
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
#: Issue 14: the answer to a reopened complaint (its own clock, from the reopening).
ALERT_ANSWERED_AFTER_REOPEN: Final = (
    "✅ <b>Ответ после переоткрытия дан</b> через {calendar} (рабочее время: {working})"
)
# ---- issue 12: urgent complaints (gas, flooding, a threat to life): a short clock, 24/7 ----
ALERT_URGENT: Final = "🔴 <b>Срочно</b> (срок идёт круглосуточно): {reasons}"
LIST_URGENT: Final = "🔴 Срочно ({reasons})"
URGENT_NO_REASON: Final = "угроза жизни или здоровью"
#: The first line of a moderator's notice about an urgent complaint.
URGENT_HEAD: Final = "🔴 <b>Срочно</b>: {reasons}. Ответить до {due}, срок идёт круглосуточно."
URGENT_COMPLAINT: Final = (
    "{head}\n"
    "🚨 <b>Жалоба №{id}</b> · {agency}\n"
    "Исполнители ведомства уведомлены; вы получаете её сразу, потому что она срочная.\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
SLA_URGENT_NUDGE: Final = (
    "⏳🔴 <b>Срочная жалоба №{id}</b> · {agency}\n"
    "До срока ответа осталось {left} (срок: {due}, круглосуточно).\n"
    "«{text}»\n"
    '<a href="{url}">Ответить ВКонтакте</a>'
)
SLA_URGENT_ESCALATION_LEAD: Final = (
    "🚨🔴 <b>Срочная жалоба №{id} без ответа</b> · {agency}\n"
    "Просрочка: {overdue} (срок был {due}, круглосуточно). Модераторы уведомлены.\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
STATUS_LINE: Final = {
    "open": "",
    "in_work": "🛠 В работе",
    "answered": "",
    "resolved": "☑️ <b>Решено</b>",
    "dismissed": "🚫 <b>Не жалоба</b>",
    "deleted": "🗑 <b>Комментарий удалён</b> — жалоба закрыта, срок не идёт",
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
    "Просрочка: {overdue} рабочего времени (срок был {due}), без ответа {waited}. "
    "Модераторы уведомлены.\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
SLA_SOLUTION_BREACH: Final = (
    "🚨 <b>Жалоба №{id} не решена в срок</b> · {agency}\n"
    "Срок решения истёк {due}.\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
NO_OFFICIALS: Final = "не назначены"
#: Issue 11: a complaint no official will hear of goes to the moderators at once, saying why.
ORPHAN_COMPLAINT: Final = (
    "📭 <b>Жалоба №{id}</b> · {agency}\n"
    "Исполнителю она не придёт: {reason}. Передайте её другому ведомству или пригласите "
    "исполнителя (/invite).\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
ORPHAN_NO_OFFICIAL: Final = "у ведомства «{agency}» нет исполнителя в боте"
ORPHAN_BLOCKED: Final = "исполнитель ведомства «{agency}» заблокировал бота или ещё не открыл его"
ORPHAN_BLOCKED_MANY: Final = (
    "исполнители ведомства «{agency}» заблокировали бота или ещё не открыли его"
)
ORPHAN_MUTED: Final = "исполнитель ведомства «{agency}» отключил уведомления до {until}"
ORPHAN_MUTED_MANY: Final = (
    "исполнители ведомства «{agency}» отключили уведомления (до {until} самое раннее)"
)
#: Without the agency (``/status`` and ``otklik check`` name it on the line).
ORPHAN_SHORT: Final = {
    "no_official": "нет исполнителя в боте",
    "blocked": "исполнители заблокировали бота или ещё не открыли его",
    "muted": "исполнители отключили уведомления",
}

DIGEST_TITLE: Final = "📊 <b>Сводка за {day}</b> · {region}"
DIGEST_EMPTY: Final = "Вчера жалоб не было."
DIGEST_COUNTS: Final = "Жалоб: <b>{complaints}</b>, с первым ответом: <b>{answered}</b>"
DIGEST_DELETED: Final = ", закрыто (комментарий удалён автором): <b>{n}</b>"
DIGEST_ON_TIME: Final = "Первый ответ в срок: <b>{share}</b> ({on_time} из {measured})"
DIGEST_TIMES: Final = "Первый ответ, рабочее время: медиана <b>{median}</b>, 90% — до <b>{p90}</b>"
DIGEST_TIMES_CAL: Final = "Первый ответ, календарное время: медиана {median}, 90% — до {p90}"
DIGEST_OTPISKI: Final = "Отписки среди первых ответов: <b>{share}</b> ({n} из {rated})"
DIGEST_REOPENED: Final = (
    "Переоткрыто: {n}; ответ после переоткрытия — медиана {median} рабочего времени"
)
DIGEST_TOPICS: Final = "<b>Темы</b> (к среднему за прошлую неделю):"
DIGEST_TOPIC_LINE: Final = "• {topic}: {count} ({change}){spike}"
DIGEST_SPIKE: Final = " ⚠️ всплеск"
DIGEST_NEW_TOPIC: Final = "новая"
DIGEST_BEST: Final = "👍 Лучше всех: {agency} — в срок и по существу {good}, медиана {median}"
DIGEST_WORST: Final = "👎 Хуже всех: {agency} — в срок и по существу {good}, медиана {median}"
DIGEST_OVERDUE: Final = "<b>Просрочено без ответа: {n}</b>"
DIGEST_OVERDUE_LINE: Final = (
    '• <a href="{url}">№{id}</a> {agency}: просрочка {late}, без ответа {waited}'
)
DIGEST_OVERDUE_MORE: Final = "…и ещё {n}"
DIGEST_NONE: Final = "нет"
DIGEST_DASH: Final = "—"
DIGEST_ALL_AGENCIES: Final = "все ведомства"
DIGEST_CHART_CAPTION: Final = "График: жалобы по ведомствам за {day} и за неделю"
DIGEST_CHART_TITLE: Final = "Жалобы за {day} · {region}"
CHART_DAY_PANEL: Final = (
    "Жалобы за день по ведомствам, сверху — хуже всех; время первого ответа рабочее, ч:мм"
)
CHART_BACKLOG_PANEL: Final = "Новых жалоб не было. Открытые жалобы сейчас по ведомствам"
CHART_TREND_PANEL: Final = "Последние 7 дней: жалобы и доля первых ответов в срок"
CHART_NOTHING: Final = "Жалоб нет, открытых тоже"
CHART_NOTHING_WEEK: Final = "За неделю жалоб не было"
CHART_ON_TIME: Final = "ответ в срок"
CHART_LATE: Final = "ответ с опозданием"
CHART_WAITING: Final = "без ответа, срок не истёк"
CHART_OVERDUE: Final = "просрочено без ответа"
CHART_COMPLAINTS_AXIS: Final = "жалоб"
CHART_BAR_NOTE: Final = "в срок {share} · {median}{target}"
CHART_MEDIAN_NOTE: Final = "медиана {median}"
CHART_TARGET_NOTE: Final = " (норма {target})"
CHART_NO_ANSWERS: Final = "ответов нет"
CHART_RANK_NOTE: Final = "{good} · отписки {otpiski} · медиана {median} · жалоб {n}"
CHART_RANK_UNRANKED: Final = " · мало жалоб для места"
CHART_RANK_AXIS: Final = "доля жалоб с первым ответом в срок и по существу (не отписка)"
REPORT_CHART_TITLE: Final = "Рейтинг ведомств за неделю {week} ({start} — {end}) · {region}"
REPORT_CHART_CAPTION: Final = "График рейтинга за неделю {week}"
WEEKDAYS_SHORT: Final = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")

REPORT_CAPTION: Final = "📈 Рейтинг ведомств за неделю {week} ({start} — {end})"
REPORT_BAD_WEEK: Final = (
    "Не понял неделю «{arg}». Укажите номер недели или любой её день: /report 47, "
    "/report 16.11.2026; просто /report — прошлая неделя."
)
EXPORT_CAPTION: Final = "Жалобы с {start} по {end}: {n}"
EXPORT_BAD_PERIOD: Final = (
    "Не понял период «{arg}». Укажите две даты: /export 01.11.2026 30.11.2026 "
    "(можно 2026-11-01; не больше 366 дней, первая не позже второй)."
)
XLSX_RANKING_SHEET: Final = "Рейтинг"
XLSX_COMPLAINTS_SHEET: Final = "Жалобы"
XLSX_RULE_SHEET: Final = "Как считается рейтинг"
XLSX_TITLE: Final = "Рейтинг ведомств за неделю {week} · {region}"
XLSX_RULE_HINT: Final = (
    "Место — по доле жалоб с первым ответом в срок и по существу; ведомства меньше чем с {n} "
    "жалобами не ранжируются. Подробно — на листе «Как считается рейтинг»."
)
XLSX_EMPTY_WEEK: Final = "За эту неделю жалоб не было."
XLSX_UNRANKED: Final = "без места: меньше {n} жалоб за неделю"
REPORT_FILENAME: Final = "otklik-reyting-{year}-nedelya-{week:02d}.xlsx"
RANKING_HEADERS: Final = (
    "Место",
    "Ведомство",
    "Жалоб",
    "С первым ответом",
    "Первый ответ в срок",
    "В срок и по существу",
    "Отписки среди первых ответов",
    "Первый ответ, медиана (раб. время, ч:мм)",
    "Первый ответ, 90% до (раб. время, ч:мм)",
    "Первый ответ, медиана (календарно, ч:мм)",
    "Переоткрыто",
    "Ответ после переоткрытия, медиана (раб. время, ч:мм)",
    "Просрочено без ответа сейчас",
    "Закрыто: комментарий удалён",
    "Качество ответа, 0–100",
    "Примечание",
)
COMPLAINT_HEADERS: Final = (
    "№",
    "Создана ({zone})",
    "Ведомство",
    "Страница",
    "Тема",
    "Статус",
    "Срок первого ответа ({zone})",
    "Первый ответ ({zone})",
    "Первый ответ через (календарно, ч:мм)",
    "Первый ответ через (раб. время, ч:мм)",
    "Первый ответ в срок",
    "Отписка",
    "Качество ответа",
    "Переоткрыта, раз",
    "Ответ после переоткрытия через (раб. время, ч:мм)",
    "Просрочено сейчас (раб. время, ч:мм)",
    "Без ответа сейчас (календарно, ч:мм)",
    "Ссылка",
    "Текст",
)
XLSX_RULE_LINES: Final = (
    "Как считается рейтинг",
    "",
    "1. Учитываются жалобы, поступившие за неделю (понедельник 00:00 — воскресенье 24:00 по "
    "времени получателя). «Не жалоба» не учитывается; комментарий, удалённый автором, "
    "считается отдельно и не влияет на места.",
    "2. Считается первый ответ на жалобу. Если жалобу потом переоткрыли, первый ответ и его "
    "оценка остаются; ответ после переоткрытия показан отдельно и на место не влияет.",
    "3. Срок ответа — в рабочем времени ведомства (его часовой пояс, рабочие часы, "
    "праздники и переносы по производственному календарю); время ожидания ответа жителя "
    "не считается. Срочные жалобы — круглосуточно.",
    "4. Место получает ведомство, у которого за неделю не меньше {n} жалоб и хотя бы у одной "
    "известен итог (есть ответ или срок уже истёк). Остальные показаны ниже без места.",
    "5. Порядок мест: сначала больше доля жалоб, на которые первый ответ дан в срок и по "
    "существу (не отписка); при равенстве — меньше доля отписок среди первых ответов; затем "
    "меньше медиана времени первого ответа (в рабочем времени); затем по названию.",
    "6. «Просрочено без ответа сейчас» — жалобы, ждущие ответа после срока на момент отчёта "
    "(кроме тех, где ждут ответа жителя). Просрочка — в рабочем времени.",
    "7. Время в таблицах — «часы:минуты»; даты — местное время: {zone}.",
)
YES: Final = "да"
NO: Final = "нет"

SPIKE_ALERT: Final = (
    "📈 <b>Всплеск: {topic}</b> · {area}\n"
    "Сегодня {count_text} (обычно {baseline} в день).\n"
    "Примеры:\n{examples}"
)
SPIKE_EXAMPLE: Final = '• <a href="{url}">«{text}»</a>'

# ---- issue 5: statuses, buttons, actions, lists, admin commands, delivery -----------------

STATUS_NAMES: Final = {
    "open": "открыта",
    "in_work": "в работе",
    "answered": "ответ дан",
    "resolved": "решена",
    "dismissed": "не жалоба",
    "deleted": "закрыта: комментарий удалён",
}
ALERT_DUE_LEFT: Final = "⏰ Ответить до {due} (осталось {left})"
ALERT_DUE_OVERDUE: Final = "🔥 <b>Срок истёк</b> {due} (просрочено на {late})"
#: Issue 14: how late in working time, and how long without an answer in calendar time.
ALERT_DUE_OVERDUE_WAITED: Final = (
    "🔥 <b>Срок истёк</b> {due}: просрочено на {late}, без ответа {waited}"
)
ALERT_REPEAT: Final = "🔁 Повтор жалобы №{id}"
ALERT_REOPENED: Final = "↩️ Переоткрыта ({times})"
ALERT_TAKEN: Final = "🛠 В работе: {name}"
ALERT_ANSWERED_BY_HAND: Final = "✅ <b>Ответ дан</b> (отмечено вручную: {name}) через {calendar}"
ALERT_AGENCY: Final = "<b>Ведомство:</b> {agency}"

BTN_TAKE: Final = "В работу"
BTN_ANSWERED: Final = "Ответ дан"
BTN_RESOLVE: Final = "Решено"
BTN_DISMISS: Final = "Не жалоба"
BTN_REASSIGN: Final = "Передать"
BTN_REOPEN: Final = "Переоткрыть"
BTN_WAIT: Final = "Ждём ответа жителя"
BTN_RESUME: Final = "Возобновить срок"
BTN_BACK: Final = "← Назад"
BTN_PREV: Final = "◀"
BTN_NEXT: Final = "▶"
BTN_OPEN: Final = "№{id}"

CB_TAKEN: Final = "Жалоба №{id} взята в работу."
CB_ANSWERED: Final = "Отмечено: ответ по жалобе №{id} дан."
CB_REASSIGNED: Final = "Жалоба №{id} передана: {agency}."
CB_REOPENED: Final = "Жалоба №{id} переоткрыта, срок ответа заново."
CB_FORBIDDEN: Final = "У вас нет прав на это действие с жалобой №{id}."
CB_STALE: Final = "Кнопка устарела. Откройте жалобу заново: /complaint {id}"
CB_UNKNOWN: Final = "Кнопка устарела или повреждена."
CB_UNCHANGED: Final = "Ничего не изменилось: жалоба №{id} уже {status}."
CB_PICK_AGENCY: Final = "Выберите ведомство для жалобы №{id}"
NOT_CLOSED: Final = (
    "Жалоба №{id} не закрыта и без ответа (статус: {status}) — переоткрывать нечего."
)
UNKNOWN_AGENCY: Final = (
    "Ведомство «{agency}» не найдено. Укажите название (можно часть) или код; есть: {known}"
)
AMBIGUOUS_AGENCY: Final = (
    "Под «{agency}» подходят несколько ведомств: {matches}. Уточните название."
)
AGENCY_OUT_OF_SCOPE: Final = "Ведомство «{agency}» не из вашего региона. Можно: {known}"
ASSIGNED_OK: Final = "Жалоба №{id} передана: {agency}."
REOPENED_OK: Final = "Жалоба №{id} переоткрыта, срок ответа — до {due}."

LIST_TITLE: Final = {
    "my": "<b>Мои открытые жалобы</b>",
    "open": "<b>Открытые жалобы</b>",
    "overdue": "<b>Просроченные жалобы</b>",
    "batch": "<b>Новые жалобы</b>",
}
LIST_TOTAL: Final = "{title}: {count}"
LIST_PAGE: Final = "Страница {page} из {pages}"
#: The responsible agency (after routing or «Передать»), and the page where it was written.
LIST_ITEM: Final = "№{id} · {topic} · {agency} · {due}\n«{text}» (страница: {page})"
LIST_EMPTY: Final = "Жалоб нет."
LIST_STALE: Final = "Список устарел, запросите его заново."
OPEN_BAD_FILTER: Final = (
    "Не понял фильтр «{arg}». Укажите тему ({topics}) или страницу ВКонтакте "
    "(номер или короткое имя), например: /open дороги."
)
DUE_SHORT_LEFT: Final = "осталось {left}"
DUE_SHORT_LATE: Final = "просрочено на {late}"
DUE_SHORT_LATE_WAITED: Final = "просрочено на {late} · без ответа {waited}"
DUE_SHORT_NONE: Final = "без срока"
DUE_SHORT_WAITING: Final = "⏸ ждём ответа жителя"

# ---- waiting on the resident: the deadline clock stands still ----------------------------
ALERT_WAITING: Final = "⏸ <b>Ждём ответа жителя</b> с {since}, срок ответа остановлен"
ALERT_WAITING_REASON: Final = "\nСпросили: {reason}"
CB_WAITING: Final = "Жалоба №{id}: ждём ответа жителя, срок остановлен."
CB_RESUMED: Final = "Жалоба №{id}: срок ответа снова идёт."
WAIT_OK: Final = (
    "Жалоба №{id}: ждём ответа жителя, срок ответа остановлен. "
    "Когда житель напишет в ветке жалобы, срок пойдёт снова; вручную — /resume {id}."
)
RESUME_OK: Final = "Жалоба №{id}: срок ответа снова идёт, ответить до {due}."
ALREADY_WAITING: Final = "Жалоба №{id} уже ждёт ответа жителя. Вернуть срок — /resume {id}."
NOT_WAITING: Final = "Жалоба №{id} не ждёт ответа жителя: срок ответа и так идёт."
WAIT_REASON_TOO_LONG: Final = "Причина слишком длинная: не больше {limit} символов."

SUMMARY_TITLE: Final = "🔔 <b>{count}</b> — одним сообщением, чтобы не засыпать вас уведомлениями."
#: Issue 11: changes of complaints the reader knows only from a summary, bundled the same way.
SUMMARY_TITLE_CHANGES: Final = (
    "🔄 <b>Изменения {changed}</b> — одним сообщением, чтобы не засыпать вас уведомлениями."
)
SUMMARY_TITLE_MIXED: Final = (
    "🔔 <b>{count}</b> и <b>изменения {changed}</b> — одним сообщением, "
    "чтобы не засыпать вас уведомлениями."
)
#: Above a fresh card sent for a change of a complaint that was shown only in a summary.
CARD_CHANGED_FROM_SUMMARY: Final = "🔄 <i>Изменение по жалобе из сводки</i>"
#: Issue 11: the author edited the comment (the card quotes it as it reads now).
ALERT_EDITED: Final = "✏️ Автор изменил комментарий {at}"
#: To the moderators: the author edited a waiting complaint into words that need no answer.
EDITED_NOT_COMPLAINT: Final = (
    "✏️ <b>Жалоба №{id}</b> · {agency}\n"
    "Автор изменил комментарий, и теперь он не похож на жалобу. Жалоба остаётся открытой, "
    "срок идёт: если вопрос снят, закройте её как «не жалоба» (/dismiss {id}).\n"
    "«{text}»\n"
    '<a href="{url}">Открыть комментарий ВКонтакте</a>'
)
#: The state of a complaint in a list, where it is no longer simply waiting for an answer.
LIST_STATUS: Final = {
    "answered": "✅ ответ дан",
    "resolved": "☑️ решено",
    "dismissed": "🚫 не жалоба",
    "deleted": "🗑 комментарий удалён",
}
LIST_STATUS_CLOSED: Final = "закрыта"
LIST_IN_WORK: Final = "🛠 в работе · {due}"
LIST_REOPENED: Final = "🔁 переоткрыта · {due}"
SUMMARY_HINT: Final = "Нажмите номер, чтобы открыть карточку с кнопками."

STATS_BAD_PERIOD: Final = (
    "Не понял период «{arg}». Укажите число дней от 1 до 366 или «неделя», «месяц», "
    "например: /stats 7, /stats 30 дней, /stats месяц."
)
STATS: Final = (
    "<b>Статистика за {days}</b>\n"
    "Поступило: {received}\n"
    "С первым ответом: {answered}, в срок: {on_time} из {measured} ({share})\n"
    "Первый ответ, медиана: {median}\n"
    "Отписки среди первых ответов: {otpiska} из {rated}"
    "{reopened}\n"
    "Открыто сейчас: {open_now}, из них просрочено: {overdue}"
    "{deleted}"
)
#: Issue 14: a reopen has its own clock and its own figure.
STATS_REOPENED: Final = "\nПереоткрыто: {n}, ответ после переоткрытия — медиана {median}"
#: Issue 14: working time always says so; calendar time beside it where it helps.
WORKING_TIME: Final = "{working} рабочего времени"
WORKING_AND_CALENDAR: Final = "{working} рабочего времени (календарно {calendar})"
#: Issue 11: complaints closed because the resident deleted the comment (not unanswered).
STATS_DELETED: Final = "\nЗакрыто, комментарий удалён автором: {n}"

PAGES_TITLE: Final = "<b>Отслеживаемые страницы</b>: {count}"
PAGE_LINE: Final = "{name} (vk.com/{ref}) · {agency} · проверена: {checked}{problem}"
PAGE_PROBLEM: Final = " · ⚠️ {reason}"
NEVER: Final = "ещё не проверялась"
ADDPAGE_USAGE: Final = (
    "Формат: /addpage &lt;ссылка на страницу ВКонтакте&gt; &lt;ведомство&gt;. Ведомства: {known}"
)
ADDPAGE_NOT_FOUND: Final = "Страница «{ref}» не найдена ВКонтакте или это не сообщество."
ADDPAGE_VK_FAILED: Final = "ВКонтакте не ответил: {error}. Попробуйте позже."
ADDPAGE_EXISTS: Final = "Страница {name} (id {id}) уже отслеживается."
ADDPAGE_OK: Final = "Страница {name} (id {id}) добавлена, ведомство: {agency}."

INVITE_USAGE: Final = (
    "Формат: /invite &lt;роль&gt; [ведомство], например: /invite исполнитель Водоканал. "
    "Роли: {roles}."
)
INVITE_NEEDS_AGENCY: Final = "Для исполнителя укажите ведомство: {known}"
INVITE_ROLE_FORBIDDEN: Final = (
    "Вы можете приглашать только исполнителей; других сотрудников приглашают администраторы."
)
INVITE_OK: Final = "Приглашение ({role}{agency}) действует до {expires}, один раз:\n{link}"
INVITE_INVALID: Final = (
    "Приглашение недействительно: оно уже использовано или истёк срок. "
    "Попросите у администратора новую ссылку."
)
JOINED: Final = "Добро пожаловать в «Отклик», {name}! Ваша роль: {role}.\n\n{help}"
ALREADY_JOINED: Final = "Вы уже подключены к «Отклику» как {role}."

USERS_TITLE: Final = "<b>Пользователи</b>: {count}"
USER_LINE: Final = "{name} · {role}{agencies} · {messengers}{flags}"
USER_UNREACHABLE: Final = " · ⛔ заблокировал бота"
USER_UNREACHABLE_ON: Final = " · ⛔ заблокировал бота в {channel}"
USER_MESSENGER: Final = "{channel} {id}"
USER_PREFERRED: Final = " (основной)"


def messengers_line(telegram_id: int | None, max_user_id: int | None, preferred: str) -> str:
    """«Telegram 123» or «Telegram 123 (основной), MAX 456»: where the person is reached."""
    both = telegram_id is not None and max_user_id is not None
    parts = []
    for channel, name, ident in (
        ("telegram", "Telegram", telegram_id),
        ("max", "MAX", max_user_id),
    ):
        if ident is not None:
            mark = USER_PREFERRED if both and preferred == channel else ""
            parts.append(USER_MESSENGER.format(channel=name, id=ident) + mark)
    return ", ".join(parts)


USER_MUTED: Final = " · 🔕 до {until}"

MUTE_USAGE: Final = "Формат: /mute &lt;часы&gt;, например /mute 2; /mute 0 — снова присылать."
MUTE_OK: Final = "Не беспокою до {until}. Накопившиеся жалобы пришлю одним сообщением."
UNMUTE_OK: Final = "Уведомления снова включены."

STATUS: Final = (
    "<b>Состояние</b>\n"
    "Страниц: {pages}, проверено за час: {fresh}, ни разу: {never}\n"
    "Последняя проверка: {last}\n"
    "Недоступны: {unreachable}\n"
    "Очередь уведомлений: {pending}, не доставлено: {failed}\n"
    "Заблокировали бота: {blocked}"
    "{orphans}"
)
#: Issue 11: agencies whose complaints go to the moderators, since no official gets them.
STATUS_ORPHANS: Final = "\nВедомства без исполнителя, который получает жалобы: {n}{lines}"
STATUS_ORPHAN_LINE: Final = "\n• {agency}: {reason}"
STATUS_UNREACHABLE_LINE: Final = "\n• {name}: {reason}"
#: Issue 11: whether VK serves the collector's requests, and the posts past the watch window.
STATUS_VK_OK: Final = "\nВКонтакте: запросы проходят, последний успешный в {last}"
STATUS_VK_FAILING: Final = (
    "\n⚠️ <b>ВКонтакте не отвечает</b>: {n} запросов подряд с ошибкой ({error}), "
    "последний успешный: {last}. Новые комментарии сейчас не собираются."
)
STATUS_VK_TOKENS: Final = "\nТокены ВКонтакте: работают {usable} из {total}"
STATUS_WINDOW: Final = (
    "\nПосты старше окна наблюдения: {kept} ещё обсуждают (под наблюдением), "
    "{dormant} проверяются реже, {dropped} не проверяются"
)
VK_ERRORS: Final = {
    -1: "нет связи с сервером ВКонтакте",
    -2: "непонятный ответ сервера",
    1: "внутренняя ошибка ВКонтакте",
    5: "токен недействителен",
    6: "слишком много запросов",
    9: "слишком много однотипных действий",
    10: "внутренняя ошибка ВКонтакте",
    14: "нужна капча",
    17: "нужна проверка аккаунта",
    27: "токен не того вида",
    28: "токен не того вида",
}
VK_ERROR_OTHER: Final = "ошибка {code}"

PERSON_BLOCKED_BOT: Final = (
    "⛔ {name} ({role}{agencies}) заблокировал бота — уведомления ему не доставляются. "
    "Свяжитесь с сотрудником или передайте его жалобы."
)
NOTHING_CHANGED_HINT: Final = "Ничего не изменено."


def help_text(role: str, commands: list[str]) -> str:
    """The role's intro and its commands, one per line (the same list as its menu)."""
    lines = [HELP.get(role, "")]
    lines += [
        HELP_LINE.format(command=c, description=COMMAND_DESCRIPTIONS.get(c, "")) for c in commands
    ]
    return "\n".join(line for line in lines if line)


def plural_times(n: int) -> str:
    return f"{n} {plural(n, 'раз', 'раза', 'раз')}"


UNKNOWN_COMMAND: Final = "Не понял. Список команд — /help"


# ---- issue 14: ``otklik status`` for a person -----------------------------------------------
CLI_STATUS_TITLE: Final = "Охват ВКонтакте на {at} ({tz}, {offset}): {pages}"
CLI_STATUS_ATTENTION: Final = "⚠ Требуют внимания: {n} (сверху)"
CLI_STATUS_ALL_OK: Final = "✓ Все страницы проверяются вовремя"
CLI_STATUS_THRESHOLD: Final = (
    "Отставание считается проблемой после {threshold} (OTKLIK__METRICS__COLLECTOR_STALE_S)"
)
CLI_VK_SILENT: Final = "Запросы к ВКонтакте: сборщик ещё ни разу не отчитался (он запущен?)"
CLI_VK_OK: Final = "Запросы к ВКонтакте: проходят, последний успешный — {last}"
CLI_VK_FAILING: Final = (
    "⚠ ВКонтакте не отвечает: {n} запросов подряд с ошибкой ({error}), последний успешный — {last}"
)
CLI_VK_TOKENS: Final = "Токены ВКонтакте: работают {usable} из {total}"
CLI_WINDOW: Final = (
    "Посты старше окна наблюдения: {kept} ещё обсуждают (под наблюдением), "
    "{dormant} проверяются реже, {dropped} не проверяются"
)
CLI_AGO: Final = " ({ago} назад)"
CLI_PAGE_OK: Final = "проверена {last}{ago}"
CLI_PAGE_LONGPOLL: Final = ", события приходят через Long Poll"
CLI_PAGE_LAGGING: Final = "отстаёт на {lag} — последняя полная проверка {last}"
CLI_PAGE_NEVER: Final = "ещё ни разу не проверялась"
CLI_PAGE_UNREACHABLE: Final = "недоступна: {reason}"
CLI_PAGE_FIGURES: Final = "; постов под наблюдением {posts}, wall.get {wall_get}, запросов {calls}"
CLI_PAGE_BAD_POSTS: Final = "; недоступных постов {n}"
CLI_PAGE_WINDOW: Final = (
    "; старше окна: {kept} под наблюдением, {dormant} реже, {dropped} не проверяются"
)
CLI_POST_UNREACHABLE: Final = "Пост {owner_id}_{post_id} недоступен: {reason}"
CLI_QUOTA: Final = "Токен {token}, квота на {day}: {used}"
CLI_QUOTA_NONE: Final = "ещё не расходовалась"
CLI_QUOTA_PARKED: Final = "; до сброса квоты отложены: {methods}"


# ---- issue 15: answering from the alert (handlers/answers.py) -------------------------------
BTN_ANSWER: Final = "Ответить"
BTN_PUBLISH: Final = "Опубликовать"
BTN_PUBLISH_AS_IS: Final = "Опубликовать как есть"
BTN_FIX: Final = "Исправить"
BTN_RETRY: Final = "Повторить"
BTN_CANCEL: Final = "Отмена"
BTN_TEMPLATE: Final = "Шаблон: {title}"
BTN_VK_ANSWER: Final = "Ответ во ВКонтакте"
ANSWER_ASK: Final = (
    "Жалоба №{id}: напишите ответ жителю одним сообщением. Перед публикацией я покажу, как "
    "его увидят жители; опубликован он будет от имени страницы «{page}»."
)
ANSWER_ASK_TEMPLATES: Final = (
    "\nМожно начать с шаблона: нажмите его, скопируйте текст, заполните поля в фигурных "
    "скобках и пришлите мне."
)
ANSWER_ASK_FIX: Final = "Жалоба №{id}: пришлите исправленный текст ответа одним сообщением."
ANSWER_CANCELLED: Final = "Ответ не пишем: следующее сообщение — снова обычное."
ANSWER_PREVIEW: Final = (
    "Жалоба №{id}. Так ответ увидят жители — от имени страницы «{page}»:\n\n<i>{text}</i>"
)
ANSWER_READY: Final = "\n\nПроверка пройдена. Нажмите «Опубликовать» или «Исправить»."
ANSWER_HELD: Final = "\n\n⚠ {message}"
ANSWER_HELD_PUBLISH: Final = "\nИли отправьте /publish {id}, чтобы опубликовать как есть."
ANSWER_TEMPLATE_STARTED: Final = (
    "\n\nЭто текст шаблона. Скопируйте его, заполните поля в фигурных скобках и пришлите мне."
)
ANSWER_COPY: Final = "\n\nТекст ответа, чтобы опубликовать вручную:\n<i>{text}</i>"
ANSWER_OFF: Final = "Отвечать из мессенджера сейчас нельзя: публикация во ВКонтакте не настроена."
ANSWER_USAGE: Final = (
    "Напишите номер жалобы и текст ответа: /answer 12 Яму заделают до 27 ноября. "
    "Или /answer 12 — и пришлите текст следующим сообщением."
)
PUBLISH_USAGE: Final = "Напишите номер жалобы: /publish 12"
TEMPLATES_NONE: Final = "Шаблонов ответов пока нет."
TEMPLATES_TITLE: Final = "Шаблоны ответов ({n}):"
TEMPLATE_LINE: Final = "\n\n<b>№{id}. {title}</b> — {topic}, {agency}\n{text}"
TEMPLATE_ANY_TOPIC: Final = "любая тема"
TEMPLATE_ANY_AGENCY: Final = "все ведомства"
TEMPLATES_HELP: Final = (
    "\n\nУправление шаблонами:\n"
    "/templates добавить тема | ведомство | название | текст\n"
    "/templates изменить номер | название | текст (- — оставить как было)\n"
    "/templates удалить номер\n"
    "Тема и ведомство: «все», если шаблон годится для любых. Поля для заполнения пишите в "
    "фигурных скобках: {адрес}, {дата}."
)
TEMPLATE_ADDED: Final = "Шаблон №{id} «{title}» добавлен."
TEMPLATE_EDITED: Final = "Шаблон №{id} «{title}» изменён."
TEMPLATE_REMOVED: Final = "Шаблон №{id} «{title}» удалён."
TEMPLATE_NOT_FOUND: Final = "Шаблона №{id} нет. Список — /templates"
TEMPLATE_FORBIDDEN: Final = "Шаблоны ведут модераторы ЦУР и администраторы."
TEMPLATE_OUT_OF_SCOPE: Final = (
    "Шаблоны для всех ведомств ведут модераторы без региона; вы можете вести шаблоны своих "
    "ведомств: {agencies}."
)
TEMPLATE_INVALID: Final = "Нужны название (до {title} знаков) и текст (до {text} знаков)."
TEMPLATE_BAD_TOPIC: Final = "Не знаю тему «{topic}». Темы: {topics}, или «все»."
TEMPLATE_ADD_USAGE: Final = (
    "Напишите так: /templates добавить тема | ведомство | название | текст\n"
    "Например: /templates добавить дороги | все | Яма: сроки | Яму по адресу {адрес} "
    "заделают до {дата}."
)
TEMPLATE_EDIT_USAGE: Final = (
    "Напишите так: /templates изменить номер | название | текст (- — оставить как было)"
)
TEMPLATE_REMOVE_USAGE: Final = "Напишите так: /templates удалить номер"
STATS_ANSWERS: Final = (
    "\nОтветов из мессенджера: {published}, из них опубликовано «как есть» вопреки проверке: "
    "{forced}; задержано проверкой сейчас: {held}."
)
TEMPLATES_MORE: Final = "\n\n…и ещё {n}: список не помещается в одно сообщение."

# ---- issue 13: the no-personal-data mode (a messenger that carries no resident's data) -----
#: Instead of the resident's name and words on a card in that mode.
ALERT_HIDDEN: Final = "🔒 Имя и текст жителя здесь не показываются: откройте комментарий."
#: A list line in that mode: no quote of the comment.
LIST_ITEM_HIDDEN: Final = "№{id} · {topic} · {agency} · {due}\n(страница: {page})"
#: A spike's example in that mode: the link alone.
SPIKE_EXAMPLE_HIDDEN: Final = '• <a href="{url}">комментарий</a>'
#: A notice about a complaint in that mode: what it is about, then the card without the
#: resident's data (the notice's own text quotes the comment).
PRIVATE_NOTICE: Final = {
    "nudge": "⏰ Скоро истекает срок ответа",
    "escalation": "⚠️ Срок ответа истёк",
    "escalation_lead": "⚠️ Срок ответа истёк",
    "solution_breach": "⚠️ Истёк срок решения",
    "orphan": "⚠️ Об этой жалобе некому сообщить: исполнители недоступны",
    "urgent": "🔴 Срочная жалоба",
}
PRIVATE_NOTICE_OTHER: Final = "ℹ️ Новое по жалобе"
#: A file with residents' words (the weekly Excel) is not sent in that mode.
PRIVATE_FILE_WITHHELD: Final = (
    "{caption}\n\n🔒 Файл содержит тексты жителей и в этот мессенджер не отправляется."
)

#: Where the answer addresses the resident by name, on a messenger in the no-personal-data mode.
RESIDENT_HIDDEN: Final = "[имя жителя]"
