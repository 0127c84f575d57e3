"""Properties that hold for any tariff and session (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tariffs.pricing import ChargingPeriod, cost_round, session_price, tariff_parse

from .factories import AMSTERDAM

PRICES = st.decimals(min_value=0, max_value=10, places=2)
VATS = st.none() | st.decimals(min_value=0, max_value=25, places=1)
STEPS = st.sampled_from([0, 1, 60, 300, 900])
TIMES = st.sampled_from(["00:00", "06:00", "07:30", "17:00", "22:00", "23:59"])


@st.composite
def restrictions(draw) -> dict:
    choices = {
        "start_time": TIMES,
        "end_time": TIMES,
        "day_of_week": st.lists(
            st.sampled_from(["MONDAY", "TUESDAY", "SATURDAY", "SUNDAY"]), min_size=1, unique=True
        ),
        "min_kwh": st.integers(0, 40),
        "max_kwh": st.integers(1, 60),
        "min_power": st.integers(0, 60),
        "max_power": st.integers(1, 100),
        "min_current": st.integers(0, 64),
        "max_duration": st.integers(60, 14400),
        "min_duration": st.integers(0, 7200),
        "start_date": st.sampled_from(["2024-03-30", "2024-10-27"]),
    }
    names = draw(st.lists(st.sampled_from(sorted(choices)), max_size=3, unique=True))
    return {name: draw(choices[name]) for name in names}


@st.composite
def tariffs(draw) -> dict:
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = draw(
            st.lists(
                st.sampled_from(["ENERGY", "TIME", "PARKING_TIME", "FLAT"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        components = []
        for kind in kinds:
            component = {"type": kind, "price": draw(PRICES), "step_size": draw(STEPS)}
            vat = draw(VATS)
            if vat is not None:
                component["vat"] = vat
            components.append(component)
        element = {"price_components": components}
        limits = draw(restrictions())
        if limits:
            element["restrictions"] = limits
        elements.append(element)
    data = {"currency": "EUR", "elements": elements}
    if draw(st.booleans()):
        low = draw(st.decimals(min_value=0, max_value=5, places=2))
        data["min_price"] = {"excl_vat": low, "incl_vat": low * Decimal("1.2")}
    if draw(st.booleans()):
        high = draw(st.decimals(min_value=5, max_value=50, places=2))
        data["max_price"] = {"excl_vat": high, "incl_vat": high * Decimal("1.2")}
    return data


@st.composite
def sessions(draw) -> tuple[datetime, list[tuple[int, dict]]]:
    """A start instant (spanning DST change days) and periods [(seconds, volumes)]."""
    start = datetime(2024, 3, 30, tzinfo=UTC) + timedelta(
        minutes=draw(st.sampled_from([0, 30, 1410, 1500, 5000, 301_000, 302_400, 303_000]))
    )
    periods = []
    for _ in range(draw(st.integers(1, 5))):
        seconds = draw(st.integers(0, 3 * 3600))
        charging = draw(st.booleans())
        volumes: dict = {}
        if charging:
            volumes["ENERGY"] = draw(st.decimals(min_value=0, max_value=50, places=3))
            volumes["time"] = Decimal(seconds) / 3600
            if draw(st.booleans()):
                power = draw(st.decimals(min_value=0, max_value=150, places=1))
                volumes["MAX_POWER"] = power
                volumes["MIN_POWER"] = power / 2
        else:
            volumes["parking_time"] = Decimal(seconds) / 3600
        periods.append((seconds, volumes))
    return start, periods


def to_periods(start: datetime, periods) -> tuple[list[ChargingPeriod], datetime]:
    moment = start
    result = []
    for seconds, volumes in periods:
        result.append(
            ChargingPeriod(
                moment,
                energy=volumes.get("ENERGY"),
                time=volumes.get("time"),
                parking_time=volumes.get("parking_time"),
                min_power=volumes.get("MIN_POWER"),
                max_power=volumes.get("MAX_POWER"),
            )
        )
        moment += timedelta(seconds=seconds)
    return result, moment


def priced(tariff, start, periods):
    charging_periods, end = to_periods(start, periods)
    return session_price(
        tariff,
        charging_periods=charging_periods,
        start_date_time=start,
        end_date_time=end,
        time_zone=AMSTERDAM,
    )


@settings(max_examples=300, deadline=None)
@given(tariffs(), sessions())
def test_the_cost_is_never_negative_and_stays_within_min_and_max_price(data, session):
    tariff = tariff_parse(data)
    result = priced(tariff, *session)
    for total, bound in (
        (result.total_cost, lambda amount: amount),
        (result.rounded().total_cost, lambda amount: cost_round(amount, "EUR")),
    ):
        assert total.excl_vat >= 0
        assert total.incl_vat >= 0
        if tariff.min_price is not None:
            assert total.excl_vat >= bound(tariff.min_price.excl_vat)
            assert total.incl_vat >= bound(tariff.min_price.incl_vat)
        if tariff.max_price is not None:
            assert total.excl_vat <= bound(tariff.max_price.excl_vat)
            assert total.incl_vat <= bound(tariff.max_price.incl_vat)
    assert all(line.cost.excl_vat >= 0 for line in result.lines)


def split(periods, index: int, share: Decimal):
    """Period `index` cut in two at `share` of its duration, volumes pro rata."""
    seconds, volumes = periods[index]
    first_seconds = int(seconds * share)
    fraction = Decimal(first_seconds) / seconds
    first = {k: v * fraction for k, v in volumes.items() if k not in ("MIN_POWER", "MAX_POWER")}
    second = {k: volumes[k] - first[k] for k in first}
    for name in ("MIN_POWER", "MAX_POWER"):
        if name in volumes:
            first[name] = second[name] = volumes[name]
    halves = [(first_seconds, first), (seconds - first_seconds, second)]
    return [*periods[:index], *halves, *periods[index + 1 :]]


@settings(max_examples=300, deadline=None)
@given(tariffs(), sessions(), st.data())
def test_splitting_a_period_where_nothing_changes_never_changes_the_price(data, session, draw):
    tariff = tariff_parse(data)
    start, periods = session
    before = priced(tariff, start, periods)
    index = draw.draw(st.integers(0, len(periods) - 1))
    if periods[index][0] < 2:
        event("period too short to split")
        return
    share = draw.draw(st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("0.7")]))
    after_split = split(periods, index, share)
    # Where the engine itself splits a period, a cut placed there is a change, not a split
    # "where no restriction changes": only compare when the cut falls inside one line.
    cut = start + timedelta(seconds=sum(s for s, _ in after_split[: index + 1]))
    cut_micros = int((cut - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
    if any(line.start_micros == cut_micros for line in before.lines):
        event("cut where a restriction changes")
        return
    event("compared")
    after = priced(tariff, start, after_split)
    assert after.rounded().total_cost == before.rounded().total_cost
    assert abs(after.total_cost.excl_vat - before.total_cost.excl_vat) < Decimal("1e-18")
    assert abs(after.total_cost.incl_vat - before.total_cost.incl_vat) < Decimal("1e-18")
