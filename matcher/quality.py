"""Answer quality: is an official's answer an «отписка»?

Follows the regional rework criteria (product.md §4): an answer is returned when it is formal or
not on substance, names no date for the fix, gives no evidence (photo, act), hides behind
citations of law, or contradicts itself; «напишите в личные сообщения» is a deferral.  Each
criterion is a feature with a weight; the reasons are the criteria that decided, in Russian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from matcher.lexicon import words
from matcher.places import another_place
from matcher.text import (
    FUNCTION_LEMMAS,
    FUTURE,
    IMPERATIVE,
    INFINITIVE,
    PAST,
    SHORT_PARTICIPLE,
    lemma,
    normalize,
    short_participle,
    tokens,
    whole_words,
    word_info,
)

OTPISKA_BELOW = 50


@dataclass(frozen=True, slots=True)
class AnswerRating:
    otpiska: bool
    quality: int  # 0..100
    reasons: tuple[str, ...]  # Russian, readable by a moderator


_MONTHS = "январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр"
_WEEKDAYS = "понедельника?|вторника?|сред[уаы]|четверга?|пятниц[уаы]|суббот[уаы]|воскресень[ея]"

# Dates, times and deadlines, matched on the normalised (lower-case) answer.
_DATE_RE = re.compile(
    r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"
    r"|\b\d{1,2}\s*(?:-?го\s*)?(?:" + _MONTHS + r")"
    r"|\b(?:до|к|с|по|в|на|начале|конце|середине)\s+(?:" + _MONTHS + r")"
    r"|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*ч(?:ас|\b)"
    r"|\b(?:в|на|до|к)\s+20\d\d\b|\b20\d\d\s*(?:год|г\b)"
    r"|\b(?:сегодня|завтра|послезавтра|вечером|утром|днем)\b"
    r"|\b(?:в|во|до|к|со?)\s+(?:" + _WEEKDAYS + r")\b"
    r"|\bв\s+течени[ие]\s+(?:\d+|одн|дв|тр|пят|недел|месяц|суток|дня|часа|сут|\w+\s+(?:дн|час|недел|сут))"
    r"|\bдо\s+конца\s+(?:(?:этой|следующей|будущей|текущей|этого|следующего|текущего)\s+)?"
    r"(?:недели|месяца|дня|года|\d{4})"
    r"|\bна\s+(?:этой|следующей|будущей)\s+неделе"
    r"|\bв\s+(?:\d+|первом|втором|третьем|четвертом)\s+квартале"
    r"|\bв\s+(?:этом|следующем|текущем)\s+(?:месяце|году)"
    r"|\b(?:весной|летом|осенью|зимой)\s+(?:\d{4}|этого|следующего|текущего)"
    r"|\bчерез\s+(?:\d+|пару|неделю|месяц|день|два|три|несколько\s+дней)"
    r"|\b(?:до|к)\s+\d{1,2}\b(?!\s*(?:лет|года?\b|%|процент|м\b|метр|км|кг|тонн|человек|раз\b"
    r"|градус|°|балл|руб|тыс|млн|мест|штук|шт\b|единиц|см\b|мм\b))"
    r"|\b\d+\s*(?:рабочих|календарных)\s+дн"
)
# «в 2025 году при наличии финансирования», «в пределах доведённых лимитов»: a promise on a
# condition of money, vague even with a year beside it
_FUNDING = (
    r"при\s+(?:условии|наличии)\s+(?:\w+\s+)?(?:выделени|финанс|средств|поступлени|лимит)"
    r"|по\s+мере\s+(?:\w+\s+)?(?:финансирован|поступлени|выделени)"
    r"|(?:при|после)\s+(?:выделени|поступлени|доведени)\w*\s+(?:\w+\s+)?"
    r"(?:средств|финансировани|денежн|лимит)"
    r"|когда\s+будут\s+средства|в\s+пределах\s+(?:\w+\s+)?(?:средств|лимит|ассигнован)"
)
_FUNDING_RE = re.compile(_FUNDING)
_VAGUE_TIME_RE = re.compile(
    r"при\s+условии\s+(?:выделени|финансирован|наличи|поступлени|прохождени|включени|одобрени|победы)"
    r"|в\s+весенне-летний\s+период"
    r"|в\s+ближайшее\s+время"
    r"|по\s+мере\s+(?:возможност|финансирован|поступлени|выделени|высвобождени|освобождени|готовност)"
    r"|в\s+установленн\w*\s+срок|в\s+плановом\s+порядке|при\s+наличии\s+(?:\w+\s+)?(?:финанс|средств|возможн|свободн|техник)"
    r"|в\s+порядке\s+очередност|в\s+рамках\s+(?:выделенн|доведенн)"
    r"|в\s+срок\w*,?\s+(?:установленн|предусмотренн|определенн|оговоренн)"
    r"|по\s+возможности|со\s+временем|в\s+дальнейшем|в\s+перспективе"
    r"|при\s+наступлении\s+благоприятн|благоприятных\s+погодных"
    r"|(?:на|в)\s+(?:летний|весенний|осенний|зимний|весенне-летний|летне-осенний)\s+период"
    r"|после\s+(?:установления|наступления)\s+(?:плюсовых|положительных|теплой)"
    # «как только позволят погодные условия», «как только подрядчик освободится»
    r"|как\s+только\s+(?:\w+\s+)?(?:позвол|освобод|появ|поступ|выдел|законч|наступ|установ)"
    r"|после\s+(?:проведения\s+)?(?:закупочн|конкурсн|торг|аукцион)|по\s+итогам\s+(?:торг|закуп|конкурс)"
    r"|как\s+можно\s+(?:скорее|быстрее)|в\s+кратчайш\w+\s+срок|в\s+оперативном\s+порядке"
    r"|по\s+(?:окончании|завершении)\s+(?:\w+\s+)?работ|в\s+(?:этом|следующем|текущем|новом)\s+сезоне"
    r"|в\s+течение\s+(?:\w+\s+)?(?:сезона|периода)|в\s+20\d\d\s*[-–]\s*20\d\d\s*год"
    # «оставшиеся работы будут выполнены позднее» (but «не позднее 15 мая» is a deadline)
    r"|(?<!не )\bпозднее\b(?!\s+\d)|\bпозже\b"
    # «будет выполнено в рамках муниципальной программы …», «запланировано в рамках программы»
    r"|(?:будет|будут|запланирован\w*|планиру\w*)\s+(?:\w+\s+){0,3}в\s+рамках\s+(?:\w+\s+){0,3}программ"
    # «будет выполнено после схода снега», «… в следующем году»: a promise tied to an event
    r"|(?:будет|будут)\s+(?:\w+\s+){0,4}(?:после\s+(?:схода|окончания|завершения|проведения"
    r"|поступления|заключения|согласования|утверждения|выделения|доведения|поставки|получения"
    r"|подготовки|закупки|устранения|оформления|выполнения|освобождения|рассмотрения|принятия)"
    r"|в\s+следующем\s+году)"
    r"|" + _FUNDING
)
# the words of a promise: «будет», «запланировано», «планируется»
_PROMISE = r"будет|будут|запланир\w*|планиру\w*"
_PROMISE_RE = re.compile(r"\b(?:" + _PROMISE + r")\b")
_PROMISE_BEFORE_RE = re.compile(_PROMISE_RE.pattern + r"[^.!?]*$")
_FORMAL_RE = re.compile(
    r"(?:ваш[ае]?|данн\w+)\s+(?:обращени\w*|вопрос\w*|сообщени\w*|информаци\w*|жалоб\w*|заявк\w*)"
    r"\s+(?:передан\w*|направлен\w*|перенаправлен\w*|принят\w*|зарегистрирован\w*|взят\w*|"
    r"будет\s+рассмотрен\w*|рассмотрен\w*|находится)"
    r"|передан\w*\s+(?:в|для)\s+(?:ответственн|профильн|компетентн|соответствующ|уполномоченн|"
    r"рассмотрени|работ|отработк|подведомств|управляющ)"
    r"|направлен\w*\s+(?:в|для)\s+(?:ответственн|профильн|компетентн|соответствующ|уполномоченн|"
    r"рассмотрени|работ|отработк|подведомств)"
    r"|принят\w*\s+к\s+сведению|взят\w*\s+(?:на|под)\s+контрол"
    r"|наход\w+\s+на\s+(?:\w+\s+)?контрол"
    r"|будет\s+рассмотрен\w*|будут\s+рассмотрен\w*|рассмотрим\b|разберемся\b|разберутся\b"
    r"|информаци\w*\s+(?:принят\w*|передан\w*|направлен\w*)|вопрос\s+(?:прорабатывается|изучается)"
    r"|прорабатывается|находится\s+в\s+(?:работе|проработке)|ведется\s+работа|ведутся\s+работы"
    r"|специалист\w*\s+(?:разберутся|рассмотрят|проинформированы)|ответственн\w+\s+служб"
    r"|мер\w*\s+будут\s+приняты|меры\s+принимаются|примем\s+меры|будут\s+приняты\s+меры"
    r"|принят\w*\s+(?:все\s+)?(?:необходим\w+\s+|исчерпывающ\w+\s+|соответствующ\w+\s+)?мер\w*"
    r"|ситуаци\w*\s+на\s+контроле|держим\s+на\s+контроле|на\s+особом\s+контроле"
    r"|в\s+рамках\s+(?:полномочий|компетенции)|направлен\s+запрос|направлено\s+письмо"
    r"|сделаем\s+все\s+возможное|постараемся|позици\w*\s+(?:\w+\s+){0,2}остается\s+неизменн"
    r"|принят\w*\s+(?:в\s+работу|к\s+исполнению)|\bпринято\s*(?:[!.]|$)"
    r"|проведен\w*\s+(?:необходим\w*\s+|соответствующ\w*\s+)?работ[аы](?=\s*[.!,;]|\s*$)"
    r"|работ[аы]\s+(?:по\s+ваш\w+\s+обращени\w+\s+)?проведен\w*(?=\s*[.!,;]|\s*$)"
)
_DEFERRAL_RE = re.compile(
    r"(?:напишите|пишите|обратитесь|направьте|отправьте|свяжитесь|сообщите|уточните)[,\s]+"
    r"(?:нам[,\s]+|пожалуйста[,\s]+|подробнее[,\s]+|свои\s+|ваши\s+|точный\s+|данные\s+|адрес\s+"
    r"|контакты\s+|номер\s+)*"
    r"(?:в\s+)?(?:личн\w+\s+сообщени|лс\b|личку|личке|директ|сообщения\s+сообщества"
    r"|сообщени\w+\s+(?:группы|сообщества|страницы))"
    r"|\bв\s+(?:лс|личку|личке|личн\w+\s+сообщени\w*)"
    r"|(?:обратитесь|позвоните|звоните|обращайтесь|звоните)[,\s]+(?:пожалуйста[,\s]+)?"
    r"(?:в|во|к|по|на|лично|напрямую|непосредственно)\b"
    r"|(?:направьте|подайте|оформите|напишите)\s+(?:\w+\s+){0,2}(?:обращени|заявлени|заявку|жалоб)"
    r"|через\s+(?:портал|госуслуг|платформу\s+обратной|официальный\s+сайт|интернет-приемн)"
    r"|на\s+(?:официальн\w+\s+сайт|электронн\w+\s+почт)"
    r"|(?:оставьте|уточните)[,\s]+(?:\w+[,\s]+){0,3}(?:номер|адрес|контакт|данные)"
    r"|вопрос\s+не\s+(?:входит|относится)\s+(?:в|к)\s+(?:компетенци|полномочи)"
    r"|не\s+(?:в|входит\s+в)\s+(?:нашей\s+)?компетенци|не\s+(?:находится|состоит)\s+на\s+баланс"
    r"|не\s+(?:является|являемся)\s+балансодержател|не\s+в\s+ведении"
    # «рекомендуем Вам обратиться в органы местного самоуправления»
    r"|(?:рекоменду\w*|вправе|следует|необходимо|просим|просьба|нужно)\s+(?:вам\s+|вас\s+)?"
    r"обра(?:титься|щаться)"
    r"|приглаша\w*\s+(?:вас\s+)?(?:на\s+(?:личн\w+\s+)?(?:прием|встречу)|в\s+администраци"
    r"|для\s+(?:личн\w+\s+)?встречи)"
)
# «обращение, поступившее через платформу обратной связи»: how it came, not where to go
_ARRIVED_BEFORE_RE = re.compile(r"поступ\w*\s+$")
_WAY_RE = re.compile(r"через\s|(?:подайте|оформите)\s")
# «Если увидите — не подходите, звоните 112»: advice for next time, not sending the person away.
_IF_BEFORE_RE = re.compile(r"\bесли\b[^.]{0,60}$")
_LAW_RE = re.compile(
    r"\b\d+\s*-?\s*фз\b|федеральн\w+\s+закон|\bзакон\w*\b|\bст\.\s*\d|\bстать\w+\s+\d"
    r"|\bп\.\s*\d|\bпункт\w*\s+\d|постановлени\w+\s+(?:правительства|администрации|№)"
    r"|\bсанпин|\bгост\b|\bсп\s+\d|\bкоап\b|\bжк\s+рф|гражданск\w+\s+кодекс|кодекс\w*"
    r"|приказ\w*\s+(?:министерства|минстроя|№)|№\s*\d+"
    r"|правил\w*\s+(?:предоставления|содержания|благоустройства)|нормативн\w*"
)
_DONE_RE = re.compile(
    r"\b(?:(?:засыпа|задела|устрани|отремонтирова|замени|восстанови|убра|очисти|расчисти|почисти|"
    r"почини|подключи|выполни|спили|установи|отлови|покраси|залата|демонтирова|смонтирова|"
    r"возобнови|налади|выдa|выплати|начисли|перечисли|записа|обработа|посыпа|откача|прочисти|"
    r"заасфальтирова|отсыпа|отгрейдирова|исправи|оформи|привез|достави|построи|уложи|обреза|скоси|"
    r"ликвидирова|освободи|оштрафова|состави|вручи|выписа|переустанови|перенастрои|пусти|верну|"
    r"заве[зс]|предостави|организова|добави|продли|измени|опломбирова|нанес|сдела|запусти|помен[яa]|"
    r"вывез|провел|провели|провела|закры|включи)(?:л|ли|ла|ло)?\b"
    r"|(?:убран|восстановлен|устранен|заменен|выполнен|проведен|отремонтирован|вывезен|очищен|"
    r"подключен|установлен|возобновлен|расчищен|спилен|засыпан|заделан|включен|отловлен|обработан|"
    r"посыпан|ликвидирован|налажен|выплачен|начислен|перечислен|организован|открыт|назначен|выдан|"
    r"составлен|отсыпан|покошен|скошен|демонтирован|закрыт|исправлен|восстановлено)[аоы]?\b"
    r"|направлен\w*\s+бригад\w*)"
)
_PLANNED_RE = re.compile(
    r"\b(?:бригад\w*|специалист\w*|сотрудник\w*|техник\w*|подрядчик\w*|мастер\w*|рабоч\w*|"
    r"техника|трактор\w*|машина|аварийн\w+\s+служб\w*|комиссия)\s+(?:\w+\s+){0,2}"
    r"(?:будет|будут|выйд|выед|приед|прибуд|придет|придут|направлен|проведет|проведут|устранят|выполнят|"
    r"заменит|заменят|отремонтир|засыплет|засыплют|вывезет|вывезут|уберет|уберут|почист|очист|"
    r"расчист|спилит|спилят|установят|отловят|обследу|осмотр|проверит|проверят|работает|работают)"
    r"|\b(?:будет|будут)\s+(?:\w+\s+)?(?:заменен|отремонтирован|устранен|восстановлен|вывезен|убран|"
    r"засыпан|заделан|установлен|очищен|проведен|выполнен|подключен|включен|спилен|отловлен|"
    r"организован|выплачен|начислен|возобновлен|подан|подана|подано|закончен|завершен)\w*"
    r"|\b(?:запланирован\w*|включен\w*\s+в\s+(?:план|программ|титульн|перечень|график))"
    r"|\b(?:засыплют|заделают|отремонтируют|заменят|уберут|вывезут|почистят|расчистят|спилят|"
    r"установят|отловят|восстановят|устранят|подключат|возобновят|включат|проведут|выплатят|"
    r"начислят|починят|откачают|прочистят|обработают|посыплют|покосят|скосят|перечислят|"
    r"возобновится|будет\s+подан\w*|подадут|дадут|запустят)\b"
    r"|\bплановый\s+срок|\bсрок\s+(?:устранения|выполнения|окончания|завершения)"
    r"|\bграфик\w*\s+(?:работ|вывоза|движения)"
    r"|\bожида\w*\s+(?:до|к|в|на)\s"
    r"|\bможно\s+(?:получить|записаться|подать|забрать|оформить|купить|приходить|прийти|приехать)"
)
_EVIDENCE_RE = re.compile(
    r"\bфото\w*|\bснимк\w*|\bакт\w*\s+(?:выполненных|приемки|обследования|осмотра|проверки)"
    r"|\bприлага\w*|\bво\s+вложени|\bсм\.\s*(?:фото|вложени|прилож)|\bприложени\w*\s+(?:фото|акт)"
    r"|\bвидео\w*|\bфотоотчет\w*|\bфотофиксаци\w*"
)
_CONTRADICTION_RE = re.compile(
    r"(?:выполнен\w*|устранен\w*|сделан\w*|завершен\w*|вывезен\w*|убран\w*|отремонтирован\w*|"
    r"восстановлен\w*|подан\w*|проведен\w*)[^.]{0,80}\b(?:однако|но)\s+[^.]{0,60}"
    r"(?:не\s+(?:выполнен|устранен|сделан|завершен|представляется)|невозможн|будет|будут)"
    r"|(?:не\s+(?:выявлен|подтвердил|обнаружен|установлен))\w*[^.]{0,80}"
    r"(?:будут|будет)\s+(?:устранен|выполнен|проведен|приняты|исправлен)"
)
# «организовано в соответствии с СанПиН», «начисления произведены корректно», «оптимизирована
# согласно документу планирования»: a state declared in order, not an action on the problem.
_IN_ORDER_RE = re.compile(
    r"(?:\w+ ){0,2}(?:в соответствии с|согласно|корректно|верно|правильно|в установленном порядке"
    r"|в рамках (?:действующ|норматив|закон)\w*|в полном объеме|(?:федеральным )?законом"
    r"|законодательств\w*|постановлением|приказом|правилами|локальным|нормативн\w*"
    # «тарифы установлены службой по тарифам», «установлены главой 47 ТК», «… ст. 13 ФЗ»
    r"|главой|ст|статьей|санпин|гост|службой|министерством|комитетом|решением"
    # «требования установлены пунктами 3–5 СанПиН», «порядок установлен разделом 24 ПДД»
    r"|пунктами|пунктом|разделом|подпунктом|нормами|требованиями"
    # «принята в работу», «принято к сведению»: taken, not done
    r"|в работу|к (?:исполнению|сведению|рассмотрению)"
    # «приняты комиссией», «произведено на основании решения», «установлены графиком»
    r"|комиссией|заказчиком|без замечаний|на основании|графиком|программой|планом"
    # «периодичность установлена минимальным перечнем услуг», «… договором управления»
    r"|(?:\w+ )?перечнем|договором)\b"
)


# «собрано свыше 900 кубометров», «задействовано 120 единиц техники», «помощь получили 312
# человек»: the body's figures for a year, not what was done about this complaint (a handful of
# things, «заменены 2 контейнера», is this place's work).
_TALLY_RE = re.compile(
    # «2 340 камер»: a number written in groups of thousands comes as several tokens
    r"(?:(?:более|свыше|около|порядка|почти|всего) \d+|\d{3,}|\d{1,3}(?: \d{3})+) (?!(?:"
    + _MONTHS
    + r"|числ|год|час|ч\b))[а-я]"
)


# A question asked («можно ли…?», «это законно?», «сколько…?») answered straight: «Да, …»,
# «Нет, если…», «Можно, …», «Незаконно: …» — the answer on substance the question wanted.
# «подскажите», «хочу узнать»: a question without a question mark
_PLEASE_TELL = r"\b(?:(?:хочу|хотим|хотела?)\s+узнать|подскажите|скажите|объясните|разъясните)\b"
_ASKED_RE = re.compile(
    r"\?|^(?:можно|законно|сколько|как|где|когда|почему|положен|имею)\b|" + _PLEASE_TELL
)
# «напишите в личные сообщения»: the conversation moved out of sight, whatever else was said
_TO_DMS_RE = re.compile(r"лс\b|личк|личн|директ|сообщени")
_WHEN_RE = re.compile(r"\bкогда\b|\bсрок\w*\b|\bдо\s+каких\s+пор")
# «Как перевести очередь в садик?», «куда звонить?», «можно ли получить выплату?»: asked what to
# do, where to go; the way explained is the substance, «подайте заявление на Госуслугах» with it.
_PLEASE_TELL_RE = re.compile(_PLEASE_TELL)
# «Когда начнут?», «а когда сделают?», «в какие сроки?»: a question of time (not «почему …,
# когда везде 45?», where «когда» joins two clauses)
_ASKS_WHEN_RE = re.compile(
    r"(?:^|[.!?…]\s*|\b(?:а|и|но|так|ну)\s+)когда\b[^.!?]*\?|\bдо\s+каких\s+пор|\bв\s+какие\s+сроки"
    r"|\bкаки[ех]\s+(?:\w+\s+)?срок"
)
_HOW_WORDS = frozenset({"как", "куда", "где", "кому", "можно", "нужно", "надо", "чтобы"})
# «подайте заявление…», «звоните 112», «нужно подать до 15 января»: the way told; «следите за
# новостями» tells nothing
_MODALS = frozenset({"нужно", "необходимо", "достаточно", "можно", "надо"})
_NO_WAY = words("следить ждать подождать ожидать рекомендовать")


# the body describing itself: «осуществляется», «проводится работа», «в рамках», «является»
_OFFICIALESE_RE = re.compile(
    r"\b(?:осуществля\w*|проводит\w*|ведет\w*|ведут\w*|являет\w*|обеспечива\w*|в\s+рамках"
    r"|в\s+целях|в\s+соответствии|на\s+(?:постоянном\s+)?контроле|приоритет\w*|планомерн\w*"
    r"|направлени\w+\s+деятельност|продолжен\w*|продолжа\w*)"
)


def _tells_the_way(text: str) -> bool:
    """Whether an answer tells what to do and where: an instruction (an imperative, or «нужно»
    and a verb) and something concrete (a number, an address, hours, a service's name)."""
    if not re.search(r"\d|«|ттел", text):  # «ттел»: a phone number, as ``normalize`` writes it
        return False
    toks = tokens(text)
    for i, tok in enumerate(toks):
        lem, form = word_info(tok)
        if form == IMPERATIVE and lem not in _NO_WAY:
            return True
        near = toks[max(0, i - 2) : i + 3]  # «нужно подать», «подать заявление можно»
        if tok in _MODALS and any(word_info(t)[1] == INFINITIVE for t in near):
            return True
    return False


def _asks_how(complaint: str) -> bool:
    """A question of what to do: «как перевести…?», «куда звонить…?», «можно ли получить…?»,
    «что нужно сделать…?» (a question word, then a verb in the infinitive), not «как так?»."""
    if "?" not in complaint and _PLEASE_TELL_RE.search(complaint) is None:
        return False
    toks = tokens(complaint)
    return any(
        tok in _HOW_WORDS and any(word_info(t)[1] == INFINITIVE for t in toks[i + 1 : i + 4])
        for i, tok in enumerate(toks)
    )


_STRAIGHT_RE = re.compile(
    r"(?:да|нет|можно|нельзя|конечно|законно|незаконно|положен\w*|не\s+положен\w*|вправе"
    r"|не\s+вправе|обязан\w*|не\s+обязан\w*|не\s+требуется|требуется|бесплатно|платно"
    r"|правда|верно|неправда|не\s+нужно)\b"
)
_STRAIGHT_WORD_RE = re.compile(r"\b" + _STRAIGHT_RE.pattern)  # anywhere, a whole word
# Figures with their units: a tariff or a price explained («3,91 руб./кВт·ч», «скидка 30%»).
_FIGURE_RE = re.compile(r"\d[\d\s]*(?:[.,]\d+)?\s*(?:руб|₽|%|процент|квт|гкал|куб|тонн|литр|л\b)")


_HOUR = r"\b\d{1,2}:\d{2}\b"  # «в 2:40», «с 8:00»
# Facts an answer to «где? когда? сколько? как?» gives: hours, days of the week, a price, a term,
# an address, a room
_FACT_RES: Final = (
    re.compile(_HOUR + r"|\bс\s+\d{1,2}(?::\d{2})?\s+до\s+\d{1,2}\b"),  # hours
    re.compile(r"\b(?:пн|вт|ср|чт|пт|сб|вс)\s*[-–]\s*(?:пн|вт|ср|чт|пт|сб|вс)\b|\bпо\s+будням"),
    re.compile(r"\d[\d\s]*(?:[.,]\d+)?\s*(?:руб|₽|тыс\.?\s*руб|%)"),  # a price, a share
    re.compile(r"\b\d+\s+(?:рабочих\s+|календарных\s+)?(?:дн|дня|дней|недел|месяц)"),  # a term
    re.compile(  # an address
        r"\b(?:ул|пр|просп|пер|пл)\.?\s+[а-я]+\w*,?\s+(?:д\.\s*)?\d+|\b[а-я]{4,},\s+\d+[а-я]?\b"
    ),
    re.compile(r"\bкаб\w*\.?\s*№?\s*\d+|\bокн\w*\s*№?\s*\d+"),  # a room, a window
)


# «дайте номер аварийки», «кто отвечает за опоры?», «куда звонить?»: asked whom to call
_ASKS_CONTACT_RE = re.compile(
    r"\bномер\w*\s+(?:\w+\s+)?(?:телефон|авари|диспетч|горяч|дежурн)|\bтелефон\w*"
    r"|\bкуда\s+(?:\w+\s+)?звонить"
    r"|\bкто\s+(?:\w+\s+)?(?:отвечает|обслуживает|ответственн)|\bч(?:ей|ья|ье|ьё|ьи)\b"
)

# a phone number (``normalize`` writes most as «ттел»), or an emergency number
_PHONE = r"ттел|\b\d{1,3}[-\s]\d{2}[-\s]\d{2}\b"
_PHONE_RE = re.compile(_PHONE + r"|\b(?:112|101|102|103|104)\b")

# «где сдать батарейки?» answered with addresses, «сколько стоит поверка?» with a price, «кто
# отвечает за опоры?» with a phone: the one fact the question asks for
_ASKED_FACTS: Final = (
    # where: an address, a room or a window
    (re.compile(r"\bгде\b[^.!?]*\?"), (_FACT_RES[4], _FACT_RES[5])),
    # how much: a price
    (
        re.compile(
            r"\bсколько\s+(?:\w+\s+)?(?:стоит|стоят|платить|заплатить)|\bцен[аыу]\b|\bстоимост"
        ),
        (_FACT_RES[2],),
    ),
    # whom to call: a phone number
    (_ASKS_CONTACT_RE, (_PHONE_RE,)),
)


def _answers_straight(complaint: str, text: str) -> bool:
    """Whether a question in the complaint gets a straight answer in the first sentences, or
    an explanation in figures."""
    if not _ASKED_RE.search(complaint):
        return False
    openings = [p.strip(" ,:;—-") for p in re.split(r"[.!?]", text)[:3]]
    if any(_STRAIGHT_RE.match(p) for p in openings):
        return True
    # «Отказаться можно.», «Бабушке можно»: a short sentence that is the yes or the no
    if any(len(p.split()) <= 3 and _STRAIGHT_WORD_RE.search(p) for p in openings[:2] if p):
        return True
    # figures answer «сколько?», not «когда?»: staffing rates are no date for a doctor
    return len(_FIGURE_RE.findall(text)) >= 2 and not _WHEN_RE.search(complaint)


def _declared_in_order(following: list[str]) -> bool:
    """Whether the words after a done verb say only that it was done by the rules, or give
    the body's tally instead of this place's work."""
    return (
        _IN_ORDER_RE.match(" ".join(following[:6])) is not None
        or _TALLY_RE.match(" ".join(following[:3])) is not None
    )


# «включено в план», «включён в региональную программу капитального ремонта»
_PLAN_AFTER_RE = re.compile(
    r"\w*\s+в\s+(?:[а-я]+\s+){0,2}(?:план|перечень|программ|график|реестр|список|титул)"
)
_FUTURE_AUX_RE = re.compile(r"\b(?:будет|будут)\s+(?:\w+\s+)?$")
_EXPLANATION_RE = re.compile(
    r"\b(?:причин\w*|связан\w*\s+с|из-за|в\s+связи\s+с|поскольку|так\s+как|потому\s+что|по\s+причине"
    r"|авари\w+\s+на|порыв\w*|в\s+результате)\b"
)
_CONTACT_RE = re.compile(_PHONE + r"|кабинет\w*\s*№?\s*\d|каб\.\s*\d")
_POLITE_RE = re.compile(
    r"(?:спасибо|благодарим|благодарю)\s+(?:вас\s+)?за\s+(?:обращени\w*|ваш\w*\s+"
    r"(?:обращени|сигнал|вопрос|неравнодуши|внимани|терпени)\w*|сигнал|информаци\w*)"
    r"|приносим\s+извинения(?:\s+за\s+\w+)?|с\s+уважением[^.]*"
)
# Durations of procedure, not of a fix: «рассмотрено в течение 30 дней», «в установленный законом
# срок (10 рабочих дней)», «срок ожидания не должен превышать 14 рабочих дней».
_CONSIDERATION_RE = re.compile(
    r"рассмотрен\w*\s+в\s+(?:течение|срок)\s+[^.]{0,30}"
    r"|(?:установленн|предусмотренн|нормативн)\w*\s+(?:законом\s+|законодательством\s+)?срок\w*[^.]{0,40}"
    r"|не\s+(?:должн\w*|может|могут)\s+превышать[^.]{0,30}"
    r"|срок\w*\s+(?:ожидания|рассмотрения|ответа|предоставления\s+ответа)[^.]{0,80}"
    # «о результатах … будет сообщено в течение 30 дней со дня регистрации»
    r"|(?:будет|будут)\s+(?:\w+\s+)?(?:сообщено|проинформирован\w*|направлен\w*)\s+в\s+течение[^.]{0,40}"
    r"|в\s+течение\s+\d+\s+(?:\w+\s+)?дн\w*\s+со\s+дня\s+(?:регистрации|поступления|получения)"
    # «доводы будут учтены при планировании … на 2025 год»: a plan to consider, not a date
    r"|учт[её]н\w*\s+при\s+(?:планировании|формировании|подготовке)[^.]{0,70}"
    # a programme's span: «программа … рассчитана на период до 2045 года»
    r"|(?:рассчитан|утвержден|реализуется|действует)\w*\s+(?:\w+\s+){0,2}до\s+20\d\d\s*(?:год\w*|г\b)?"
)
_QUOTED_NAME_RE = re.compile(r"«[^«»]{1,60}»")
# The name an answer greets, capitalised in the raw text: «Здравствуйте, Сардана!», «Дана, добрый
# день!» (not «Добрый день, яма засыпана!»)
_ADDRESSEE_RE = re.compile(
    r"^\s*(?:(?i:здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро|приветствуем|уважаем\w+)"
    r"[,\s]+((?:[А-ЯЁ][а-яё-]+\s+){0,2}[А-ЯЁ][а-яё-]+)\s*!"
    r"|((?:[А-ЯЁ][а-яё-]+\s+){0,2}[А-ЯЁ][а-яё-]+),\s*(?i:здравствуйте|добрый\s+(?:день|вечер)"
    r"|доброе\s+утро)\b)"
)
# A reporting period is no date of a fix: «за 9 месяцев 2025 года», «за 2024 год», «по итогам
# 2024 года», «по данным на 2025 год».
_REPORTED_RE = re.compile(
    r"\bза\s+(?:\d+\s+|\w+\s+)?(?:месяц\w*|квартал\w*|полугоди\w*)\s+20\d\d\s*(?:год\w*|г\b)?"
    r"|\bза\s+20\d\d\s*(?:[-–]\s*20\d\d\s*)?(?:год\w*|г\b)"
    r"|\bпо\s+(?:итогам|результатам|данным)\s+(?:на\s+)?(?:\w+\s+)?20\d\d\s*(?:год\w*|г\b)?"
)
# Numbers of regulations look like dates: «СанПиН 1.2.3685-21», «ст. 8.2 КоАП», «п. 3.1».
_LAW_NUMBER_RE = re.compile(
    r"(?:\b(?:санпин|гост|снип|сп|ст|стать\w*|п|пп|пункт\w*|подпункт\w*|част\w*|ч|раздел\w*"
    r"|глав\w*|абзац\w*|фз)|№)\.?\s*\d[\d./\-]*"
    r"|\b\d\.\d\.\d{3,}[\d./\-]*|\b\d+\.\d+/\d[\d./\-]*"
)
# The date a complaint was registered or forwarded is not a date of a fix: «обращение от 12.07»,
# «направлена 04.04.2025 в адрес подрядчика», «зарегистрировано … 12.07 и направлено».
_PAPER_DATE_BEFORE_RE = re.compile(
    r"(?:направлен|зарегистрирован|передан|перенаправлен|поступ|получен|принят)\w*[^.,;:!?]{0,40}$"
    # «контракт подписан ещё 18 марта», «работы начаты 12 мая»: not the end of the work
    r"|\b(?:подписан|начат)[аоы]?\b[^.,;:!?]{0,40}$"
    r"|(?:рассмотрен|вынесен|заседани|комисси|включени|решени)\w*[^.]{0,60}$"
    # forming a plan, not the programme «Формирование комфортной городской среды»
    r"|формировани\w*\s+(?:\w+\s+){0,2}(?:план|перечн|программ|списк|реестр|титул|бюджет)[^.]{0,50}$"
    r"|(?:обследовани|проверк|осмотр)\w*\s+(?:\S+\s+){0,3}(?:проведен|выполнен)\w*\s+$"
    # «подтвердил осмотр 10.06», «по состоянию на 01.10.2025»
    r"|(?:обследовани|проверк|осмотр)\w*\s+$|по\s+состоянию\s+на\s+$"
    # «выездом специалистов 10.11 установлено…»: the day of a visit that found something
    r"|\b(?:выездом|обследованием|проверкой|осмотром)\s+(?:\w+\s+){0,2}$"
    # a document's date: «законом от 07.02.2011 № 3-ФЗ», «письму … от 03.10.2025»
    r"|(?:закон|фз|кодекс|постановлени|приказ|письм|контракт|договор|распоряжени|решени|акт)\w*"
    r"[^.]{0,50}\bот\s*$"
    r"|(?:обращени|письм|заявлени|заявк|запрос|жалоб)\w*\s+(?:№\s*\S+\s+)?от\s*$"
    # «ответ на Ваше обращение был дан 14.08.2024»: the date of an earlier answer
    r"|\bответ\w*\b[^.]{0,40}$"
    # «№ 3-17/2278 от 17.10.2025», «Исх. … от 19.03»: «от» a date is always a document's
    r"|\bот\s*$"
)
# «рассматривался на заседании общественного совета при министерстве … 26 сентября»,
# «обсуждался на общественных слушаниях … 16.04»: a meeting's date, however long its name
_MEETING_BEFORE_RE = re.compile(r"(?:рассматрива|обсужда|заседани|слушани)\w*[^.]{0,140}$")
# «срок подготовки проектно-сметной документации – до 1 декабря», «заключён по итогам аукциона
# до 15 июня»: the term of the papers, not of the work (unless the work is named between, or the
# papers are the work's vehicle: «по проекту … до мая»)
_PAPERS_RE = re.compile(
    r"(?<!по )(?<!рамках )(?<!согласно )"
    r"(?:документаци|дизайн-проект|изыскани|экспертиз|аукцион|торгов|заседани)\w*([^.]{0,60})$"
)
_WORK_RE = re.compile(r"работ|ремонт|выполн|устран|замен|установ|вывез|вывоз|монтаж|строительств")
_PAPER_DATE_AFTER_RE = re.compile(
    r"[^.,;]{0,40}?(?:направлен|зарегистрирован|передан|перенаправлен|поступил|получен|рассмотрен"
    r"|обследовани|проверк|осмотр|не\s+(?:предусмотрен|планиру|запланирован|будет|будут))"
    r"|\s*(?:г\.?\s*)?(?:№|постановлени|распоряжени|приказ)"
)
_GREETING_RE = re.compile(
    r"^(?:здравствуйте|добрый\s+(?:день|вечер|утро)|доброе\s+утро|уважаем\w+\s+\w+|"
    r"[а-яё]+,\s*)"
)


def _content_lemmas(normalized: str) -> set[str]:
    return {
        lemma(t)
        for t in tokens(normalized)
        if len(t) > 3 and not t.isdigit() and lemma(t) not in FUNCTION_LEMMAS
    }


# Verbs of paperwork: "передано", "направлено", "рассмотрим" are not actions on the problem.
_FORMAL_VERBS = words(
    "передать направить перенаправить переадресовать зарегистрировать рассмотреть "
    "взять поручить сообщить проинформировать уведомить разобраться постараться проверить "
    "изучить проработать учесть запросить обратиться обращаться получить включить "
    "выявить подтвердить установить обнаружить определить предусмотреть регламентировать "
    "услышать понять зафиксировать отметить увидеть прочитать ознакомиться "
    # an inspection, an approval: not yet anything done about the problem; the resident's acts
    "осмотреть обследовать утвердить согласовать написать разочаровать запретить указать обязать "
    # duties laid on others, a notice put on a website, a proposal made
    "возложить разместить предложить постановить рекомендовать "
    # a place fenced off or closed while the fix waits: not the fix
    "огородить оградить ограничить приостановить "
    # «разъяснены требования правил» to those at fault: told, nothing done about the problem
    "разъяснить "
    # «вы сможете», «будет» alone, «кто пришёл на праздник», «обещали разобраться»: none is
    # work on the problem
    "смочь быть прийти обещать пообещать "
    # samples taken are an inspection; snow that fell is weather, not work; «информация доведена
    # до подрядчика», «наделены полномочиями», «переписка прекращена»
    "отобрать выпасть довести наделить прекратить задействовать "
    # «отключения связаны с аварией» explains; «продление маршрута перенесено» puts off; «акт
    # подписан» is paper
    "связать обусловить перенести подписать "
    # «41 ДТП произошло», «провал образовался из-за порыва»: an event, not a deed
    "произойти образоваться возникнуть "
    # «подрядчик предупреждён о сроках»: told, nothing done
    "предупредить "
    # «мы уверены в профессионализме», «рады, что вам понравилось»: no deed
    "уверить понравиться "
    # «средства освоены», «предложение поддержано», «очередь дойдёт», «перечень сформирован»
    "освоить поддержать дойти сформировать "
    # «договор с подрядчиком расторгнут», «срок рассмотрения продлён»: what became of the
    # papers, nothing done about the problem
    "расторгнуть продлить"
)
# «направил управляющей компании предписание», «выдано требование», «обяжут»: an order to the one
# who must fix it, the deed of an inspectorate (paperwork verbs otherwise).
_ISSUING = words("направить выдать вынести составить внести объявить")
_DEMANDS = words("предписание предостережение требование претензия представление")
_SANCTIONS = words("протокол штраф оштрафовать")
_ORDERS = _DEMANDS | _SANCTIONS
_FOUND = words("установить выявить")
_COMPETENCE = words("компетенция полномочие ведение")
_FINDINGS = frozenset({"наличие", "что", "факт", "отсутствие", "нарушение", "нарушения"})
_SET_OUT = words("выехать приехать прибыть выйти направиться отправиться")
_TALK_VERBS = words("поговорить обсудить созвониться")
# "включен в план" is a plan, "включили отопление" a done action.
_PLAN_VERBS = words("включить внести запланировать")
_PLAN_NOUNS = words("план плана планы перечень программу программы график реестр список титул")
# "приняли" is paperwork, "принят педиатр" is not.
_FORMAL_UNLESS_PARTICIPLE = words("принять")
_NEGATIONS = frozenset({"не", "ни"})
# "обращение принято", "передана ваша жалоба": a participle next to these nouns is paperwork.
_PAPER_NOUNS = words(
    "обращение вопрос информация сообщение заявка жалоба заявление письмо запрос сигнал "
    # «проверка проведена», «проведено обследование»: looked at, nothing done yet
    "проверка обследование осмотр мониторинг рейд выезд расследование проба поручение "
    # «даны исчерпывающие ответы», «приняты необходимые меры»
    "ответ мера указание "
    # «проведена разъяснительная работа», «проведены профилактические беседы»: talk, no deed
    "разъяснительный профилактический беседа"
)


def _no_deed(lem: str, before: list[str], after: list[str]) -> bool:
    """Whether a done verb (its lemma) between these words did nothing: negated («нарушений не
    установлено»), a possibility («может быть обжаловано»), paperwork next to it («обращение
    передано», «проверка проведена»), what an inspection saw («установлено наличие наката»,
    «выявлено, что…»), or a state declared in order or a tally after it."""
    if lem in _FOUND and after[:1] and after[0] in _FINDINGS:
        return True
    if lem == "отнести" and not _COMPETENCE.isdisjoint(map(lemma, after[:3])):
        return True  # «отнесено к полномочиям органов местного самоуправления»: whose job it is
    if before and before[-1] in _NEGATIONS:
        return True
    if before[-2:] in (["может", "быть"], ["могут", "быть"]):
        return True
    if any(lemma(t) == "который" for t in before[-2:]):
        return True  # «организация, к которой прикреплён ребёнок»: a description, no deed
    # numbers skipped: «обращение от 02.08.2025 поступило»
    near = [t for t in before if not t.isdigit()][-3:]
    if any(lemma(t) in _PAPER_NOUNS for t in (*near, *after[:2])):
        return True
    return _declared_in_order(after)


def _premise(complaint: str) -> frozenset[str]:
    """The done verbs a complaint states as its problem («закрыт бассейн», «спилили липы»): the
    same verb as a state in the answer («бассейн закрыт», «липы спилены») restates the problem, it
    is no deed (a deed told as an act, «мы отправили повторный запрос», still counts)."""
    toks = tokens(complaint)
    out = set()
    for i, tok in enumerate(toks):
        lem, form = word_info(tok)
        if form in (PAST, SHORT_PARTICIPLE) and not (i and toks[i - 1] in _NEGATIONS):
            out.add(_verb_of(tok, lem, form))
    return frozenset(out)


def _verb_of(tok: str, lem: str, form: str) -> str:
    """The verb behind a done word: «закрыт» is «закрыть», not the adjective «закрытый»."""
    participle = short_participle(tok) if form == SHORT_PARTICIPLE else None
    return participle[0] if participle is not None else lem


def _restates(premise: frozenset[str], tok: str, lem: str, form: str) -> bool:
    """Whether a done verb of the answer is the complaint's own problem as a state."""
    return form == SHORT_PARTICIPLE and _verb_of(tok, lem, form) in premise


def _actions(
    text: str, premise: frozenset[str] = frozenset()
) -> tuple[str | None, str | None, bool]:
    """(a done action, a planned action, whether one verb is both) found by morphology.

    The last is a contradiction: «ремонт выполнен ... работы будут выполнены после ...».
    """
    toks = tokens(text)
    done: str | None = None
    planned: str | None = None
    done_lemmas: set[str] = set()
    planned_lemmas: set[str] = set()
    for i, tok in enumerate(toks):
        lem, form = word_info(tok)
        if tok in ("будет", "будут") and i + 1 < len(toks):
            # «будет работать», «будут менять»: a plan in the imperfective future
            following, following_form = word_info(toks[i + 1])
            if following_form == INFINITIVE and following not in _FORMAL_VERBS:
                planned = planned or f"{tok} {toks[i + 1]}"
            continue
        if form not in (PAST, SHORT_PARTICIPLE, FUTURE) or _restates(premise, tok, lem, form):
            continue
        if form == SHORT_PARTICIPLE and not (short_participle(tok) or ("", True))[1]:
            continue  # «читаем», «рассматриваем»: a present participle tells of nothing done
        if lem in _FORMAL_VERBS and (
            lem not in _ISSUING
            or form == FUTURE
            or _ORDERS.isdisjoint(map(lemma, toks[i + 1 : i + 7]))
        ):
            continue
        if (form != SHORT_PARTICIPLE or tok == "принято") and lem in _FORMAL_UNLESS_PARTICIPLE:
            continue  # «Принято!» is paperwork too
        if lem in _PLAN_VERBS and (
            lem == "запланировать" or _PLAN_NOUNS.intersection(toks[i + 1 : i + 4])
        ):
            planned = planned or tok
            continue
        if _no_deed(lem, toks[max(0, i - 6) : i], toks[i + 1 : i + 6]):
            continue
        future_aux = (i and toks[i - 1] in ("будет", "будут")) or (
            i > 1 and toks[i - 2] in ("будет", "будут")
        )
        if lem in _TALK_VERBS and (form == FUTURE or future_aux):
            continue  # «поговорю с подрядчиком» promises a talk; «заведующая поговорила» is done
        if form == FUTURE or future_aux:
            planned = planned or tok
            planned_lemmas.add(lem)
        else:
            done = done or tok
            done_lemmas.add(lem)
    return done, planned, bool(done_lemmas & planned_lemmas)


# «в 2028–2030 годах», «программа на 2014–2043 гг.»: years of a programme, no date of a fix
_YEARS_RE = re.compile(r"\b20\d\d\s*[-–]\s*20\d\d\b")


# the resident writes again and says what they were told: «вы написали, что посыпан»
_TOLD_DONE_RE = re.compile(
    r"\b(?:вы\s+(?:же?\s+)?(?:на)?(?:писали|пишете)|вы\s+(?:же?\s+)?(?:ответили|отвечаете)"
    r"|вы\s+отвечали|(?:мне|нам)\s+(?:уже\s+)?ответили|в\s+ответе\s+(?:было|написано)"
    r"|получили\s+ответ\w*\s*,?\s*что"
    # «вы же в прошлый раз писали, что почистили», «говорили же, что поставили фильтры»
    r"|(?:писали|говорили|отвечали|ответили|сказали|уверяли|пишете|говорите|отвечаете)"
    r"\s*,?\s*(?:же\s*,?\s*)?что)"
)
# the resident says the trouble is back or never went: «опять яма», «пятый раз пишу», «до сих пор
# не вывезли», «обещали в мае»
_AGAIN_RE = re.compile(
    r"\b(?:опять|снова|повторно|по-прежнему|до\s+сих\s+пор|так\s+и\s+не"
    # «так и течёт», «как стояли так и стоят», «так и осталась»
    r"|так\s+и\s+\w+(?:ит|ет|ёт|ят|ут|ют|ат|ется|ится|ал|ала|ало|али|лась|лось|лись)"
    r"|(?:второй|третий|четвертый|пятый|шестой|\d+\s*-?й?)\s+раз|обещал\w*|в\s+прошлый\s+раз)\b"
)
# a new deed after the repeat: «выехали повторно», «переделали», «сегодня утром»
_NEW_WORK_RE = re.compile(
    # «повторно сообщаем», «повторного рассмотрения» are the old answer again, not new work
    r"\b(?:повторн\w*\b(?!\s+(?:сообща|информиру|разъясня|доводи|рассмотр))|заново"
    r"|ещ[её]\s+раз|дополнительн\w*|передела\w*|сегодня|вчера|утром|только\s+что|сейчас)\b"
)


# «Ранее Вам был дан ответ…», «Повторно сообщаем, что работы выполнены», «переписка может быть
# прекращена»: the body's old answer given again, however long the letter around it
_SAID_BEFORE_RE = re.compile(
    r"\bранее\s+(?:\w+\s+){0,3}(?:дан|направлен|предоставлен)\w*\s+(?:\w+\s+)?ответ"
    # «Как сообщалось ранее…», «в дополнение к ранее направленному ответу»
    r"|\bкак\s+(?:уже\s+)?(?:ранее\s+)?сообщал\w*|\bранее\s+направленн\w*\s+ответ"
    r"|\bповторно\s+(?:сообщаем|информируем|разъясняем|доводим)"
    r"|\bпереписк\w*\s+(?:\w+\s+){0,5}прекращ|\bоснований\s+для\s+повторного"
)


# a routine told instead of the work: «производится ежедневно», «выполняется регулярно»
_ROUTINE_RE = re.compile(
    r"\b(?:ежедневно|регулярно|согласно\s+графику|по\s+графику"
    r"|в\s+плановом\s+режиме|в\s+полном\s+объеме)\b"
)
# the complaint says it is not done: «не убирают», «не косили», «не посыпаны», «не вывозили»
_NOT_DONE_RE = re.compile(
    r"\bне\s+(?:\w+\s+)?(?:убира|убран|косил|кошен|посыпа|вывоз|вывез|чист|работа)"
)
# a claim with no object: «Проблема решена», «Мероприятия проведены», «Вопрос решён»
_BARE_CLAIM_RE = re.compile(
    r"\b(?:проблем\w*|вопрос\w*|мероприяти\w*|работ\w*|меры)\s+(?:\w+\s+)?"
    r"(?:решен|проведен|выполнен|устранен|принят)\w*"
)


def _fix_date(text: str) -> bool:
    """Whether the answer names a date or a period for the work (not for the paperwork, the
    procedure or a regulation's number)."""
    # a number blanked stays a number sign: «12.11.2024 № 611ж-2024» is a document's date
    dated = _LAW_NUMBER_RE.sub(" № ", _CONSIDERATION_RE.sub(" ", _REPORTED_RE.sub(" ", text)))
    dated = _YEARS_RE.sub(" ", dated)
    for m in _DATE_RE.finditer(dated):
        before = dated[max(0, m.start() - 60) : m.start()]
        if (
            _PAPER_DATE_BEFORE_RE.search(before)
            or _MEETING_BEFORE_RE.search(dated, max(0, m.start() - 150), m.start())
            or _PAPER_DATE_AFTER_RE.match(dated, m.end())
            or ((papers := _PAPERS_RE.search(before)) and not _WORK_RE.search(papers.group(1)))
        ):
            continue
        return True
    return False


# «В 2024 году отремонтировано 5 школ района», «светильники заменены в 2023 году»: work of a past
# year, the body's record or a fix that did not last, is no answer to a complaint about today.  A
# sentence with a whole year (not a day) and nothing still to come is set aside when looking for
# the deed and the date.
_WHOLE_YEAR_RE = re.compile(
    r"\bв\s+(?:20\d\d|прошлом)\s*(?:году|г\b)|\bв\s+20\d\d\s*[-–]\s*20\d\d\s*год"
    # a tally over years: «за последние три года отремонтировано 48 школ», «с 2019 года введено 6
    # школ», «за период реализации проекта выбросы сокращены на 22 %»
    r"|\bза\s+(?:последние|прошедшие|минувшие|предыдущие)\s+(?:\d+|\w+)\s+(?:лет|года?)\b"
    r"|\bза\s+(?:период|время|годы)\s+(?:реализации|действия|работы|20\d\d)"
    r"|\bза\s+(?:20\d\d|прошлый|прошедший|минувший)\s*(?:-?\s*20\d\d\s*)?(?:год|г\b)"
    r"|\bс\s+20\d\d\s*(?:года|г\b)"
    r"|\bза\s+(?:\d+\s+|\w+\s+)?(?:месяц\w*|квартал\w*|полугоди\w*)\s+20\d\d"
)
_DAY_RE = re.compile(
    r"\b\d{1,2}[./]\d{1,2}\b|\b\d{1,2}\s*(?:-?го\s*)?(?:" + _MONTHS + r")"
    r"|\b(?:в|до|к|с|по)\s+(?:" + _MONTHS + r")"
)
_HOUR_RE = re.compile(_HOUR)
_STILL_TO_COME_RE = re.compile(r"\b(?:" + _PROMISE + r"|предусм\w*|намечен\w*)")
# a sentence ends at «.», «!» or «?» and a space, but not after an abbreviation («ул. Ленина»)
_SENTENCE_END_RE = re.compile(
    r"(?<!\bул)(?<!\bд)(?<!\bг)(?<!\bпр)(?<!\bпер)(?<!\bим)(?<!\bст)(?<!\bп)(?<!\bкв)"
    r"(?<!\bобл)(?<!\bс)(?<!\bпос)(?<!\bмкр)(?<!\bр-н)(?<!\bтел)[.!?]+\s+"
)


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence that holds ``text[start:end]``."""
    begin = max((m.end() for m in _SENTENCE_END_RE.finditer(text, 0, start)), default=0)
    after = _SENTENCE_END_RE.search(text, end)
    return text[begin : after.start() if after else len(text)]


def _past_years(text: str) -> tuple[str, str | None]:
    """The text with the sentences about a past year's work (a whole year, a done verb, no day
    and nothing to come) blanked out, and the first such sentence (None when there is none)."""
    kept: list[str] = []
    first: str | None = None
    start = 0
    for end in [m.end() for m in _SENTENCE_END_RE.finditer(text)] + [len(text)]:
        sentence = text[start:end]
        start = end
        forms = (
            {word_info(t)[1] for t in tokens(sentence)}
            if _WHOLE_YEAR_RE.search(sentence)
            else set()
        )
        if (
            forms
            and FUTURE not in forms
            and (PAST in forms or SHORT_PARTICIPLE in forms)
            and not _DAY_RE.search(sentence)
            and not _STILL_TO_COME_RE.search(sentence)
        ):
            first = first or sentence.strip()
            kept.append(" . ")
        else:
            kept.append(sentence)
    return "".join(kept), first


# «Законом области установлены периоды тишины», «Согласно ГОСТ Р 50597-2017 срок устранения — до
# 20 суток», «В соответствии с приказом главного врача режим работы изменён»: what a law or an
# order says, not what was done about this complaint
_LAW_STATEMENT_RE = re.compile(
    r"\s*(?:(?:в\s+соответствии\s+с|согласно|на\s+основании)\s+(?:\w+\s+)?"
    r"(?:закон|указ|постановлени|приказ|распоряжени|гост|сп\s+\d|санпин|правил|кодекс|стать"
    r"|ст\.|пункт|п\.\s*\d|норм|федеральн)"
    # the law as the doer: «Законом области установлены…», «Указом Президента…»
    r"|(?:федеральным\s+)?(?:законом|указом|постановлением|приказом|распоряжением|правилами"
    r"|кодексом|статьей|пунктом|гост|санпин)\b)"
)


def _without_law_statements(text: str) -> str:
    """The text with the sentences that open with a law or an order blanked out."""
    kept: list[str] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END_RE.finditer(text)] + [len(text)]:
        sentence = text[start:end]
        start = end
        law = _LAW_STATEMENT_RE.match(sentence) and not _STILL_TO_COME_RE.search(sentence)
        kept.append(" . " if law else sentence)
    return "".join(kept)


def _clip(sentence: str, limit: int = 80) -> str:
    """A sentence cut to whole words within ``limit`` characters, for a reason."""
    if len(sentence) <= limit:
        return sentence.rstrip(" .!?")
    return sentence[:limit].rsplit(" ", 1)[0] + "…"


#: Points an answer starts from, and what each signal adds (+) or takes away (−); below
#: ``OTPISKA_BELOW`` it is an отписка.
_BASE: Final = 40.0
_WEIGHTS: Final[dict[str, float]] = {
    "date": 22,
    "done": 30,
    "done_patch": 6,
    "planned_dated": 18,
    "planned": 4,
    "evidence": 10,
    "explanation": 6,
    "answered": 18,
    "overlap": 6,
    "contact": 4,
    "substance": 6,
    "polite_informal": -2,
    "formal": -14,
    "formal_more": -4,
    "deferral": -22,
    "vague": -10,
    "law": -12,
    "law_many": -20,
    "contradiction": -30,
    "elsewhere": -30,
    "nothing": -12,
    "hollow": -15,
}


def rate_answer(complaint: str, answer: str) -> AnswerRating:
    """Rate an official's answer to a complaint: 0..100, with the reasons; < 50 is an отписка."""
    text = normalize(answer)
    words = tokens(text)
    if not words:
        return AnswerRating(True, 0, ("пустой ответ",))

    current, past_work = _past_years(text)
    current = _without_law_statements(current)
    has_date = _fix_date(current)
    polite = _POLITE_RE.search(text) is not None
    vague = _VAGUE_TIME_RE.search(text)
    # «Устранена 03.10. Работы будут выполнены после схода снега»: the date is a patch's or an
    # old claim's, the fix itself is promised for no day (unless its own sentence names one: «в
    # ближайшее время, а именно 9–10 декабря»)
    if (
        has_date
        and vague is not None
        and _PROMISE_BEFORE_RE.search(text, max(0, vague.start() - 80), vague.end())
        and not _fix_date(_sentence_around(text, vague.start(), vague.end()))
    ):
        has_date = False
    funding = _FUNDING_RE.search(text) if has_date else None
    if funding is not None:
        # the promise before the condition or after it: «после выделения средств работы будут
        # выполнены»
        promise = _sentence_around(text, funding.start(), funding.end())
        if _PROMISE_RE.search(promise):
            has_date = _fix_date(current.replace(promise, " . "))
            vague = vague or funding
    formal = [whole_words(text, m) for m in _FORMAL_RE.finditer(text)]
    deferral = next(
        (
            m
            for m in _DEFERRAL_RE.finditer(text)
            if not _IF_BEFORE_RE.search(text, max(0, m.start() - 70), m.start())
            and not _ARRIVED_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
            # «запись с 15 августа через Госуслуги», «подайте заявление до 1 июня»: a way with
            # its day is the answer, not the resident sent off
            and not (has_date and _WAY_RE.match(m.group(0)))
        ),
        None,
    )
    law = _LAW_RE.findall(text)
    evidence = _EVIDENCE_RE.search(text) is not None
    contradiction = _CONTRADICTION_RE.search(text) is not None
    explanation = _EXPLANATION_RE.search(text) is not None
    contact = _CONTACT_RE.search(text) is not None

    asked = normalize(complaint) if complaint else ""
    premise = _premise(asked)
    # a name in quotes is nobody's deed: «ООО «ДорСтройУл»», «программа «Чистый воздух»»; nor
    # the name the answer greets («Здравствуйте, Сардана!», «Дана, добрый день!»)
    current = _QUOTED_NAME_RE.sub("«»", current)
    greeted = _ADDRESSEE_RE.match(answer)
    if greeted is not None:
        current = current.replace(normalize(greeted.group(1) or greeted.group(2)), " ", 1)
    done, planned, self_contradicting = _actions(current, premise)
    # "вывезли часть, остальное вывезут завтра" is progress, not a contradiction
    contradiction = contradiction or (self_contradicting and not has_date)
    echoed: str | None = None
    # «выполнен 14.04 согласно графику», «восстановлено в полном объёме»: a claim of order
    ordered: str | None = None
    for m in _DONE_RE.finditer(current):
        before = current[max(0, m.start() - 30) : m.start()]
        after = tokens(current[m.end() : m.end() + 80])
        first = tokens(m.group(0))[0]
        if _no_deed(lemma(m.group(0).split()[0]), tokens(before), after):
            if ordered is None and _declared_in_order(after):
                ordered = whole_words(current, m)
            continue
        if _PLAN_AFTER_RE.match(current, m.end()) or _FUTURE_AUX_RE.search(before):
            planned = planned or whole_words(current, m)
        elif done is None and not _restates(premise, first, *word_info(first)):
            done = whole_words(current, m)
        elif done is None:  # the complaint's own word: «вы ответили «устранено»» — «Устранено»
            echoed = echoed or whole_words(current, m)
    plan = _PLANNED_RE.search(current) if planned is None else None
    if plan is not None and not _declared_in_order(tokens(current[plan.end() : plan.end() + 60])):
        planned = whole_words(current, plan)

    elsewhere = another_place(asked, text) if asked else None
    # «вы написали, что посыпан, — я сегодня упала»: the answer only repeats that it was done on a
    # day gone by, with nothing new, nothing to come and no cause — it argues with the complaint
    # instead of answering it
    told = _TOLD_DONE_RE.search(asked) is not None
    old_claim = echoed or ordered
    recurring = (
        (done is not None or (told and old_claim is not None))
        and not explanation
        and (
            told
            # «опять яма» answered «Ремонт выполнен 20.11»: a report in the passive, no doer, no
            # proof and nothing still to do
            or (
                _AGAIN_RE.search(asked) is not None
                and done is not None
                and word_info(tokens(done)[0])[1] == SHORT_PARTICIPLE
                and not evidence
                and FUTURE not in {word_info(t)[1] for t in words}
            )
        )
        and (_DAY_RE.search(current) or _HOUR_RE.search(current)) is not None
        and _NEW_WORK_RE.search(current) is None
        # a formula; a long account tells what happened since, unless it says it said it before
        and (len(words) < 30 or _SAID_BEFORE_RE.search(text) is not None)
    )
    stale_deed = (done or old_claim) if recurring else None
    if recurring:  # its deed and its date are the old ones
        done, has_date = None, False
    # «Уборка производится ежедневно, двор расчищен» to «не убирают, фото утром», «Проблема
    # решена ✅», «Необходимые мероприятия проведены»: a routine or a bare claim, nothing about
    # what was done here
    claimed = (
        done is not None
        and not evidence
        and (
            (_ROUTINE_RE.search(current) is not None and _NOT_DONE_RE.search(asked) is not None)
            or (len(words) <= 6 and _BARE_CLAIM_RE.search(current) is not None)
        )
    )
    # «Подрядчику направлено требование о вывозе», «выдано предписание»: an order with no term
    # and no proof passes the complaint on; it is no deed
    if (
        done is not None
        and not has_date
        and not evidence
        and lemma(done.split()[0]) in _ISSUING
        and _SANCTIONS.isdisjoint(map(lemma, words))
    ):
        i = current.find(done)
        demand = next((w for w in map(lemma, tokens(current[i : i + 80])) if w in _DEMANDS), None)
        # a formula; a long answer tells what the inspection found — but a warning
        # («объявлено предостережение») binds nobody to anything, however long the letter
        if demand is not None and (len(words) < 30 or demand == "предостережение"):
            done = None
    if claimed:
        done = None
    # «Специалисты выехали.», «… выехали, дерево будет убрано»: a crew sent out, with no result
    # and no term, tells the resident nothing of the problem
    if done is not None and lemma(done.split()[0]) in _SET_OUT and not has_date and not evidence:
        done = None
    straight = bool(asked) and _answers_straight(asked, text)
    answer_lemmas = _content_lemmas(text)
    complaint_lemmas = _content_lemmas(asked)
    overlap = len(answer_lemmas & complaint_lemmas)
    # Words of substance: what remains after the formal and deferral phrases are removed.
    residue = _POLITE_RE.sub(" ", _GREETING_RE.sub(" ", text))
    residue = _DEFERRAL_RE.sub(" ", _FORMAL_RE.sub(" ", residue))
    residue_words = [w for w in tokens(residue) if len(w) > 3]
    straight = straight and len(residue_words) >= 5  # «Да, информация передана» is no answer
    # asked how or where, answered with the way at length: the directions are the answer; or
    # asked anything and answered at length in plain words (no formula, no law, no «someday»,
    # not the body describing itself)
    plain = not straight and not formal and len(law) < 2 and vague is None
    instructed = plain and len(residue_words) >= 15 and _asks_how(asked) and _tells_the_way(text)
    explained = (
        plain
        and not instructed
        and deferral is None
        and len(residue_words) >= 30
        and _ASKED_RE.search(asked) is not None
        and len(_OFFICIALESE_RE.findall(text)) < 2
        and not (_ASKS_WHEN_RE.search(asked) and not has_date)
    )
    # asked where, when, how much or how: hours, prices, terms, addresses given are the answer
    informed = (
        not straight
        and not instructed
        and not explained
        and not formal
        and vague is None
        and (
            (
                _ASKED_RE.search(asked) is not None
                and sum(fact.search(text) is not None for fact in _FACT_RES) >= 2
            )
            or any(
                question.search(asked) is not None
                and any(fact.search(text) is not None for fact in facts)
                for question, facts in _ASKED_FACTS
            )
        )
    )
    if (
        (instructed or straight or informed)
        and deferral is not None
        and not _TO_DMS_RE.search(deferral[0])
    ):
        deferral = None  # «Да, …; подайте заявление в Социальный фонд» is the way, not a brush-off
    answered = straight or instructed or explained or informed

    credited = done is not None and not contradiction and elsewhere is None
    # a patch now and the real fix «в ближайшее время»: the fix has no date
    patch = vague is not None and not has_date
    law_cited = len(law) >= 2 or (bool(law) and done is None and planned is None)
    nothing = not has_date and done is None and not answered
    hollow = len(residue_words) < 4 and done is None and not has_date
    signals = {
        "date": has_date,
        "done": credited and not patch,
        "done_patch": credited and patch,
        "planned_dated": not credited and planned is not None and has_date,
        "planned": not credited and planned is not None and not has_date,
        "evidence": evidence,
        "explanation": explanation,
        "answered": answered,
        "overlap": overlap >= 2,
        "contact": contact and deferral is None,
        "substance": len(residue_words) >= 6 and deferral is None,
        "polite_informal": polite and not formal,
        "formal": bool(formal),
        "formal_more": min(len(formal) - 1, 2) if formal else 0,
        "deferral": deferral is not None,
        "vague": patch,
        "law": law_cited and len(law) < 3,
        "law_many": law_cited and len(law) >= 3,
        "contradiction": contradiction,
        "elsewhere": elsewhere is not None,
        "nothing": nothing,
        "hollow": hollow,
    }
    score = _BASE + sum(_WEIGHTS[name] * float(on) for name, on in signals.items())

    reasons: list[str] = []
    good: list[str] = []
    if has_date:
        good.append("назван срок")
    if credited:
        good.append(f"выполненное действие: «{done}»")
    elif planned is not None:
        good.append(f"конкретное действие: «{planned}»")
    if evidence:
        good.append("приложены фото или акт")
    if explanation:
        good.append("объяснена причина")
    if answered:
        good.append(
            "прямой ответ на вопрос"
            if straight
            else "объяснено, что делать"
            if instructed
            else "вопрос разъяснён по существу"
        )
    if formal and done is None and not has_date:
        reasons.append(f"только формальная фраза: «{formal[0]}»")
    if deferral is not None:
        reasons.append(f"перенос разговора: «{whole_words(text, deferral)}»")
    if vague is not None and patch:
        reasons.append(f"размытый срок: «{whole_words(text, vague)}»")
    if law_cited:
        reasons.append("ссылки на нормы права вместо ответа по существу")
    if contradiction:
        reasons.append("ответ противоречит сам себе")
    if elsewhere is not None:
        reasons.append(f"ответ о другом месте: «{elsewhere}»")
    if nothing:
        if stale_deed is not None:
            reasons.append(f"в ответ на «опять» — прежнее «{stale_deed}» с прошлой датой")
        elif past_work is not None and _actions(past_work)[0] is not None:
            reasons.append(f"работы прошлых лет вместо ответа: «{_clip(past_work)}»")
        else:
            reasons.append("нет срока или выполненного действия")
    if hollow:
        reasons.append("нет содержания по существу")

    quality = round(max(0.0, min(100.0, score)))
    otpiska = quality < OTPISKA_BELOW
    if otpiska:
        if not reasons:
            reasons.append("ответ без конкретики")
        return AnswerRating(True, quality, tuple(reasons[:4]))
    return AnswerRating(False, quality, tuple((good or ["ответ по существу"])[:3] + reasons[:1]))
