"""Median time of benchmarks across runs relative to each one's first run
shown (so benchmarks of any scale share an axis), with min-max bars and
baselines marked; one line per benchmark and host when runs come from
several hosts.

usage: history.py HISTORY.csv OUT.png"""
import sys

import plotlib

path, out = plotlib.args(__doc__, 2)
rows = plotlib.read_rows(path)
if not rows:
    sys.exit("no history")
runs = sorted({int(r["run_id"]) for r in rows})
fig, ax = plotlib.plt.subplots(figsize=(8, 4))
hosts = {r.get("host", "") for r in rows}
series = dict.fromkeys((r["benchmark"], r.get("host", "")) for r in rows)
for i, (name, host) in enumerate(series):
    pts = sorted((int(r["run_id"]), float(r["median_ns"]), float(r["min_ns"]), float(r["max_ns"]))
                 for r in rows if r["benchmark"] == name and r.get("host", "") == host)
    x = [runs.index(p[0]) for p in pts]
    first = pts[0][1]
    rel = [[100.0 * (v / first - 1) for v in p[1:]] for p in pts]
    y = [r[0] for r in rel]
    ax.errorbar(x, y, yerr=[[r[0] - r[1] for r in rel], [r[2] - r[0] for r in rel]],
                marker="o", markersize=3, capsize=2,
                label=f"{name} @ {host}" if len(hosts) > 1 else name,
                color=plotlib.PALETTE[i % len(plotlib.PALETTE)])
for r in rows:
    if r["baselines"]:
        ax.axvline(runs.index(int(r["run_id"])), color="#999999", linestyle=":", linewidth=1)
        ax.annotate(r["baselines"], (runs.index(int(r["run_id"])), 1), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=7, color="#555555")
ax.set_xticks(range(len(runs)))
ax.set_xticklabels([str(r) for r in runs])
ax.set_xlabel("run")
ax.axhline(0, color="black", linewidth=0.6)
ax.set_ylabel("median real time vs. first run shown (%)")
ax.set_title("History (bars: fastest to slowest repetition)")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
plotlib.save(fig, out)
