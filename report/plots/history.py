"""Median time of benchmarks across runs relative to each one's first runs
shown (the median of the first five, so benchmarks of any scale share an
axis): one line per benchmark and
host, a band from the fastest to the slowest repetition, the steps found in
the medians marked, baselines dotted. Readable at ten runs and at ten
thousand: ticks stay sparse, markers and labels appear only while few.

usage: history.py HISTORY.csv STEPS.csv OUT.png"""
import sys

from matplotlib.ticker import FuncFormatter, MaxNLocator

import plotlib

path, steps_path, out = plotlib.args(__doc__, 3)
rows = plotlib.read_rows(path)
steps = plotlib.read_rows(steps_path)
if not rows:
    sys.exit("no history")
runs = sorted({int(r["run_id"]) for r in rows})
position = {run: i for i, run in enumerate(runs)}
hosts = {r.get("host", "") for r in rows}
series = {}
for r in rows:
    series.setdefault((r["benchmark"], r.get("host", "")), []).append(r)

fig, ax = plotlib.plt.subplots(figsize=(9, 4.2))
few_runs = len(runs) <= 30
for i, ((name, host), points) in enumerate(series.items()):
    points.sort(key=lambda r: int(r["run_id"]))
    # The reference: the median of the first five runs, not one noisy run.
    first = sorted(float(r["median_ns"]) for r in points[:5])[min(len(points), 5) // 2]
    x = [position[int(r["run_id"])] for r in points]
    rel = lambda key: [100.0 * (float(r[key]) / first - 1) for r in points]
    colour = plotlib.PALETTE[i % len(plotlib.PALETTE)]
    label = f"{name} @ {host}" if len(hosts) > 1 else name
    median = rel("median_ns")
    if few_runs:  # bars, side by side, while there is room for them
        shifted = [v + 0.08 * (i - (len(series) - 1) / 2) for v in x]
        ax.errorbar(shifted, median, yerr=[[m - lo for m, lo in zip(median, rel("min_ns"))],
                                           [hi - m for m, hi in zip(median, rel("max_ns"))]],
                    fmt="o-", markersize=3, capsize=2, linewidth=1.2, elinewidth=0.8,
                    color=colour, label=label)
    else:
        ax.fill_between(x, rel("min_ns"), rel("max_ns"), color=colour, alpha=0.15, linewidth=0)
        ax.plot(x, median, color=colour, linewidth=1.2, label=label)
    for s in steps:
        if s["benchmark"] != name or s.get("host", "") != host:
            continue
        at = position[int(s["run_id"])]
        change = 100.0 * (float(s["after_ns"]) / float(s["before_ns"]) - 1)
        level = 100.0 * (float(s["after_ns"]) / first - 1)
        ax.plot([at], [level], marker="v" if change > 0 else "^", color=colour, markersize=8,
                markeredgecolor="black", zorder=5)
        if len(steps) <= 12:
            ax.annotate(f"{change:+.1f}% at run {s['run_id']}", (at, level),
                        textcoords="offset points", xytext=(6, 8), fontsize=7, zorder=6,
                        bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor=colour,
                                  linewidth=0.6))

saved = {}
for r in rows:
    if r["baselines"]:
        saved[position[int(r["run_id"])]] = r["baselines"]
for at, names in saved.items():
    ax.axvline(at, color="#999999", linestyle=":", linewidth=0.8)
    if len(saved) <= 12:
        ax.annotate(names, (at, 1), xycoords=("data", "axes fraction"), rotation=90, va="top",
                    ha="right", fontsize=7, color="#555555")

ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
ax.xaxis.set_major_formatter(
    FuncFormatter(lambda v, _: str(runs[int(v)]) if 0 <= int(v) < len(runs) else ""))
ax.set_xlim(-0.5, len(runs) - 0.5)
ax.set_xlabel(f"run ({len(runs)} runs)")
ax.axhline(0, color="black", linewidth=0.6)
ax.set_ylabel("median real time vs. the first runs shown (%)")
ax.set_title("History: medians, fastest-to-slowest band, steps found (▼ slower, ▲ faster)")
if len(series) <= 12:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
else:
    ax.text(1.01, 1.0, f"{len(series)} series", transform=ax.transAxes, va="top", fontsize=8)
plotlib.save(fig, out)
