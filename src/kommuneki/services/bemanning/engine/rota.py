"""Rota repair: who may take an extra shift under arbeidsmiljøloven, from the rota alone.

Input is the rota only — named shifts with their hours per person (``person,date,shift,from,to``), no
absence data, no absence types, nothing about why a shift is open. For one open shift every person who may
take it without breaking a working-time rule is listed, unranked (in the rota's order); where nobody may,
the day is explained in plain Norwegian. :func:`repair` fills several open shifts at once with OR-Tools
CP-SAT under the same rules (fewest overtime hours among the fullest covers).

The rules are data (:data:`RULES`, with the law's reference); the limits that depend on the working-time
arrangement and on agreements are in :data:`NORMAL_HOURS` and :data:`AGREEMENTS`. Checked against the
text of arbeidsmiljøloven §§ 10-4, 10-5, 10-6 and 10-8 as in force in 2026 (see docs/services/bemanning.md
for what was checked and what is simplified). Periods: "7 days" are the rota's calendar weeks (Monday
00:00 to Monday 00:00), "4 weeks" any four consecutive calendar weeks of the rota, "24 hours" any 24-hour
window (checked from each shift's start).

Overtime is defined by the law, not by the contract: hours beyond the limits for normal working hours
(§ 10-4, or the averaged limits of § 10-5 where the rota averages) in a calendar day or a week are
overtime (§ 10-6 (1)); the rota's own planned hours count as normal hours. Hours up to the limits are
merarbeid for a part-timer and not overtime by the law.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from ....core.errors import InvalidInput
from ....ingest.tabular import excel_as_csv, is_excel
from ....ingest.tabular_mapping import EXCEL_SERIAL, parse_mapping_text, resolve
from .errors import InputError
from .schemas import ROTA

MINUTE = dt.timedelta(minutes=1)

# § 10-4: normal working hours per 7 days (and per 24 hours) by arrangement
NORMAL_HOURS = {
    "vanlig": {"week": 40.0, "law": "aml. § 10-4 (1)"},
    "turnus": {"week": 38.0, "law": "aml. § 10-4 (4)"},  # two shifts with Sunday work; round the clock
    "helkontinuerlig": {"week": 36.0, "law": "aml. § 10-4 (5)"},  # continuous shifts and similar rotas
}
# the agreement the unit works under: limits per 24 hours (normal hours, total) and overtime limits
AGREEMENTS = {
    "ingen": {
        "normal_day": 9.0,  # § 10-4 (1)
        "total_day": 13.0,  # § 10-6 (8)
        "overtime_week": 10.0,  # § 10-6 (4)
        "overtime_4weeks": 25.0,  # § 10-6 (4)
        "law": "aml. §§ 10-4 (1), 10-6 (4) og (8)",
    },
    "individuell": {
        "normal_day": 10.0,  # § 10-5 (1): written agreement with the employee on averaging
        "total_day": 13.0,
        "overtime_week": 10.0,
        "overtime_4weeks": 25.0,
        "law": "aml. §§ 10-5 (1), 10-6 (4) og (8)",
    },
    "tillitsvalgte": {
        "normal_day": 12.5,  # § 10-5 (2): agreement with the tillitsvalgte (tariff-bound employer)
        "total_day": 16.0,  # § 10-6 (9)
        "overtime_week": 20.0,  # § 10-6 (5)
        "overtime_4weeks": 50.0,  # § 10-6 (5)
        "law": "aml. §§ 10-5 (2), 10-6 (5) og (9)",
    },
}
DAILY_REST_H = 11.0  # § 10-8 (1)
WEEKLY_REST_H = 35.0  # § 10-8 (2)
TOTAL_WEEK_H = 48.0  # § 10-6 (8) (averaging over 8 weeks not used: a 4-week rota cannot show it)

# Bounds on one rota file (the check walks every week of the rota for every person): a year is far more
# than a rota plans, and 100,000 shifts are some 1,800 people over eight weeks.
MAX_ROTA_DAYS = 366
MAX_ROTA_SHIFTS = 100_000


@dataclass(frozen=True)
class Rule:
    id: str
    law: str
    text: str  # Norwegian: why the person may not take the shift
    short: str  # Norwegian, for the day's explanation: "ingen ledig med …"


RULES = (
    Rule("opptatt", "—", "Er allerede på vakt da.", "ingen ledig: de andre er på jobb under"),
    Rule(
        "daglig_hvile_for",
        "aml. § 10-8 (1)",
        "Under 11 timer hvile før vakten.",
        "ingen ledig med nok hviletid før",
    ),
    Rule(
        "daglig_hvile_etter",
        "aml. § 10-8 (1)",
        "Under 11 timer hvile etter vakten.",
        "ingen ledig med nok hviletid etter",
    ),
    Rule(
        "ukentlig_hvile",
        "aml. § 10-8 (2)",
        "Ville ikke fått 35 timer sammenhengende fri den uka.",
        "ingen ledig som fortsatt får 35 timer sammenhengende fri i uka til",
    ),
    Rule(
        "samlet_dogn",
        "aml. § 10-6 (8) og (9)",
        "Ville jobbet mer enn tillatt i løpet av 24 timer.",
        "ingen ledig uten å jobbe for mange timer i løpet av 24 timer til",
    ),
    Rule(
        "samlet_uke",
        "aml. § 10-6 (8)",
        "Ville jobbet mer enn 48 timer den uka.",
        "ingen ledig uten å passere 48 timer i uka til",
    ),
    Rule(
        "overtid_uke",
        "aml. § 10-6 (4) og (5), jf. §§ 10-4 og 10-5",
        "Ville fått mer overtid den uka enn loven tillater.",
        "ingen ledig uten for mye overtid i uka til",
    ),
    Rule(
        "overtid_4uker",
        "aml. § 10-6 (4) og (5), jf. §§ 10-4 og 10-5",
        "Ville fått mer overtid i løpet av fire uker enn loven tillater.",
        "ingen ledig uten for mye overtid over fire uker til",
    ),
)
RULE = {r.id: r for r in RULES}


@dataclass(frozen=True)
class Shift:
    person: str
    name: str
    start: dt.datetime
    end: dt.datetime
    extra: bool = False  # an extra shift already booked (overtime or merarbeid, not normal hours)
    unit: str = ""  # the unit the shift is worked in, where the rota export says

    @property
    def hours(self) -> float:
        return (self.end - self.start) / dt.timedelta(hours=1)


@dataclass
class Rota:
    persons: list[str]  # in order of first appearance
    shifts: dict[str, list[Shift]]  # person -> shifts sorted by start
    templates: dict[str, tuple[dt.time, dt.time]]  # shift name (lower case) -> its usual hours
    first_day: dt.date
    last_day: dt.date
    warnings: list[str] = field(default_factory=list)
    has_units: bool = False  # the export has a unit column

    @property
    def weeks(self) -> list[dt.date]:
        """Mondays of the calendar weeks the rota covers."""
        monday = self.first_day - dt.timedelta(days=self.first_day.weekday())
        out = []
        while monday <= self.last_day:
            out.append(monday)
            monday += dt.timedelta(days=7)
        return out


@dataclass(frozen=True)
class Limits:
    normal_week: float
    normal_day: float
    total_day: float
    total_week: float
    overtime_week: float
    overtime_4weeks: float
    daily_rest: float
    weekly_rest: float


def limits(arrangement: str = "turnus", agreement: str = "ingen") -> Limits:
    if arrangement not in NORMAL_HOURS:
        raise InputError(f"Ukjent arbeidstidsordning «{arrangement}» (vanlig, turnus, helkontinuerlig).")
    if agreement not in AGREEMENTS:
        raise InputError(f"Ukjent avtale «{agreement}» (ingen, individuell, tillitsvalgte).")
    a = AGREEMENTS[agreement]
    return Limits(
        NORMAL_HOURS[arrangement]["week"],
        a["normal_day"],
        a["total_day"],
        TOTAL_WEEK_H,
        a["overtime_week"],
        a["overtime_4weeks"],
        DAILY_REST_H,
        WEEKLY_REST_H,
    )


# --- reading -----------------------------------------------------------------------------------------


EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date(text: str, date_format: str | None = None) -> dt.date:
    text = text.strip()
    if re.fullmatch(EXCEL_SERIAL, text):  # an Excel serial date
        return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    for fmt in (date_format,) if date_format else ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _time(text: str) -> dt.time:
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?:[:.]00)?", text.strip())  # Excel gives 07:00:00
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(text)
    hour, minute = int(m.group(1)), int(m.group(2))
    return dt.time(0, 0) if hour == 24 and minute == 0 else dt.time(hour, minute)


def parse_rota_mapping(data: bytes) -> dict:
    """A column mapping for a rota export (the shared format, schema :data:`schemas.ROTA`)."""
    try:
        return ROTA.validate(parse_mapping_text(data.decode("utf-8-sig", errors="replace")))
    except InvalidInput as exc:
        raise InputError(exc.message) from exc


def read_rota(data: bytes, mapping: dict | None = None, filename: str = "turnus.csv") -> Rota:
    """A rota export: CSV ``person,date,shift,from,to[,unit][,extra]`` (also
    ``ansatt,dato,vakt,fra,til[,enhet][,ekstra]``; comma or semicolon; UTF-8, BOM allowed), or Excel, or
    an export with other column names through the shared column mapping (``mapping``: field → column,
    optionally ``date_format``; schema :data:`schemas.ROTA`). ``extra`` ja/nei marks an extra shift
    already booked, which counts towards overtime rather than normal hours; ``unit`` says where the shift
    is worked (needed for the planned staff per unit). A shift whose end is not after its start ends the
    next day. Every bad row is named, in Norwegian, and the file is then refused whole."""
    if is_excel(filename):
        try:
            data = excel_as_csv(data, filename)
        except InvalidInput as exc:
            raise InputError(exc.message) from exc
    text = data.decode("utf-8-sig", errors="replace")
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _read_rows(reader, mapping)
    except csv.Error as exc:  # a field over the csv module's limit (128 KB), an unclosed quote at the end
        raise InputError(
            f"Turnusfilen kan ikke leses som CSV (linje {reader.line_num}): en verdi er altfor lang, "
            "eller et anførselstegn er ikke lukket."
        ) from exc


def _read_rows(reader, mapping: dict | None) -> Rota:
    header = [h.strip() for h in next(reader, [])]
    try:
        index, missing = resolve(ROTA, header, mapping)
    except InvalidInput as exc:
        raise InputError(exc.message) from exc
    if missing:
        raise InputError(
            f"Turnusfilen mangler kolonnen «{missing[0]}» (person,date,shift,from,to), "
            "eller den trenger et kolonneoppsett."
        )
    date_format = (mapping or {}).get("date_format") or None
    errors: list[str] = []
    shifts: dict[str, list[Shift]] = {}
    usual: dict[str, dict[tuple[dt.time, dt.time], int]] = {}

    def cell(row: list[str], key: str) -> str:
        return row[index[key]].strip() if key in index and len(row) > index[key] else ""

    count = 0
    for n, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        count += 1
        if count > MAX_ROTA_SHIFTS:
            raise InputError(
                f"Turnusfilen har mer enn {MAX_ROTA_SHIFTS // 1000} 000 vakter; del den opp (for "
                "eksempel per enhet)."
            )
        try:
            person = row[index["person"]].strip()
            day = _date(row[index["date"]], date_format)
            name = row[index["shift"]].strip()
            a, b = _time(row[index["from"]]), _time(row[index["to"]])
            flag = cell(row, "extra").lower()
            if flag not in {"", "0", "nei", "no", "false", "1", "ja", "yes", "true", "x"}:
                raise ValueError(flag)
        except (IndexError, ValueError):
            errors.append(
                f"Linje {n}: er ikke person, dato, vakt, fra og til (TT:MM)"
                + (" og ekstra (ja/nei)." if "extra" in index else ".")
            )
            continue
        if not person or not name:
            errors.append(f"Linje {n}: person og vakt må fylles ut.")
            continue
        start = dt.datetime.combine(day, a)
        end = dt.datetime.combine(day, b)
        if end <= start:
            if day == dt.date.max:
                errors.append(f"Linje {n}: vakten slutter etter år 9999.")
                continue
            end += dt.timedelta(days=1)
        extra = flag in {"1", "ja", "yes", "true", "x"}
        shifts.setdefault(person, []).append(Shift(person, name, start, end, extra, cell(row, "unit")))
        counts = usual.setdefault(name.lower(), {})
        counts[(a, b)] = counts.get((a, b), 0) + 1
    if errors:
        shown = errors[:20] + ([f"… og {len(errors) - 20} feil til."] if len(errors) > 20 else [])
        raise InputError("Turnusfilen kan ikke leses:\n" + "\n".join(shown))
    if not shifts:
        raise InputError("Turnusfilen har ingen vakter.")
    for person in shifts:
        shifts[person].sort(key=lambda s: s.start)
    days = [s.start.date() for lst in shifts.values() for s in lst]
    first, last = min(days), max(days)
    if (last - first).days >= MAX_ROTA_DAYS:
        raise InputError(
            f"Turnusfilen dekker {(last - first).days + 1} dager ({first.isoformat()} til "
            f"{last.isoformat()}); en turnus kan dekke høyst {MAX_ROTA_DAYS} dager. Sjekk datoene, "
            "eller del filen opp."
        )
    templates = {name: max(c, key=c.get) for name, c in usual.items()}
    return Rota(list(shifts), shifts, templates, first, last, has_units="unit" in index)


def for_unit(rota: Rota, unit: str) -> Rota:
    """The rota for the repair of one unit: the persons who work shifts there, with all their shifts (in
    other units too — the rest and hours rules count every shift a person works)."""
    wanted = unit.strip().lower()
    persons = [p for p in rota.persons if any(s.unit.strip().lower() == wanted for s in rota.shifts[p])]
    if not persons:
        raise InputError(f"Turnusen har ingen vakter i enheten «{unit}».")
    return Rota(
        persons,
        {p: rota.shifts[p] for p in persons},
        rota.templates,
        rota.first_day,
        rota.last_day,
        has_units=True,
    )


def planned_staff(rota: Rota) -> dict[tuple[str, dt.date, str], int]:
    """The planned staff per (unit, day, shift name in lower case) — the persons on that shift, extra
    shifts already booked included (they are there). Needs the rota's ``unit`` column."""
    if not rota.has_units:
        raise InputError(
            "Turnusen har ingen kolonne for enhet (unit/enhet): planlagt bemanning per enhet kan ikke "
            "leses. Legg til kolonnen, eller velg den i kolonneoppsettet."
        )
    out: dict[tuple[str, dt.date, str], int] = {}
    for lst in rota.shifts.values():
        for s in lst:
            key = (s.unit, s.start.date(), s.name.lower())
            out[key] = out.get(key, 0) + 1
    return out


def open_shift(rota: Rota, day: dt.date, name: str, start: dt.time | None = None, end: dt.time | None = None):
    """The extra shift ``name`` on ``day``, with the hours the rota usually gives that shift."""
    if start is None or end is None:
        if name.lower() not in rota.templates:
            known = ", ".join(sorted(rota.templates))
            raise InputError(f"Vakten «{name}» finnes ikke i turnusen (kjente vakter: {known}).")
        start, end = rota.templates[name.lower()]
    a = dt.datetime.combine(day, start)
    b = dt.datetime.combine(day, end)
    if b <= a:
        if day == dt.date.max:
            raise InputError("Vakten ville slutte etter år 9999. Velg en annen dag.")
        b += dt.timedelta(days=1)
    return Shift("", name, a, b)


# --- the rules for one person and one extra shift ----------------------------------------------------


def _overlap_h(shifts, a: dt.datetime, b: dt.datetime) -> float:
    return sum(max((min(s.end, b) - max(s.start, a)) / dt.timedelta(hours=1), 0.0) for s in shifts)


def _week_of(moment: dt.datetime) -> dt.date:
    day = moment.date()
    return day - dt.timedelta(days=day.weekday())


def _week_window(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    a = dt.datetime.combine(monday, dt.time(0, 0))
    return a, a + dt.timedelta(days=7)


def _hours_in_week(shifts, monday: dt.date) -> float:
    return sum(s.hours for s in shifts if _week_of(s.start) == monday)  # a shift counts in its start week


def _overtime_in_week(shifts, planned, monday: dt.date, lim: Limits) -> float:
    """Overtime by the law in the week: hours beyond the normal weekly limit (or beyond the planned week,
    where the rota averages above it), or beyond the daily limit on a day, whichever is more."""
    week = _hours_in_week(shifts, monday)
    base = _hours_in_week(planned, monday)
    over_week = max(week - max(lim.normal_week, base), 0.0)
    over_days = 0.0
    for k in range(7):
        day = monday + dt.timedelta(days=k)
        total = sum(s.hours for s in shifts if s.start.date() == day)
        planned_day = sum(s.hours for s in planned if s.start.date() == day)
        over_days += max(total - max(lim.normal_day, planned_day), 0.0)
    return max(over_week, over_days)


def _weekly_rest_ok(shifts, monday: dt.date, need_h: float) -> bool:
    """A free stretch of ``need_h`` hours that starts in the week (at the week's start or at the end of a
    shift in it); before the rota's first and after its last day the person is taken to be free."""
    a, b = _week_window(monday)
    points = [a] + [s.end for s in shifts if a <= s.end < b]
    for p in points:
        if any(s.start < p < s.end for s in shifts):
            continue  # inside a shift
        later = [s.start for s in shifts if s.start >= p]
        if not later:
            return True  # free to the end of the rota
        free_from = p
        if p == a:  # the stretch may have begun before the week started
            before = [s.end for s in shifts if s.end <= a]
            if not before:
                return True  # free since before the rota began
            free_from = max(before)
        if (min(later) - free_from) / dt.timedelta(hours=1) >= need_h:
            return True
    return False


def check(rota: Rota, person: str, extra: Shift, lim: Limits) -> list[str]:
    """The ids of the rules the person would break by taking ``extra`` (empty: eligible)."""
    planned = rota.shifts.get(person, [])
    broken: list[str] = []
    if any(s.start < extra.end and extra.start < s.end for s in planned):
        return ["opptatt"]
    before = [s for s in planned if s.end <= extra.start]
    after = [s for s in planned if s.start >= extra.end]
    if before and (extra.start - max(s.end for s in before)) / dt.timedelta(hours=1) < lim.daily_rest:
        broken.append("daglig_hvile_for")
    if after and (min(s.start for s in after) - extra.end) / dt.timedelta(hours=1) < lim.daily_rest:
        broken.append("daglig_hvile_etter")
    shifts = sorted([*planned, extra], key=lambda s: s.start)
    monday = _week_of(extra.start)
    touched = {monday, _week_of(extra.end - MINUTE)}
    if not all(_weekly_rest_ok(shifts, w, lim.weekly_rest) for w in touched):
        broken.append("ukentlig_hvile")
    starts = [s.start for s in shifts if abs((s.start - extra.start).total_seconds()) < 86400]
    if any(_overlap_h(shifts, t, t + dt.timedelta(hours=24)) > lim.total_day + 1e-9 for t in starts):
        broken.append("samlet_dogn")
    if _hours_in_week(shifts, monday) > lim.total_week + 1e-9:
        broken.append("samlet_uke")
    normal = [s for s in planned if not s.extra]
    overtime = {w: _overtime_in_week(shifts, normal, w, lim) for w in rota.weeks}
    if overtime.get(monday, 0.0) > lim.overtime_week + 1e-9:
        broken.append("overtid_uke")
    weeks = rota.weeks
    if monday in weeks:
        i = weeks.index(monday)
        for first in range(max(0, i - 3), i + 1):
            if sum(overtime[w] for w in weeks[first : first + 4]) > lim.overtime_4weeks + 1e-9:
                broken.append("overtid_4uker")
                break
    return broken


def _label(name: str) -> str:
    low = name.lower()
    return low if low.endswith("vakt") else low + ("svakt" if low == "kveld" else "vakt")


def eligible(rota: Rota, extra: Shift, lim: Limits) -> dict:
    """Every person in the rota who may take the extra shift (unranked, in the rota's order), how many are
    stopped by each rule, and a plain Norwegian explanation when nobody may."""
    ok, blocked = [], {}
    for person in rota.persons:
        broken = check(rota, person, extra, lim)
        if broken:
            for rule in broken:
                blocked[rule] = blocked.get(rule, 0) + 1
        else:
            ok.append(person)
    day = f"{extra.start.day}.{extra.start.month}"
    shift = _label(extra.name)
    if ok:
        message = f"{len(ok)} kan ta {shift} {day} uten å bryte arbeidstidsreglene (ikke rangert)."
    else:
        reasons = {k: v for k, v in blocked.items() if k != "opptatt"} or blocked
        main = max(reasons, key=lambda k: (reasons[k], -[r.id for r in RULES].index(k)))
        parts = [
            f"{n} {RULE[k].text[0].lower() + RULE[k].text[1:-1]}"
            + (f" ({RULE[k].law})" if k != "opptatt" else "")
            for k, n in blocked.items()
        ]
        message = (
            f"{RULE[main].short[0].upper() + RULE[main].short[1:]} {shift} {day}. " + "; ".join(parts) + "."
        )
    return {
        "day": extra.start.date().isoformat(),
        "shift": extra.name,
        "start": extra.start.isoformat(timespec="minutes"),
        "end": extra.end.isoformat(timespec="minutes"),
        "label": f"{shift} {day}",
        "eligible": ok,
        "blocked": blocked,
        "message": message,
    }


# --- several open shifts at once: CP-SAT -----------------------------------------------------------


def repair(
    rota: Rota,
    open_shifts: list[Shift],
    lim: Limits,
    *,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    persons: list[str] | None = None,
) -> dict:
    """Fill the open shifts (each once) with persons of the rota under the rules, with OR-Tools CP-SAT:
    the most shifts covered, then the fewest overtime hours. Returns the assignment (shift index ->
    person), the status, the objective, its bound and the gap, and the open shifts left uncovered.

    The model holds the same rules as :func:`check`: a person may take an open shift only if she could
    take it alone (the pairwise rest and overlap rules between open shifts are added), and the totals per
    24 hours, week and four weeks, the overtime and the 35-hour weekly rest are constraints over all the
    open shifts she takes together. ``persons`` limits who may be asked (default: everyone)."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x: dict[tuple[str, int], cp_model.IntVar] = {}
    people = rota.persons if persons is None else [p for p in rota.persons if p in set(persons)]
    for p in people:
        for j, o in enumerate(open_shifts):
            if not check(rota, p, o, lim):
                x[p, j] = m.NewBoolVar(f"x_{p}_{j}")
    for j in range(len(open_shifts)):
        takers = [x[p, j] for p in people if (p, j) in x]
        if takers:
            m.Add(sum(takers) <= 1)
    overtime_terms = []
    weeks = rota.weeks
    h60 = 60
    for p in people:
        mine = [j for j in range(len(open_shifts)) if (p, j) in x]
        if not mine:
            continue
        planned = rota.shifts.get(p, [])
        normal = [s for s in planned if not s.extra]
        # pairwise: two open shifts that overlap or leave under 11 hours between them
        for a in mine:
            for b in mine:
                if a >= b:
                    continue
                sa, sb = open_shifts[a], open_shifts[b]
                first, second = (sa, sb) if sa.start <= sb.start else (sb, sa)
                gap = (second.start - first.end) / dt.timedelta(hours=1)
                if gap < lim.daily_rest:
                    m.Add(x[p, a] + x[p, b] <= 1)
        # 24 hours from each start
        anchors = {s.start for s in planned} | {open_shifts[j].start for j in mine}
        for t in anchors:
            end = t + dt.timedelta(hours=24)
            fixed = _overlap_h(planned, t, end)
            terms = [(int(round(_overlap_h([open_shifts[j]], t, end) * h60)), x[p, j]) for j in mine]
            terms = [(c, v) for c, v in terms if c > 0]
            if terms:
                m.Add(sum(c * v for c, v in terms) <= int(round((lim.total_day - fixed) * h60)))
        # per week: total hours, overtime (beyond the weekly and the daily normal limits), weekly rest
        ot_week = {}
        for w in weeks:
            in_week = [j for j in mine if _week_of(open_shifts[j].start) == w]
            base = _hours_in_week(normal, w)
            week_total = int(round(_hours_in_week(planned, w) * h60)) + sum(
                int(round(open_shifts[j].hours * h60)) * x[p, j] for j in in_week
            )
            if in_week:
                m.Add(week_total <= int(round(lim.total_week * h60)))
            ot = m.NewIntVar(0, 7 * 24 * h60, f"ot_{p}_{w}")
            if in_week:
                m.Add(ot <= int(lim.overtime_week * h60))
            m.Add(ot >= week_total - int(round(max(lim.normal_week, base) * h60)))
            day_excess = []
            for k in range(7):
                day = w + dt.timedelta(days=k)
                on_day = [j for j in in_week if open_shifts[j].start.date() == day]
                planned_day = sum(s.hours for s in normal if s.start.date() == day)
                all_day = sum(s.hours for s in planned if s.start.date() == day)
                if not on_day and all_day <= max(lim.normal_day, planned_day):
                    continue
                e = m.NewIntVar(0, 24 * h60, f"e_{p}_{day}")
                total = int(round(all_day * h60)) + sum(
                    int(round(open_shifts[j].hours * h60)) * x[p, j] for j in on_day
                )
                m.Add(e >= total - int(round(max(lim.normal_day, planned_day) * h60)))
                day_excess.append(e)
            if day_excess:
                m.Add(ot >= sum(day_excess))
            ot_week[w] = ot
            overtime_terms.append(ot)
            # weekly rest: at least one free stretch of 35 hours starting in the week stays free
            touching = [
                j
                for j in mine
                if w in {_week_of(open_shifts[j].start), _week_of(open_shifts[j].end - MINUTE)}
            ]
            if touching:
                _weekly_rest_constraint(m, x, p, planned, open_shifts, mine, w, lim)
        for i in range(len(weeks)):
            window = weeks[i : i + 4]
            takes = any(_week_of(open_shifts[j].start) in window for j in mine)
            if takes and (len(window) == 4 or i == 0):
                m.Add(sum(ot_week[w] for w in window) <= int(lim.overtime_4weeks * h60))
    covered = sum(x.values()) if x else 0
    overtime = sum(overtime_terms) if overtime_terms else 0
    big = 100_000
    m.Maximize(big * covered - overtime)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.Solve(m)
    name = solver.StatusName(status)
    assignment = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for (p, j), v in x.items():
            if solver.Value(v):
                assignment[j] = p
        objective, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
    else:
        objective = bound = float("nan")
    gap = abs(bound - objective) / max(abs(objective), 1.0) if assignment or objective == objective else None
    return {
        "status": name,
        "assignment": assignment,
        "uncovered": [j for j in range(len(open_shifts)) if j not in assignment],
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "overtime_hours": round(sum(solver.Value(t) for t in overtime_terms) / 60, 2)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and overtime_terms
        else 0.0,
        "wall_s": solver.WallTime(),
    }


def _weekly_rest_constraint(m, x, p, planned, open_shifts, mine, monday, lim: Limits) -> None:
    """At least one free stretch of 35 hours that starts in the week: a stretch runs from a start point
    (the week's start or a shift's end in the week) to the next shift start; it is free when no open shift
    the person takes lies inside it, and, for a point that is the end of an open shift, when she takes it."""
    a, b = _week_window(monday)
    candidates = []  # (start, owner open shift index or None)
    candidates.append((a, None))
    candidates += [(s.end, None) for s in planned if a <= s.end < b]
    candidates += [(open_shifts[j].end, j) for j in mine if a <= open_shifts[j].end < b]
    keep = []
    for start, owner in candidates:
        if any(s.start < start < s.end for s in planned):
            continue
        free_from = start
        if owner is None and start == a:
            before = [s.end for s in planned if s.end <= a]
            free_from = max(before) if before else dt.datetime.min
        later_planned = [s.start for s in planned if s.start >= start]
        stop = min(later_planned) if later_planned else dt.datetime.max
        # the stretch may end at the next planned shift, or earlier at an open shift she takes
        ends = [(stop, None)] + [
            (open_shifts[j].start, j) for j in mine if start <= open_shifts[j].start < stop
        ]
        for end, ender in ends:
            if free_from != dt.datetime.min and end != dt.datetime.max:
                if (end - free_from) / dt.timedelta(hours=1) < lim.weekly_rest:
                    continue
            y = m.NewBoolVar("")
            if owner is not None:
                m.Add(y <= x[p, owner])
            if ender is not None:
                m.Add(y <= x[p, ender])
            for j in mine:
                o = open_shifts[j]
                if j != owner and j != ender and o.start < end and start < o.end:
                    m.Add(y <= 1 - x[p, j])
            # an open shift inside [free_from, start) also breaks a stretch that began before the week
            if owner is None and start == a:
                for j in mine:
                    o = open_shifts[j]
                    if o.start < a and free_from < o.end:
                        m.Add(y <= 1 - x[p, j])
            keep.append(y)
    if keep:
        m.Add(sum(keep) >= 1)
    else:  # no stretch can stay free: she takes no open shift in the week
        for j in mine:
            if monday in {_week_of(open_shifts[j].start), _week_of(open_shifts[j].end - MINUTE)}:
                m.Add(x[p, j] == 0)


# --- generated rotas (tests, benchmark, demo) ---------------------------------------------------------

SHIFT_HOURS = {"dag": ("07:00", "15:00"), "kveld": ("14:30", "22:00"), "natt": ("21:45", "07:15")}


def generate_rota(
    n_persons: int = 40, weeks: int = 4, *, start: dt.date | None = None, seed: int = 0
) -> bytes:
    """A made-up three-shift rota (dag 07–15, kveld 14.30–22, natt 21.45–07.15) for ``n_persons`` people
    (Ansatt 01 …) with positions of 100, 75 and 50 %, about 35.5 hours a week at 100 %, that keeps the
    rules itself: 11 hours' rest, two days off in a row each week, no more than five shifts a week."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = start or dt.date(2026, 3, 2)
    start -= dt.timedelta(days=start.weekday())
    rows = ["person,date,shift,from,to"]
    for i in range(n_persons):
        person = f"Ansatt {i + 1:02d}"
        position = rng.choice([1.0, 0.75, 0.5], p=[0.45, 0.35, 0.2])
        nights = rng.random() < 0.2
        last: tuple[dt.date, str] | None = None
        for w in range(weeks):
            monday = start + dt.timedelta(days=7 * w)
            shifts = int(round(position * rng.choice([4, 5])))
            off_pair = int(rng.integers(0, 6))  # two days off in a row: off_pair, off_pair + 1
            days = [d for d in range(7) if d not in (off_pair, off_pair + 1)]
            chosen = sorted(rng.choice(days, size=min(shifts, len(days)), replace=False))
            for d in chosen:
                day = monday + dt.timedelta(days=int(d))
                name = "natt" if nights else str(rng.choice(["dag", "kveld"]))
                if last and (day - last[0]).days == 1 and last[1] == "kveld" and name == "dag":
                    name = "kveld"
                if last and (day - last[0]).days == 1 and last[1] == "natt" and name != "natt":
                    continue
                a, b = SHIFT_HOURS[name]
                rows.append(f"{person},{day.isoformat()},{name},{a},{b}")
                last = (day, name)
    return ("\n".join(rows) + "\n").encode()
