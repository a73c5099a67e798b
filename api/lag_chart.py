"""The chart of /platforms/, drawn on the server: one bar per day, the day's median time to apply.

The template writes it as inline SVG (no script, no font, nothing fetched), with a title and a
description that say in words what the bars show, for people who do not see them. Durations are
written for people by `human_duration`, in the unit that suits them.
"""

from dataclasses import dataclass
from datetime import date

from api.platform_figures import Figures

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 16, 36
# The y axis's top in each unit: the smallest of these at or above the highest bar.
NICE_STEPS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 45, 60, 90, 120)
UNITS = (("seconds", 1), ("minutes", 60), ("hours", 3600), ("days", 86400))


def human_duration(seconds: float | None) -> str:
    """Under a second, 42 seconds, 3 minutes, 2.5 hours, 1.4 days; a dash for nothing."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        value, unit = seconds, "second"
    elif seconds < 90 * 60:
        value, unit = seconds / 60, "minute"
    elif seconds < 36 * 3600:
        value, unit = seconds / 3600, "hour"
    else:
        value, unit = seconds / 86400, "day"
    shown = f"{value:.0f}" if value >= 10 or unit == "second" else f"{value:.1f}".rstrip("0")
    shown = shown.rstrip(".")
    return f"{shown} {unit}{'' if shown == '1' else 's'}"


def axis_top(highest: float) -> tuple[float, str, float]:
    """The y axis's top in seconds, its unit's name and the unit's length in seconds."""
    name, length = UNITS[0]
    for candidate, candidate_length in UNITS:
        if highest >= 2 * candidate_length:
            name, length = candidate, candidate_length
    in_unit = highest / length
    step = next((step for step in NICE_STEPS if step >= in_unit), None)
    if step is None:
        step = -(-in_unit // 10) * 10
    return step * length, name, length


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    baseline_y: float
    top_y: float
    middle_y: float
    left: float
    right: float
    y_top_label: str
    y_middle_label: str
    y_unit: str
    ticks: list[Tick]

    # Where the axis labels sit: right-aligned left of the plot, each on its line's height.
    @property
    def label_x(self) -> float:
        return self.left - 8

    @property
    def tick_y(self) -> float:
        return self.baseline_y + 24

    def label_y(self, line_y: float) -> float:
        return round(line_y + 6, 2)

    @property
    def top_label_y(self) -> float:
        return self.label_y(self.top_y)

    @property
    def middle_label_y(self) -> float:
        return self.label_y(self.middle_y)

    @property
    def baseline_label_y(self) -> float:
        return self.label_y(self.baseline_y)


def lag_chart(figures: Figures) -> Chart:
    days = figures.days
    medians = [lags.median for _, lags in days if lags.median is not None]
    top, unit, length = axis_top(max(medians, default=0) or 60)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)
    baseline = TOP + plot_height
    bars = []
    for index, (day, lags) in enumerate(days):
        if lags.median is None:
            continue
        # A median of a few seconds still shows as a sliver, so the day is seen to have data.
        height = max(plot_height * lags.median / top, 1.5)
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.15, 2),
                y=round(baseline - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                label=f"{day:%-d %B}: median {human_duration(lags.median)} over "
                f"{lags.count} change{'' if lags.count == 1 else 's'}",
            )
        )
    # The first and last dates line up with the plot's edges, so neither is cut off.
    ticks = []
    if days:
        ticks = [
            Tick(LEFT, f"{days[0][0]:%-d %b}", "start"),
            Tick(
                round(LEFT + (len(days) // 2) * slot + slot / 2, 2),
                f"{days[len(days) // 2][0]:%-d %b}",
            ),
            Tick(WIDTH - RIGHT, f"{days[-1][0]:%-d %b}", "end"),
        ]
    return Chart(
        title=f"{figures.name}: median time to apply a change, day by day",
        description=describe(figures.name, days),
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        baseline_y=baseline,
        top_y=TOP,
        middle_y=TOP + plot_height / 2,
        left=LEFT,
        right=WIDTH - RIGHT,
        y_top_label=f"{top / length:g}",
        y_middle_label=f"{top / length / 2:g}",
        y_unit=unit,
        ticks=ticks,
    )


def describe(name: str, days: list[tuple[date, object]]) -> str:
    """What the bars say, in one or two sentences."""
    if not days:
        return "No days to show."
    first, last = days[0][0], days[-1][0]
    with_data = [(day, lags) for day, lags in days if lags.median is not None]
    span = f"One bar for each day from {first:%-d %B} to {last:%-d %B %Y} (UTC)"
    if not with_data:
        return f"{span}; none of the changes recorded on those days has been applied by {name} yet."
    slowest_day, slowest = max(with_data, key=lambda item: item[1].median)
    quiet = len(days) - len(with_data)
    return (
        f"{span}, its height the median time {name} took to apply the changes recorded that day. "
        f"{len(with_data)} day{'' if len(with_data) == 1 else 's'} had applied changes"
        + (f" ({quiet} without a bar)" if quiet else "")
        + f"; the slowest was {slowest_day:%-d %B}, with a median of "
        f"{human_duration(slowest.median)}."
    )
