"""Server-rendered SVG plots for the ratio study (no script, no style attributes: CSP-safe). Each plot
has a <title> and <desc> so a screen reader gets what the picture shows."""

from __future__ import annotations

from html import escape

import numpy as np

W, H, PAD_L, PAD_B, PAD_T, PAD_R = 640, 320, 64, 48, 16, 16


def _frame(title: str, desc: str, body: list[str], xlabel: str, ylabel: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="es-plot" '
        f'aria-labelledby="t-{id(body)} d-{id(body)}"><title id="t-{id(body)}">{escape(title)}</title>'
        f'<desc id="d-{id(body)}">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>'
        + "".join(body)
        + f'<text x="{(W + PAD_L) / 2}" y="{H - 8}" text-anchor="middle" font-size="13" '
        f'fill="#222">{escape(xlabel)}</text>'
        f'<text x="14" y="{(H - PAD_B) / 2}" text-anchor="middle" font-size="13" fill="#222" '
        f'transform="rotate(-90 14 {(H - PAD_B) / 2})">{escape(ylabel)}</text></svg>'
    )


def ratio_vs_price(price: np.ndarray, ratio: np.ndarray, *, max_points: int = 1500) -> str:
    """Scatter of ratio (estimate / price) against sale price on a log axis, with the 1.0 line and the
    median ratio per price decile."""
    price, ratio = np.asarray(price, float), np.asarray(ratio, float)
    if len(price) == 0:
        return ""
    if len(price) > max_points:
        keep = np.linspace(0, len(price) - 1, max_points).astype(int)
        p, r = price[np.argsort(price)][keep], ratio[np.argsort(price)][keep]
    else:
        p, r = price, ratio
    lx0, lx1 = np.log(price.min()), np.log(price.max())
    y0, y1 = 0.5, 1.5

    def x(v):
        return PAD_L + (np.log(v) - lx0) / max(lx1 - lx0, 1e-9) * (W - PAD_L - PAD_R)

    def y(v):
        return PAD_T + (y1 - np.clip(v, y0, y1)) / (y1 - y0) * (H - PAD_T - PAD_B)

    body = [
        f'<line x1="{PAD_L}" y1="{y(1.0):.1f}" x2="{W - PAD_R}" y2="{y(1.0):.1f}" stroke="#444" '
        f'stroke-dasharray="4 3"/>'
    ]
    for t in (0.6, 0.8, 1.0, 1.2, 1.4):
        body.append(
            f'<text x="{PAD_L - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" fill="#222">'
            f"{str(t).replace('.', ',')}</text>"
        )
    for q in np.quantile(price, [0.05, 0.5, 0.95]):
        label = f"{q / 1e6:.1f}".replace(".", ",")  # decimal comma in the label only, not in the coordinates
        body.append(
            f'<text x="{x(q):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" fill="#222">'
            f"{label} mill.</text>"
        )
    body += [
        f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="2" fill="#1f5fa8" fill-opacity="0.35"/>'
        for a, b in zip(p, r, strict=False)
    ]
    edges = np.quantile(price, np.linspace(0, 1, 11))
    pts = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=False):
        m = (price >= lo) & (price <= hi)
        if m.any():
            pts.append(f"{x(np.exp(np.log(price[m]).mean())):.1f},{y(np.median(ratio[m])):.1f}")
    body.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#b3261e" stroke-width="2.5"/>')
    desc = (
        "Hvert punkt er ett salg: anslått verdi delt på salgspris mot salgsprisen. Den stiplede linjen er "
        "1,0 "
        "(anslag lik pris); den røde linjen er medianen per tidel av prisene. En linje som faller fra "
        "venstre "
        "mot høyre betyr at rimelige boliger får for høy verdi og dyre for lav."
    )
    return _frame("Salgsforhold mot salgspris", desc, body, "Salgspris (logaritmisk akse)", "Anslag / pris")


def ratio_by_band(rows: list[dict]) -> str:
    """Bars of the median ratio per price band, with the 1.0 line."""
    if not rows:
        return ""
    n = len(rows)
    bw = (W - PAD_L - PAD_R) / n
    y0, y1 = 0.8, 1.2

    def y(v):
        return PAD_T + (y1 - np.clip(v, y0, y1)) / (y1 - y0) * (H - PAD_T - PAD_B)

    body = []
    for t in (0.8, 0.9, 1.0, 1.1, 1.2):
        body.append(
            f'<text x="{PAD_L - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" fill="#222">'
            f"{str(t).replace('.', ',')}</text>"
        )
    for i, r in enumerate(rows):
        v = r["median_ratio"]
        x0 = PAD_L + i * bw + bw * 0.15
        top, base = min(y(v), y(1.0)), max(y(v), y(1.0))
        body.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{bw * 0.7:.1f}" height="{max(base - top, 1):.1f}" '
            f'fill="#1f5fa8"/>'
        )
        label = f"{v:.3f}".replace(".", ",")
        body.append(
            f'<text x="{x0 + bw * 0.35:.1f}" y="{top - 4:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#222">'
            f"{label}</text>"
        )
        body.append(
            f'<text x="{x0 + bw * 0.35:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" '
            f'fill="#222">'
            f"{escape(r['group'])}</text>"
        )
    body.append(
        f'<line x1="{PAD_L}" y1="{y(1.0):.1f}" x2="{W - PAD_R}" y2="{y(1.0):.1f}" stroke="#444" '
        f'stroke-dasharray="4 3"/>'
    )
    desc = (
        "Median salgsforhold (anslag delt på pris) per prisgruppe. "
        + "; ".join(f"{r['group']}: {r['median_ratio']:.3f}".replace(".", ",") for r in rows)
        + "."
    )
    return _frame(
        "Median salgsforhold per prisgruppe", desc, body, "Prisgruppe (salgspris)", "Median anslag / pris"
    )
