"""The public page /platforms/: which platforms follow the registry, and how quickly they apply
artists' changes (the figures: api/platform_figures.py; the charts: api/lag_chart.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from api.lag_chart import human_duration, lag_chart
from api.platform_figures import DAYS, WITHIN, page_data


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


@require_http_methods(["GET", "HEAD"])
def platforms(request: HttpRequest) -> HttpResponse:
    data = page_data()
    rows = [
        {
            "figures": figures,
            "median": human_duration(figures.lags.median),
            "p95": human_duration(figures.lags.p95),
            "within_day": percent(figures.within_day_share),
            "delivered": percent(figures.webhooks.delivered_share),
            "failed": percent(figures.webhooks.failed_share),
            "chart": lag_chart(figures),
        }
        for figures in data.platforms
    ]
    return render(
        request,
        "api/platforms.html",
        {
            "data": data,
            "rows": rows,
            "days": DAYS,
            "within_hours": int(WITHIN.total_seconds() // 3600),
        },
    )
