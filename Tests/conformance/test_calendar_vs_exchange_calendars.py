"""Calendar conformance: ``GET /api/v2/market_data/calendar`` against exchange_calendars.

BrokerGate computes the NYSE calendar from rules (Sources/BrokerGateCore/Calendar/); the
reference is ``exchange_calendars.get_calendar("XNYS")`` (version pinned in
requirements.txt). For 2000-01-01..2035-12-31, day by day, both must list the same
sessions with the same regular open and close instants (early closes included). The
extended-hours fields, which exchange_calendars does not model, are checked against their
definition instead: pre-market opens 04:00 New York time, after-hours closes four hours
after the regular close (20:00, or 17:00 after a 13:00 early close).

Needs ``BROKERGATE_BASE_URL`` (exported by conftest.py in both of its modes); no auth.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import exchange_calendars
import httpx
import pandas as pd
import pytest

from support import assert_error_response

CALENDAR_PATH = "/api/v2/market_data/calendar"
NEW_YORK = ZoneInfo("America/New_York")
FIRST_YEAR = 2000
LAST_YEAR = 2035
# The endpoint accepts ranges up to 10 years; 5-year chunks stay clear of any off-by-one
# in how "10 years" is counted while keeping the request count small.
CHUNK_YEARS = 5
CHUNKS = [
    (dt.date(start, 1, 1), dt.date(min(start + CHUNK_YEARS - 1, LAST_YEAR), 12, 31))
    for start in range(FIRST_YEAR, LAST_YEAR + 1, CHUNK_YEARS)
]
REQUEST_TIMEOUT_S = 30.0
SESSION_FIELDS = (
    "date", "open_dt", "close_dt", "pre_market_open_dt", "after_hours_close_dt", "is_early_close",
)  # fmt: skip


@pytest.fixture(scope="module")
def calendar_client() -> Iterator[httpx.Client]:
    # Read at test time, not import time: conftest.py exports it when its session starts.
    base_url = os.environ.get("BROKERGATE_BASE_URL")
    if not base_url:
        pytest.skip(
            "BROKERGATE_BASE_URL is not set: run via scripts/conformance.sh or export "
            "BROKERGATE_BASE_URL=http://127.0.0.1:8080 for a running brokergate"
        )
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=REQUEST_TIMEOUT_S) as client:
        yield client


@pytest.fixture(scope="module")
def xnys() -> exchange_calendars.ExchangeCalendar:
    # One extra year each side so no chunk edge depends on the reference's own bounds.
    return exchange_calendars.get_calendar(
        "XNYS", start=f"{FIRST_YEAR - 1}-01-01", end=f"{LAST_YEAR + 1}-12-31"
    )


def _utc(text: str) -> dt.datetime:
    """An ISO 8601 UTC instant as the endpoint renders it, e.g. "2026-11-27T14:30:00Z"."""
    assert text.endswith("Z"), f"instant {text!r} is not UTC with a Z suffix"
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")


def _reference(xnys: exchange_calendars.ExchangeCalendar, start: dt.date, end: dt.date) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """date → (regular open, regular close) in UTC, from exchange_calendars."""
    sessions = xnys.sessions[(xnys.sessions >= pd.Timestamp(start)) & (xnys.sessions <= pd.Timestamp(end))]
    return {
        session.strftime("%Y-%m-%d"): (
            xnys.session_open(session).to_pydatetime(),
            xnys.session_close(session).to_pydatetime(),
        )
        for session in sessions
    }


def _served(client: httpx.Client, start: dt.date, end: dt.date) -> list[dict[str, object]]:
    response = client.get(CALENDAR_PATH, params={"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200, f"{start}..{end}: {response.status_code} {response.text[:500]}"
    body = response.json()
    assert isinstance(body, list), f"{start}..{end}: expected a JSON array, got {type(body).__name__}"
    return body


def _extended_hours_problems(row: dict[str, object], close: dt.datetime) -> list[str]:
    """Pre-market opens 04:00 New York time; after-hours closes 4 h after the regular close
    (the served one: a wrong close is reported once, by the caller)."""
    problems = []
    date = dt.date.fromisoformat(str(row["date"]))
    pre_market_open = _utc(str(row["pre_market_open_dt"])).astimezone(NEW_YORK)
    if (pre_market_open.date(), pre_market_open.time()) != (date, dt.time(4, 0)):
        problems.append(f"{date}: pre_market_open_dt {row['pre_market_open_dt']} is not 04:00 New York")
    if _utc(str(row["after_hours_close_dt"])) - close != dt.timedelta(hours=4):
        problems.append(f"{date}: after_hours_close_dt {row['after_hours_close_dt']} is not close_dt + 4 h")
    return problems


@pytest.mark.parametrize(("start", "end"), CHUNKS, ids=[f"{s.year}-{e.year}" for s, e in CHUNKS])
def test_calendar_matches_exchange_calendars_xnys(
    calendar_client: httpx.Client, xnys: exchange_calendars.ExchangeCalendar, start: dt.date, end: dt.date
) -> None:
    expected = _reference(xnys, start, end)
    rows = _served(calendar_client, start, end)

    for row in rows:
        assert isinstance(row, dict) and set(SESSION_FIELDS) <= set(row), f"missing fields: {row!r}"
    dates = [str(row["date"]) for row in rows]
    assert dates == sorted(dates), "sessions are not in date order"
    assert len(dates) == len(set(dates)), "a session is listed twice"
    missing = sorted(set(expected) - set(dates))
    extra = sorted(set(dates) - set(expected))
    assert not missing and not extra, f"sessions missing: {missing[:20]}; not sessions: {extra[:20]}"

    wrong: list[str] = []
    for row in rows:
        open_dt, close_dt = expected[str(row["date"])]
        served = (_utc(str(row["open_dt"])), _utc(str(row["close_dt"])))
        if served != (open_dt, close_dt):
            wrong.append(f"{row['date']}: served {row['open_dt']}..{row['close_dt']}, XNYS {open_dt}..{close_dt}")
        early = close_dt.astimezone(NEW_YORK).time() != dt.time(16, 0)
        if row["is_early_close"] is not early:
            wrong.append(f"{row['date']}: is_early_close {row['is_early_close']!r}, XNYS {early}")
        wrong += _extended_hours_problems(row, served[1])
    assert not wrong, f"{len(wrong)} sessions differ:\n" + "\n".join(wrong[:40])


def test_calendar_covers_every_session_2000_through_2035(
    calendar_client: httpx.Client, xnys: exchange_calendars.ExchangeCalendar
) -> None:
    """The chunks join without gap or overlap: the union is exactly the reference."""
    served = [row["date"] for start, end in CHUNKS for row in _served(calendar_client, start, end)]
    expected = _reference(xnys, CHUNKS[0][0], CHUNKS[-1][1])
    assert len(served) == len(expected) and set(served) == set(expected)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-01", "2026-11-30"),  # start after end
        ("1999-12-01", "2000-01-31"),  # before the calendar's range
        ("2040-12-01", "2041-01-31"),  # after the calendar's range
        ("2026-1-5", "2026-02-01"),  # not YYYY-MM-DD
        ("2000-01-01", "2035-12-31"),  # longer than 10 years
    ],
)
def test_calendar_bad_range_is_400_with_error_body(calendar_client: httpx.Client, start: str, end: str) -> None:
    response = calendar_client.get(CALENDAR_PATH, params={"start": start, "end": end})
    assert_error_response(response, 400)
