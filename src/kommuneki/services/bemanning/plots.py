"""Server-rendered SVG of a unit's forecast against its history (no script, no style attributes:
CSP-safe). Readable without colour alone: the history is a solid line with dots, the expected absence a
dashed line, the 10–90 % band an outlined area with a hatch, the absence the unit tolerates (planned
minus minimum) a dotted line, extra shifts labelled bars — each named in the legend and in <desc>."""

from __future__ import annotations

from html import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 720, 360, 52, 16, 60, 44


def forecast_plot(value: dict, staffing: dict | None = None) -> str:
    hist_dates, hist = value["history"]["dates"], value["history"]["absent"]
    dates = value["dates"]
    all_dates = hist_dates + dates
    n = len(all_dates)
    tolerated: dict[str, float] = {}
    extra: dict[str, int] = {}
    for row in (staffing or {}).get("rows", []):
        tolerated[row["date"]] = tolerated.get(row["date"], 0) + row["planned"] - row["minimum"]
        extra[row["date"]] = extra.get(row["date"], 0) + row["extra_shifts"]
    top = max([v for v in hist if v is not None] + value["q90"] + list(tolerated.values()) + [1.0]) * 1.1

    def x(i: float) -> float:
        return PAD_L + i / max(n - 1, 1) * (W - PAD_L - PAD_R)

    def y(v: float) -> float:
        return PAD_T + (1 - v / top) * (H - PAD_T - PAD_B)

    body = [
        '<defs><pattern id="bm-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1f5fa8" stroke-width="1.5"/>'
        "</pattern></defs>"
    ]
    for k in range(0, 5):
        v = top / 1.1 * k / 4
        body.append(
            f'<line x1="{PAD_L}" y1="{y(v):.1f}" x2="{W - PAD_R}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#222">'
            f"{v:.0f}</text>"
        )
    start = len(hist_dates)
    band = [f"{x(start + i):.1f},{y(v):.1f}" for i, v in enumerate(value["q90"])]
    band += [f"{x(start + i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(value["q10"])))]
    body.append(
        f'<polygon points="{" ".join(band)}" fill="url(#bm-hatch)" fill-opacity="0.5" stroke="#1f5fa8"/>'
    )
    for i, day in enumerate(dates):
        if extra.get(day):
            bar = y(0) - y(extra[day])
            body.append(
                f'<rect x="{x(start + i) - 1.5:.1f}" y="{y(extra[day]):.1f}" width="3" height="{bar:.1f}" '
                f'fill="#7a4b00" fill-opacity="0.7">'
                f"<title>{escape(day)}: {extra[day]} ekstravakter</title></rect>"
            )
    points = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(hist) if v is not None]
    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#222" stroke-width="1.5"/>')
    expected = " ".join(f"{x(start + i):.1f},{y(v):.1f}" for i, v in enumerate(value["expected"]))
    body.append(
        f'<polyline points="{expected}" fill="none" stroke="#1f5fa8" stroke-width="2.5" '
        'stroke-dasharray="6 4"/>'
    )
    if tolerated:
        line = " ".join(f"{x(start + i):.1f},{y(tolerated.get(d, 0)):.1f}" for i, d in enumerate(dates))
        body.append(
            f'<polyline points="{line}" fill="none" stroke="#b3261e" stroke-width="2" '
            'stroke-dasharray="2 3"/>'
        )
    body.append(
        f'<line x1="{x(start - 0.5):.1f}" y1="{PAD_T}" x2="{x(start - 0.5):.1f}" y2="{H - PAD_B}" '
        'stroke="#666"/>'
        f'<text x="{x(start - 0.5) + 4:.1f}" y="{PAD_T + 12}" font-size="11" fill="#222">prognose</text>'
    )
    for i in range(0, n, 14):
        body.append(
            f'<text x="{x(i):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" fill="#222">'
            f"{escape(all_dates[i][8:10])}.{escape(all_dates[i][5:7])}</text>"
        )
    legend = [
        ("#222", "", "Fravær som har vært"),
        ("#1f5fa8", "6 4", "Forventet fravær (stiplet), 10–90 % skravert"),
    ]
    if tolerated:
        legend.append(("#b3261e", "2 3", "Fravær enheten tåler (planlagt minus minimum, prikket)"))
    for k, (colour, dash, label) in enumerate(legend):
        lx, ly = PAD_L, 12 + 14 * k
        body.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{colour}" stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f'/><text x="{lx + 30}" y="{ly + 4}" font-size="11" fill="#222">{escape(label)}</text>'
        )
    if extra:
        body.append(
            f'<rect x="{PAD_L + 380}" y="8" width="3" height="10" fill="#7a4b00"/>'
            f'<text x="{PAD_L + 390}" y="16" font-size="11" fill="#222">'
            "Foreslåtte ekstravakter (søyler)</text>"
        )
    unit = escape(value["unit"])
    desc = (
        f"Fravær i {unit} de siste {len(hist_dates)} dagene (heltrukken linje) og prognosen for de neste "
        f"{len(dates)} dagene: forventet fravær (stiplet linje) med et skravert bånd der fraværet ligger "
        "med 80 % "
        "sannsynlighet. Den prikkede linjen er hvor mange som kan være borte før minimumsbemanningen brytes; "
        "de brune søylene er foreslåtte ekstravakter. Tallene står i tabellen under."
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="bm-plot" '
        f'aria-labelledby="bm-t bm-d"><title id="bm-t">Fraværsprognose for {unit}</title>'
        f'<desc id="bm-d">{desc}</desc><rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/>'
        + "".join(body)
        + f'<text x="14" y="{(H - PAD_B) / 2}" text-anchor="middle" font-size="12" fill="#222" '
        f'transform="rotate(-90 14 {(H - PAD_B) / 2})">Personer borte</text></svg>'
    )
