"""Build matcher/data/varied.jsonl: terse reports and news chatter in many registers.

    python -m matcher.data.build_varied

Why: no licensed set of real residents' problem reports exists (see README.md), and the main
corpus has one author's phrasing.  This generator makes the classes the issue found missed far
more varied: terse problem reports with no question or request («доводчик сломан», «упал знак»,
«мусор, свалка»), reports in the portal register («Неудовлетворительное состояние парадной»),
requests closed by a polite «Спасибо.», complaints that mention payments, dates, laws and
portal links, statements about a provider's, an office's or an official's conduct («провайдер
подключил платные услуги без согласия», «с меня потребовали доплату за справку»), and on the
other side rhetorical questions, political asides, generic rants and residents' talk about
services, and replies to residents.  The vocabulary is taken from the topic list of product.md §3, the failure classes of
issue 12 and the category list of St Petersburg's public problem portal (as published in the
README of github.com/Timmy-Max/Appeals-to-Housing-and-Communal-Services: «Содержание МКД»,
«Фасад», «Кровля», «Подвалы», «Санитарное состояние», «Благоустройство», …); no text of any
appeal was used.

Held-out design as in build_corpus: every vocabulary list is cut by position (every fourth
entry to the test side); a test item uses only test-side entries.  Deterministic (seeded).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from matcher.data.build_corpus import TEST_EVERY, L, add_noise

T = TypeVar("T")


def side(items: Sequence[T], split: str) -> list[T]:
    """The train or test side of a list (split by position, as in build_corpus)."""
    test = [x for i, x in enumerate(items) if i % TEST_EVERY == TEST_EVERY - 1]
    train = [x for i, x in enumerate(items) if i % TEST_EVERY != TEST_EVERY - 1]
    return (test if split == "test" else train) or list(items)


SEED = 20261204
OUT = Path(__file__).resolve().parent / "varied.jsonl"


@dataclass(frozen=True, slots=True)
class Obj:
    """An object residents report: nominative, genitive, accusative, gender (m/f/n/p), topic."""

    nom: str
    gen: str
    acc: str
    gender: str
    topic: str
    kind: str  # which defects fit: see DEFECTS


def objects(block: str) -> list[Obj]:
    out: list[Obj] = []
    for line in L(block):
        topic, kind, nom, gen, acc, gender = (x.strip() for x in line.split("|"))
        out.append(Obj(nom, gen, acc, gender, topic, kind))
    return out


OBJECTS = objects("""
housing|fitting|доводчик на двери|доводчика на двери|доводчик на двери|m
housing|fitting|доводчик|доводчика|доводчик|m
housing|lamp|плафон|плафона|плафон|m
housing|fitting|поручень|поручня|поручень|m
housing|fitting|перила|перил|перила|p
housing|lamp|лампочка|лампочки|лампочку|f
housing|fitting|входная дверь|входной двери|входную дверь|f
housing|glass|окно на лестнице|окна на лестнице|окно на лестнице|n
housing|fitting|петли окна|петель окна|петли окна|p
housing|surface|фасад|фасада|фасад|m
housing|surface|штукатурка|штукатурки|штукатурку|f
housing|surface|краска на стенах|краски на стенах|краску на стенах|f
housing|hatch|люк на чердак|люка на чердак|люк на чердак|m
housing|fitting|почтовые ящики|почтовых ящиков|почтовые ящики|p
housing|machine|лифт|лифта|лифт|m
housing|leak|крыша|крыши|крышу|f
housing|fitting|козырек над входом|козырька над входом|козырек над входом|m
housing|fitting|водосточная труба|водосточной трубы|водосточную трубу|f
housing|glass|стекло в тамбуре|стекла в тамбуре|стекло в тамбуре|n
housing|machine|мусоропровод|мусоропровода|мусоропровод|m
housing|lamp|освещение в парадной|освещения в парадной|освещение в парадной|n
housing|fitting|домофон|домофона|домофон|m
housing|surface|потолок в подъезде|потолка в подъезде|потолок в подъезде|m
housing|leak|труба в подвале|трубы в подвале|трубу в подвале|f
housing|fitting|дверь в тамбур|двери в тамбур|дверь в тамбур|f
housing|lamp|свет на лестнице|света на лестнице|свет на лестнице|m
housing|surface|стены в парадной|стен в парадной|стены в парадной|p
housing|fitting|оконная рама|оконной рамы|оконную раму|f
housing|leak|батарея в подъезде|батареи в подъезде|батарею в подъезде|f
housing|surface|отмостка|отмостки|отмостку|f
housing|fitting|ступеньки крыльца|ступенек крыльца|ступеньки крыльца|p
housing|hatch|чердачный люк|чердачного люка|чердачный люк|m
roads|pit|яма|ямы|яму|f
roads|hatch|люк на дороге|люка на дороге|люк на дороге|m
roads|sign|знак|знака|знак|m
roads|sign|дорожный знак|дорожного знака|дорожный знак|m
roads|machine|светофор|светофора|светофор|m
roads|surface|бордюр|бордюра|бордюр|m
roads|surface|асфальт|асфальта|асфальт|m
roads|lamp|фонарь|фонаря|фонарь|m
roads|surface|разметка|разметки|разметку|f
roads|surface|тротуар|тротуара|тротуар|m
roads|hatch|ливневка|ливневки|ливневку|f
roads|surface|пешеходная дорожка|пешеходной дорожки|пешеходную дорожку|f
roads|lamp|уличное освещение|уличного освещения|уличное освещение|n
roads|sign|зебра|зебры|зебру|f
improvement|fitting|скамейка|скамейки|скамейку|f
improvement|fitting|качели|качелей|качели|p
improvement|fitting|горка на площадке|горки на площадке|горку на площадке|f
improvement|fitting|ограждение газона|ограждения газона|ограждение газона|n
improvement|tree|дерево|дерева|дерево|n
improvement|tree|ветки|веток|ветки|p
improvement|tree|сухое дерево|сухого дерева|сухое дерево|n
improvement|fitting|песочница|песочницы|песочницу|f
improvement|surface|газон|газона|газон|m
improvement|fitting|лавочка в сквере|лавочки в сквере|лавочку в сквере|f
improvement|tree|тополь|тополя|тополь|m
improvement|fitting|забор у площадки|забора у площадки|забор у площадки|m
improvement|fitting|карусель|карусели|карусель|f
improvement|surface|плитка в сквере|плитки в сквере|плитку в сквере|f
garbage|heap|мусор|мусора|мусор|m
garbage|heap|свалка|свалки|свалку|f
garbage|heap|старые шины|старых шин|старые шины|p
garbage|heap|покрышки|покрышек|покрышки|p
garbage|heap|старая мебель|старой мебели|старую мебель|f
garbage|heap|строительный мусор|строительного мусора|строительный мусор|m
garbage|full|контейнеры|контейнеров|контейнеры|p
garbage|heap|мешки с мусором|мешков с мусором|мешки с мусором|p
garbage|heap|диван у контейнеров|дивана у контейнеров|диван у контейнеров|m
garbage|full|мусорные баки|мусорных баков|мусорные баки|p
garbage|heap|крупногабаритный мусор|крупногабаритного мусора|крупногабаритный мусор|m
garbage|heap|бутылки и пакеты|бутылок и пакетов|бутылки и пакеты|p
snow|ice|сосульки|сосулек|сосульки|p
snow|ice|наледь|наледи|наледь|f
snow|ice|снег на тротуаре|снега на тротуаре|снег на тротуаре|m
snow|ice|гололед|гололеда|гололед|m
snow|ice|сугробы во дворе|сугробов во дворе|сугробы во дворе|p
snow|ice|снег с крыши|снега с крыши|снег с крыши|m
""")

# Defects per kind and gender (m, f, n, p).  Passive participles and past-tense damage verbs.
DEFECTS: dict[str, list[tuple[str, str, str, str]]] = {
    "fitting": [
        ("сломан", "сломана", "сломано", "сломаны"),
        ("оторван", "оторвана", "оторвано", "оторваны"),
        ("не работает", "не работает", "не работает", "не работают"),
        ("разбит", "разбита", "разбито", "разбиты"),
        ("отсутствует", "отсутствует", "отсутствует", "отсутствуют"),
        ("шатается", "шатается", "шатается", "шатаются"),
        ("погнут", "погнута", "погнуто", "погнуты"),
        ("отвалился", "отвалилась", "отвалилось", "отвалились"),
        ("висит на одном болте", "висит на одном болте", "висит", "висят"),
        (
            "в ужасном состоянии",
            "в ужасном состоянии",
            "в ужасном состоянии",
            "в ужасном состоянии",
        ),
        ("ржавый", "ржавая", "ржавое", "ржавые"),
        ("вырван", "вырвана", "вырвано", "вырваны"),
    ],
    "lamp": [
        ("не горит", "не горит", "не горит", "не горят"),
        ("разбит", "разбита", "разбито", "разбиты"),
        ("отсутствует", "отсутствует", "отсутствует", "отсутствуют"),
        ("перегорел", "перегорела", "перегорело", "перегорели"),
        ("мигает", "мигает", "мигает", "мигают"),
        ("висит на проводах", "висит на проводах", "висит на проводах", "висят на проводах"),
        ("не работает", "не работает", "не работает", "не работают"),
    ],
    "glass": [
        ("разбито", "разбита", "разбито", "разбиты"),
        ("выбито", "выбита", "выбито", "выбиты"),
        ("не закрывается", "не закрывается", "не закрывается", "не закрываются"),
        ("треснуло", "треснула", "треснуло", "треснули"),
    ],
    "surface": [
        ("разрушается", "разрушается", "разрушается", "разрушаются"),
        ("облупился", "облупилась", "облупилось", "облупились"),
        ("в трещинах", "в трещинах", "в трещинах", "в трещинах"),
        ("разбит", "разбита", "разбито", "разбиты"),
        ("исписан", "исписана", "исписано", "исписаны"),
        ("осыпается", "осыпается", "осыпается", "осыпаются"),
        ("в граффити", "в граффити", "в граффити", "в граффити"),
        ("провалился", "провалилась", "провалилось", "провалились"),
        ("весь в ямах", "вся в ямах", "всё в ямах", "все в ямах"),
    ],
    "hatch": [
        ("открыт", "открыта", "открыто", "открыты"),
        ("без крышки", "без крышки", "без крышки", "без крышек"),
        ("помят", "помята", "помято", "помяты"),
        ("провалился", "провалилась", "провалилось", "провалились"),
        ("сломан", "сломана", "сломано", "сломаны"),
        ("с вмятиной", "с вмятиной", "с вмятиной", "с вмятинами"),
        ("забит", "забита", "забито", "забиты"),
    ],
    "machine": [
        ("не работает", "не работает", "не работает", "не работают"),
        ("сломался", "сломалась", "сломалось", "сломались"),
        ("застревает", "застревает", "застревает", "застревают"),
        ("стоит", "стоит", "стоит", "стоят"),
        ("засорился", "засорилась", "засорилось", "засорились"),
    ],
    "leak": [
        ("течет", "течет", "течет", "текут"),
        ("протекает", "протекает", "протекает", "протекают"),
        ("прорвало", "прорвало", "прорвало", "прорвало"),
        ("капает", "капает", "капает", "капают"),
        ("холодная", "холодная", "холодное", "холодные"),
    ],
    "pit": [
        ("огромная", "огромная", "огромное", "огромные"),
        ("не заделана", "не заделана", "не заделано", "не заделаны"),
        ("глубокая", "глубокая", "глубокое", "глубокие"),
        ("опять появилась", "опять появилась", "опять появилось", "опять появились"),
        ("на всю дорогу", "на всю дорогу", "на всю дорогу", "по всей дороге"),
    ],
    "sign": [
        ("упал", "упала", "упало", "упали"),
        ("погнут", "погнута", "погнуто", "погнуты"),
        ("сорван", "сорвана", "сорвано", "сорваны"),
        ("лежит на земле", "лежит на земле", "лежит на земле", "лежат на земле"),
        ("стерся", "стерлась", "стерлось", "стерлись"),
        ("не виден", "не видна", "не видно", "не видны"),
        ("покосился", "покосилась", "покосилось", "покосились"),
    ],
    "tree": [
        ("упало", "упала", "упало", "упали"),
        ("висят над дорогой", "висит над дорогой", "висит над дорогой", "висят над дорогой"),
        ("аварийный", "аварийная", "аварийное", "аварийные"),
        ("сломано ветром", "сломана ветром", "сломано ветром", "сломаны ветром"),
        ("лежит поперек дорожки", "лежит поперек дорожки", "лежит поперек дорожки", "лежат"),
        ("наклонилось над домом", "наклонилась", "наклонилось над домом", "наклонились"),
    ],
    "heap": [
        ("лежит вторую неделю", "лежит вторую неделю", "лежит", "лежат вторую неделю"),
        ("на газоне", "на газоне", "на газоне", "на газоне"),
        ("не вывозится", "не вывозится", "не вывозится", "не вывозятся"),
        ("выбросили прямо во дворе", "выбросили во дворе", "выбросили", "выбросили во дворе"),
        ("по всему двору", "по всему двору", "по всему двору", "по всему двору"),
        ("кругом", "кругом", "кругом", "кругом"),
        ("у детской площадки", "у детской площадки", "у площадки", "у детской площадки"),
    ],
    "full": [
        ("переполнены", "переполнена", "переполнено", "переполнены"),
        ("не вывозятся", "не вывозится", "не вывозится", "не вывозятся"),
        ("сломаны", "сломана", "сломано", "сломаны"),
        ("горят", "горит", "горит", "горят"),
    ],
    "ice": [
        ("висят над входом", "висит над входом", "висит", "висят над входом"),
        ("не убран", "не убрана", "не убрано", "не убраны"),
        ("по всему двору", "по всему двору", "по всему двору", "по всему двору"),
        ("не посыпано", "не посыпана", "не посыпано", "не посыпаны"),
    ],
}
_GENDER = {"m": 0, "f": 1, "n": 2, "p": 3}

# Past-tense damage verbs in front of the object: «упал знак», «сорвало козырёк».
DAMAGE_LEADS = L("""
упал|упала|упало|упали
сорвало|сорвало|сорвало|сорвало
сломали|сломали|сломали|сломали
оторвали|оторвали|оторвали|оторвали
разбили|разбили|разбили|разбили
отвалился|отвалилась|отвалилось|отвалились
появился|появилась|появилось|появились
повалило|повалило|повалило|повалило
украли|украли|украли|украли
""")

PLACES = L("""
в парадной
на лестнице
в подъезде
в тамбуре
на 3 этаже
у входа
во дворе
на газоне
у дома 5
ул. Ленина 12
Садовая 14 к2
пр. Ветеранов, д. 110
в нашем доме
на Гагарина
у школы
возле остановки
на углу Мира и Советской
в 4 парадной
Кирова 7
на детской площадке
у третьего подъезда
на въезде во двор
дом 21 по Лесной
у магазина
""")

TERSE_TEMPLATES = L("""
{Obj} {defect}
{Obj} {defect} {place}
{place} {obj} {defect}
{Place} {obj} {defect}.
{Obj} {defect}!!!
{place}: {obj} {defect}
{Obj} {defect}. {Place}
{Obj} {defect}, {obj2} {defect2}
{Lead} {obj}
{Lead} {obj} {place}
{Place} {lead} {obj}
{Obj} {defect} уже месяц
опять {obj} {defect}
{Obj} - {defect}
{Obj} {defect}. Фото прилагаю
{Obj} {defect} (фото)
{Obj} {defect}, примите меры
{Obj} {defect} третью неделю, никто не реагирует
{Obj} {defect}... сколько можно
Неудовлетворительное состояние: {obj} {defect}
Неисправность: {obj} {defect} {place}
Здравствуйте. {Obj} {defect}.
Добрый день! {Place} {obj} {defect}.
{Obj} {defect}, опасно
{Obj} {defect} после ремонта
{obj} {defect} {place} фото в комментах
""")
REQUEST_TEMPLATES = L("""
Прошу заменить {obj_acc} {place}. Спасибо.
Просьба починить {obj_acc}. Спасибо.
Прошу восстановить {obj_acc}. Заранее спасибо
Примите меры: {obj} {defect}. Спасибо!
{Obj} {defect}. Прошу устранить. Спасибо.
Нужно отремонтировать {obj_acc} {place}. Спасибо
Почините пожалуйста {obj_acc}, спасибо
Когда починят {obj_acc}? Спасибо
Прошу разобраться, {obj} {defect}. С уважением, жители
Отсутствие {obj_gen} {place}. Прошу принять меры
Отсутствие {obj_gen}. Спасибо за внимание
Уберите {obj_acc} {place} пожалуйста. Спасибо.
""")
# Complaints that name payments, dates, laws, guarantees and portal links (no ads).
CONTEXT_TEMPLATES = L("""
Оплата за содержание жилья каждый месяц, а {obj} {defect}
Оплачиваем капремонт, а {obj} {defect} {place}
Гарантия на работы 3 года, а {obj} уже {defect}
Заявка от 12.03.2024, {obj} {defect} до сих пор
Обращение на портале https://gorod.gov.spb.ru/problems/4523781 закрыто, а {obj} {defect}
По ст. 161 ЖК РФ УК обязана содержать общее имущество, а {obj} {defect}
Акция «Чистый двор» прошла, а {obj} {defect}
Писали через Госуслуги 05.02, {obj} {defect}
Платим 4500 рублей в месяц, {obj} {defect}
Ответ по ФЗ-59 пришёл, а {obj} {defect} как и раньше
Согласно постановлению 170 {obj_nom_lower} должен быть исправен, а он {defect_m}
Заявка №12345 от 01.02, {obj} {defect}
""")
SHORT_HEAPS = L("""
мусор, свалка
свалка за гаражами
мусор на газоне
шины у контейнеров
опять свалка во дворе
гора мусора у подъезда
кучи листвы не вывезли
листья не убраны с осени
ветки после покоса лежат месяц
песок на тротуарах после зимы
песок по всему тротуару, пыль
граффити на фасаде
надпись на стене дома
появилась надпись на фасаде
исписали всю парадную
нет освещения в парадной
темно на лестнице
грязно в парадной, не моют
уборки в подъезде нет месяц
в тамбуре не убирают
люк помят
дверь в парадную не закрывается
упал знак на перекрестке
сорвало козырек
сорвало кровлю ветром
затопило подвал
штукатурка сыпется
поручень оторван на лестнице
QR-код не приходит после прививки
результаты ПЦР не пришли неделю
нет записи к терапевту
электронная запись к врачу не работает
талонов к педиатру нет
больничный не закрыли в поликлинике
карту в регистратуре потеряли
ковид, врач не пришел
нет воды
отопления нет
холодные батареи
лифт стоит
крыша течет
собаки у школы
дым от завода
автобус не пришел
""")

# Services and what residents say is wrong with them: statements with no object and no question.
SERVICES = L("""
other|в МФЦ
other|в паспортном столе
other|в администрации района
health|в поликлинике
health|в регистратуре
health|на скорой
health|в больнице
education|в школе
education|в детском саду
social|в соцзащите
social|в пенсионном фонде
housing|в УК
housing|в водоканале
housing|в ЖЭКе
transport|водители автобусов
transport|перевозчик
safety|участковый
safety|в полиции
garbage|регоператор
housing|диспетчеры аварийки
""")
SERVICE_FAULTS = L("""
грубо разговаривают
хамят людям
не отвечают на звонки неделю
затягивают сроки
отказали без объяснения причин
потеряли мои документы
требуют лишние справки
работают только до обеда
очереди по три часа
сделали все некачественно
ответили отпиской
берут деньги за бесплатную услугу
нарушают сроки
ведут себя некомпетентно
обещали и не сделали
ошиблись в начислениях второй раз
трубку не берут
отправляют из кабинета в кабинет
не принимают заявление
пришлось приходить три раза
""")


def service(rng: random.Random, split: str) -> Row:
    topic, who = rng.choice(side(SERVICES, split)).split("|")
    fault = rng.choice(side(SERVICE_FAULTS, split))
    text = cap(f"{who} {fault}") if rng.random() < 0.7 else cap(f"{fault} {who}")
    if rng.random() < 0.3:
        text += rng.choice(
            [". Разберитесь", ", это нормально?", ". Безобразие", ". Сколько можно"]
        )
    return Row(text, True, topic, "service", split)


# Statements about a provider's, an office's or an official's conduct: no object of the city, no
# question, often in the first person («с меня потребовали…»).  Real appeals are full of them
# (issue 12: internet providers, tenders, officials' conduct were the misses).  Vocabulary: the
# publisher categories of KZgovData («интернет», «коррупция», «соцподдержка», «медицина») and
# the Russian anti-corruption and consumer-rights terms (взятка, вознаграждение, госзакупки,
# навязывание услуг, одностороннее изменение договора); no appeal text.
AGENTS = L("""
other|интернет-провайдер|сотрудники интернет-провайдера
other|мобильный оператор|операторы связи
other|мастер провайдера|мастера провайдера
other|госслужащий|госслужащие
other|сотрудник госоргана|сотрудники госоргана
other|специалист акимата|работники администрации
other|инспектор|инспекторы
other|подрядчик|подрядчики
other|застройщик|застройщики
health|врач|врачи
health|терапевт в поликлинике|медсестры в поликлинике
social|центр занятости|сотрудники центра занятости
education|директор школы|учителя
housing|управляющая компания|сантехники из УК
transport|водитель маршрутки|контролеры в автобусах
other|сотрудник ЦОНа|сотрудники ЦОНа
other|чиновник из управления|чиновники из управления
other|оператор колл-центра|сотрудники контакт-центра
""")
# singular|plural forms of a conduct fault
CONDUCT = L("""
требует предоплату еще до подключения|требуют предоплату до подключения
навязывает платные услуги|навязывают платные услуги
подключил платные услуги без моего согласия|подключили платные услуги без согласия
в одностороннем порядке изменил условия договора|в одностороннем порядке изменили тариф
не выполняет условия договора|не выполняют условия договора
берет деньги за бесплатную справку|берут деньги за бесплатные справки
намекает на вознаграждение|намекают на «благодарность»
попросил денег за ускорение рассмотрения|попросили деньги за ускорение
в рабочее время занимается своими делами|в рабочее время играют в телефоне
ездит на служебной машине по личным делам|ездят на служебных машинах на дачу
грубит посетителям|разговаривают с людьми свысока
звонит в нерабочее время|звонят по ночам
пришел без предупреждения|пришли без предупреждения и без бахил
не соблюдает сроки|затягивают сроки на месяцы
передал работы субподрядчику|передали работы другой фирме
потерял мои документы|потеряли документы
выписал дорогие лекарства без осмотра|назначают лечение не глядя
курил в квартире во время работы|курили в подъезде во время работ
оставил мусор после работы|оставили мусор после себя
сделал работу кое-как и ушел|сделали работу наспех и уехали
отказал без объяснения причин|отказывают без объяснения причин
заставляет работать сверхурочно бесплатно|заставляют работать в выходные
штрафует без причины|штрафуют без всяких оснований
требует справку о доходах всех родственников|требуют справки, которых нет в перечне
обещал провести интернет в село, но так и не начал|обещали провести связь, но ничего не сделали
пользовался моими вещами без спроса|трогали мои вещи без спроса
опоздал на час|опаздывают на прием на час
не предупредил о повышении цены|не предупредили о повышении тарифа
""")
# A service or a good and what is wrong with it (gender m/f/n/p for agreement).
QUALITY_THINGS = L("""
other|f|скорость интернета
other|n|качество мобильной связи
education|n|качество ремонта в нашей школе
social|p|цены в социальных магазинах
housing|p|тарифы на отопление
social|n|оформление пособия
other|f|связь в селе
housing|n|качество нового дома по госпрограмме
health|p|цены на лекарства в аптеке при больнице
social|f|очередь на жилье
education|n|питание в школьной столовой
housing|f|плата за подключение газа
garbage|m|тариф на вывоз мусора
social|p|условия в общежитии
other|f|работа горячей линии
other|n|рассмотрение заявления
""")
QUALITY_BAD = L("""
ниже, чем указано в договоре|ниже, чем указано в договоре|ниже, чем указано в договоре|ниже, чем указано в договоре
очень низкий|очень низкая|очень низкое|очень низкие
завышен|завышена|завышено|завышены
хуже с каждым месяцем|хуже с каждым месяцем|хуже с каждым месяцем|хуже с каждым месяцем
затягивается на месяцы|затягивается на месяцы|затягивается на месяцы|затягиваются на месяцы
не соответствует обещанному|не соответствует обещанному|не соответствует обещанному|не соответствуют обещанному
оставляет желать лучшего|оставляет желать лучшего|оставляет желать лучшего|оставляют желать лучшего
ужасный|ужасная|ужасное|ужасные
выросли в два раза|выросла в два раза|выросло в два раза|выросли в два раза
просто издевательство|просто издевательство|просто издевательство|просто издевательство
""")
GRIEVANCES = L("""
С меня потребовали {pay} за {doc}
За {doc} с меня взяли {pay}, хотя это бесплатно
Пришлось дать {bribe} за {doc}
За {doc} намекнули на {bribe}
Мне отказали в {benefit} без объяснений
Не могу получить {benefit} уже {dur}
Не могу добиться {benefit_gen} {dur}
Мои документы на {benefit} потеряли
Меня заставляют платить за {doc}
Меня {dur} отправляют из кабинета в кабинет за {doc}
Требуют {pay} за {doc}, это законно?
Разве за {doc} нужно платить?
Неужели нельзя нормально оформить {doc}?
Законно ли требовать {pay} за {doc}?
Как вы относитесь к тому, что за {doc} требуют {bribe}?
Тендер на {works} выиграла фирма родственника {official_gen}
Конкурс на {works} явно подстроен под одну компанию
У победителя конкурса на {works} нет ни техники, ни людей
Деньги на {works} выделили, а работ нет
""")
PAYS = L("""
доплату
5000 рублей
деньги наличными
дополнительную плату
оплату «за срочность»
""")
DOCS = L("""
справку
выписку
прописку
подключение интернета
место в детском саду
ускорение рассмотрения
справку для школы
направление к специалисту
""")
BRIBES = L("""
«подарок»
вознаграждение
«благодарность»
конверт
откат
""")
BENEFITS = L("""
пособии|пособия
жилье по программе|жилья по программе
статусе многодетной семьи|статуса многодетной семьи
компенсации за отопление|компенсации за отопление
работе по программе занятости|работы по программе занятости
инвалидности|инвалидности
""")
DURS = L("""
полгода
третий месяц
с весны
уже год
""")
WORKS = L("""
ремонт дороги
благоустройство парка
ремонт школы
строительство садика
уборку улиц
освещение поселка
""")
OFFICIALS_GEN = L("""
замакима
главы района
начальника управления
депутата
""")


def conduct(rng: random.Random, split: str) -> Row:
    topic, one, many = rng.choice(side(AGENTS, split)).split("|")
    sg, pl = rng.choice(side(CONDUCT, split)).split("|")
    text = cap(f"{one} {sg}") if rng.random() < 0.5 else cap(f"{many} {pl}")
    roll = rng.random()
    if roll < 0.25:
        text += rng.choice([". Разберитесь", ", это нормально?", ". Примите меры", "!"])
    elif roll < 0.4:
        lead = rng.choice(["Почему ", "Скажите, почему ", "Законно ли, что "])
        text = lead + text[:1].lower() + text[1:] + "?"
    return Row(text, True, topic, "conduct", split)


# «очень сложно оформить пособие»: a poor rating of getting a service done.
HARD = L("""
Очень сложно
Невозможно
Слишком долго
Крайне неудобно
Непонятно как
Дорого и долго
""")
HARD_TO = L("""
social|оформить пособие на ребенка
health|записаться к узкому специалисту
housing|дозвониться в управляющую компанию
other|получить справку в МФЦ
other|попасть на прием к главе района
housing|разобраться в квитанции за свет
education|перевести ребенка в другую школу
transport|купить проездной в киоске
other|отключить платную подписку у оператора
social|получить компенсацию за проезд
""")


def quality(rng: random.Random, split: str) -> Row:
    if rng.random() < 0.3:
        topic, what = rng.choice(side(HARD_TO, split)).split("|")
        return Row(f"{rng.choice(side(HARD, split))} {what}", True, topic, "quality", split)
    topic, gender, thing = rng.choice(side(QUALITY_THINGS, split)).split("|")
    bad = rng.choice(side(QUALITY_BAD, split)).split("|")["mfnp".index(gender)]
    text = cap(f"{thing} {bad}")
    if rng.random() < 0.3:
        text += rng.choice([". Когда это исправят?", ". Примите меры", "!!", ", сколько можно"])
    return Row(text, True, topic, "quality", split)


def grievance(rng: random.Random, split: str) -> Row:
    template = rng.choice(side(GRIEVANCES, split))
    benefit, benefit_gen = rng.choice(side(BENEFITS, split)).split("|")
    text = template.format(
        pay=rng.choice(side(PAYS, split)),
        doc=rng.choice(side(DOCS, split)),
        bribe=rng.choice(side(BRIBES, split)),
        benefit=benefit,
        benefit_gen=benefit_gen,
        dur=rng.choice(side(DURS, split)),
        works=rng.choice(side(WORKS, split)),
        official_gen=rng.choice(side(OFFICIALS_GEN, split)),
    )
    topic = "social" if "{benefit" in template else "other"
    return Row(text, True, topic, "grievance", split)


# --- the other side: news chatter, rhetorical questions, replies -------------------------------

NEWS_SUBJECTS = L("""
Путин
госдума
депутаты
американцы
Европа
НАТО
санкции
Кадыров
либералы
пропаганда
оппозиция
Китай
олимпийский комитет
фигуристки
эти актеры
создатели сериала
футболисты
наши чиновники в Москве
блогеры
журналисты
""")
NEWS_TEMPLATES = L("""
{subj} опять за свое
Почему {subj} всегда врут?
Зачем нам {subj}?
А куда смотрит {subj}?
Сколько можно терпеть {subj_acc}?
Кто вообще верит в {subj_acc}?
{subj} нас всех переживут
Ну и что теперь будет, {subj} молчат?
Где логика? {subj} сами себе противоречат
Интересно, {subj} хоть раз признают ошибку?
Почему это вообще новость?
Зачем это постить?
Кто это смотрит вообще?
И что дальше? Опять все заплатим мы
Как же надоели эти новости
Неужели кто-то еще верит?
Разве это кого-то удивляет?
Вот и вся политика
Кто бы сомневался
В чем смысл этой новости?
А судьи кто?
Ну и зачем нам это все?
Какая разница, все равно ничего не изменится
Куда катится страна
Когда уже это закончится?
Сколько еще будут это показывать?
""")
# Generic rants under news: misconduct words with no incident, no place and no writer's own
# case («все они там взяточники») are conversation, not a report.
RANTS = L("""
Все они там взяточники, ничего нового
Коррупция везде, как всегда
Опять откаты, кто бы сомневался
Чиновники воруют, а народ терпит
Ну конечно, родственникам все тендеры
Как обычно, деньги распилили
Весь интернет теперь под запретом, дожили
Операторы связи все одинаковые
Врачи сами виноваты, не хотят работать
Вот так у нас всегда: кумовство и блат
В этой стране без взятки никуда
Да все они в сговоре
Тарифы растут, зарплаты нет, вот и вся экономика
Ага, а служебные машины у них на дачах, смешно
Ничего не изменится, хоть сколько пиши
Сложно сказать, кто тут прав
Долго думал, что ответить на это
Дорого и бессмысленно, как и все у них
Непонятно, зачем это вообще показывают
""")
# Residents talking about services among themselves, or praising them: the provider and
# office words of the conduct rows above with nothing wrong reported.
SERVICE_TALK = L("""
У кого какой оператор связи в нашем районе?
Посоветуйте нормальный тариф на интернет
Интернет сегодня летает, спасибо провайдеру
Связь в селе наконец нормальная, спасибо
Кто подключался к оптоволокну, как впечатления?
Сотрудники ЦОНа вежливые, все быстро оформили
Мастер провайдера пришел вовремя, молодец
Подскажите соседям номер диспетчера, у меня есть
Центр занятости помог с курсами, рекомендую
Какой номер у нашего участкового, кто знает?
Договор на интернет можно скачать на сайте, я нашла
Победитель конкурса уже известен, работы начнутся весной
Пособие пришло вовремя, спасибо
""")
REPLIES = L("""
я тоже так думаю
сам ты такой
видимо вы не в курсе
у меня тоже так было
сами разбирайтесь
ты сам видимо не читал
тоже мне эксперт
это вы сами придумали?
а вы где живете?
а при чем тут это?
и что?
согласна полностью
да ну, не может быть
ну так и сиди дома
вот именно
вы сами себе противоречите
пиши грамотно сначала
у нас тоже такое было лет пять назад
сам туда иди
видимо вам больше делать нечего
""")
SUBJ_ACC = {
    "Путин": "Путина",
    "госдума": "госдуму",
    "Европа": "Европу",
    "пропаганда": "пропаганду",
    "оппозиция": "оппозицию",
}


def agree(obj: Obj, forms: Sequence[str]) -> str:
    return forms[_GENDER[obj.gender]]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    needs_answer: bool
    topic: str
    kind: str
    split: str


_NOT_REPAIRED = frozenset({"heap", "full", "ice", "tree", "pit"})
_REPAIR_RE = re.compile(r"замен|почин|Почин|восстанов|отремонт")


def terse(rng: random.Random, split: str) -> Row:
    objs = side(OBJECTS, split)
    obj = rng.choice(objs)
    kinds = side(DEFECTS[obj.kind], split)
    defect = agree(obj, rng.choice(kinds))
    other = rng.choice([o for o in objs if o.topic == obj.topic] or objs)
    defect2 = agree(other, rng.choice(side(DEFECTS[other.kind], split)))
    lead = agree(obj, rng.choice(side(DAMAGE_LEADS, split)).split("|"))
    place = rng.choice(side(PLACES, split))
    roll = rng.random()
    if roll < 0.55:
        template = rng.choice(side(TERSE_TEMPLATES, split))
        kind = "terse"
    elif roll < 0.8:
        template = rng.choice(side(REQUEST_TEMPLATES, split))
        if obj.kind in _NOT_REPAIRED and _REPAIR_RE.search(template):
            template = "Уберите {obj_acc} {place} пожалуйста. Спасибо."
        kind = "request_thanks"
    else:
        template = rng.choice(side(CONTEXT_TEMPLATES, split))
        kind = "context"
    text = template.format(
        Obj=cap(obj.nom),
        obj=obj.nom,
        obj2=other.nom,
        obj_acc=obj.acc,
        obj_gen=obj.gen,
        obj_nom_lower=obj.nom,
        defect=defect,
        defect2=defect2,
        defect_m=rng.choice(kinds)[0],
        Lead=cap(lead),
        lead=lead,
        place=place,
        Place=cap(place),
    )
    return Row(text, True, obj.topic, kind, split)


def short_heap(rng: random.Random, split: str) -> Row:
    text = rng.choice(side(SHORT_HEAPS, split))
    return Row(text, True, short_topic(text), "terse", split)


_SHORT_TOPICS = [
    (r"пцр|qr|запис|талон|больничн|регистратур|ковид|врач", "health"),
    (r"знак|песок|тротуар", "roads"),
    (
        r"граффити|надпись|парадн|подъезд|тамбур|лестниц|штукатур|поручен|люк|козыр|кровл|подвал"
        r"|вод|отоплен|батаре|лифт|крыш",
        "housing",
    ),
    (r"мусор|свалк|шины|листв|листья|ветки", "garbage"),
    (r"собак", "animals"),
    (r"завод", "ecology"),
    (r"автобус", "transport"),
]


def short_topic(text: str) -> str:
    for pattern, topic in _SHORT_TOPICS:
        if re.search(pattern, text.lower()):  # «QR-код» is health too
            return topic
    return "other"


def chatter(rng: random.Random, split: str) -> Row:
    roll = rng.random()
    if roll < 0.15:
        return Row(rng.choice(side(RANTS, split)), False, "other", "rant", split)
    if roll < 0.27:
        return Row(rng.choice(side(SERVICE_TALK, split)), False, "other", "service_talk", split)
    if roll < 0.6:
        subj = rng.choice(side(NEWS_SUBJECTS, split))
        template = rng.choice(side(NEWS_TEMPLATES, split))
        text = template.format(
            subj=cap(subj) if template.startswith("{") else subj, subj_acc=SUBJ_ACC.get(subj, subj)
        )
        kind = "news_chatter"
    else:
        text = "[id1|Собеседник], " + rng.choice(side(REPLIES, split))
        if rng.random() < 0.3:
            obj = rng.choice(side(OBJECTS, split))
            text += f", {obj.nom} тут ни при чем"
        kind = "reply"
    return Row(text, False, "other", kind, split)


PLAN = {
    "terse": 1500,
    "heap": 260,
    "service": 500,
    "conduct": 450,
    "quality": 250,
    "grievance": 350,
    "chatter": 1000,
}
TEST_SCALE = 0.3


def build(seed: int = SEED) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    for split, scale in (("train", 1.0), ("test", TEST_SCALE)):
        for kind, make in (
            ("terse", terse),
            ("heap", short_heap),
            ("service", service),
            ("conduct", conduct),
            ("quality", quality),
            ("grievance", grievance),
            ("chatter", chatter),
        ):
            rows.extend(make(rng, split) for _ in range(int(PLAN[kind] * scale)))
    out: list[Row] = []
    seen: dict[str, str] = {}
    for row in rows:
        text = add_noise(row.text, rng, needs=row.needs_answer, level=0.8)
        key = re.sub(r"\W+", " ", text.lower()).strip()
        if seen.get(key, row.split) != row.split or key in seen:
            continue  # a test text equal to a train text (or a repeat) is dropped
        seen[key] = row.split
        out.append(Row(text, row.needs_answer, row.topic, row.kind, row.split))
    return out


_NO_TOPIC_KINDS = frozenset({"conduct", "quality", "grievance"})


def topic_label(r: Row) -> str | None:
    """No topic for "other" statements about conduct: they are here to teach "needs an
    answer", and as topic examples their few repeated words would pull every comment that
    shares them to "other"."""
    if r.topic == "other" and r.kind in _NO_TOPIC_KINDS:
        return None
    return r.topic


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for i, r in enumerate(rows):
            doc = {
                "id": f"v{i:05d}",
                "text": r.text,
                "needs_answer": r.needs_answer,
                "topic": topic_label(r),
                "split": r.split,
                "kind": r.kind,
                "source": "varied",
            }
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    n_test = sum(r.split == "test" for r in rows)
    print(f"varied.jsonl: {len(rows)} comments ({len(rows) - n_test} train, {n_test} test)")


if __name__ == "__main__":
    main()
