"""When reminders go out: lead days before each dated event, at the send time, never in
quiet hours (a push that would land there waits for the end of the quiet window)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.settings import Settings
from knowledge.timeline import TimelineEvent

# Dated facts that are not something to act on at a date (a report's validity must reach
# 9 月 22 日): shown in confirmations, never pushed.
NO_PUSH_KINDS = frozenset({"credential_validity"})


@dataclass(frozen=True)
class Point:
    """One reminder of one event: `key` is the outbox event_id, `day` the event's day."""

    key: str
    event: TimelineEvent
    day: dt.date
    lead: int
    edge: str  # "start" | "end" | "date"


def _hm(s: str) -> dt.time:
    h, m = s.strip().split(":")
    return dt.time(int(h), int(m))


def quiet_window(settings: Settings) -> tuple[dt.time, dt.time] | None:
    if not settings.quiet_hours.strip():
        return None
    a, b = settings.quiet_hours.split("-")
    return _hm(a), _hm(b)


def in_quiet(local: dt.datetime, settings: Settings) -> bool:
    q = quiet_window(settings)
    if q is None:
        return False
    start, end = q
    t = local.time()
    return (start <= t < end) if start < end else (t >= start or t < end)


def out_of_quiet(local: dt.datetime, settings: Settings) -> dt.datetime:
    """`local` itself, or the end of the quiet window it falls in."""
    q = quiet_window(settings)
    if q is None or not in_quiet(local, settings):
        return local
    end = q[1]
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + dt.timedelta(days=1)


def tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def to_utc(local: dt.datetime) -> dt.datetime:
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def to_local(utc_naive: dt.datetime, settings: Settings) -> dt.datetime:
    return utc_naive.replace(tzinfo=dt.UTC).astimezone(tz(settings))


def local_today(now_utc: dt.datetime, settings: Settings) -> dt.date:
    return to_local(now_utc, settings).date()


def points(event: TimelineEvent, leads: list[int]) -> list[Point]:
    """Every reminder an event gives: each lead before its date, or before a window's
    opening and closing (closing reminders that would precede the opening are dropped)."""
    if event.kind in NO_PUSH_KINDS or not event.dated:
        return []
    leads = sorted({max(0, n) for n in leads}, reverse=True)
    out: list[Point] = []
    if event.date:
        out += [Point(event.id, event, event.date, n, "date") for n in leads]
    else:
        if event.start:
            out += [Point(f"{event.id}:start", event, event.start, n, "start") for n in leads]
        if event.end:
            out += [Point(event.id, event, event.end, n, "end") for n in leads
                    if event.start is None or event.end - dt.timedelta(days=n) > event.start]
    return out


def due_at(day: dt.date, lead: int, settings: Settings) -> dt.datetime:
    """UTC (naive) moment of the reminder `lead` days before `day`."""
    local = dt.datetime.combine(day - dt.timedelta(days=lead), _hm(settings.reminder_send_time),
                                tzinfo=tz(settings))
    return to_utc(out_of_quiet(local, settings))


def defer(now_utc: dt.datetime, delay: dt.timedelta, settings: Settings) -> dt.datetime:
    """A retry moment `delay` from now, pushed out of quiet hours."""
    local = to_local(now_utc + delay, settings)
    return to_utc(out_of_quiet(local, settings))
