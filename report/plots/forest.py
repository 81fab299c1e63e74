"""Forest plot of a comparison: the candidate/base ratio of each benchmark
with its interval, coloured by verdict, the threshold band shaded.

usage: forest.py COMPARISON.csv OUT.png"""
import sys

import plotlib

path, out = plotlib.args(__doc__, 2)
rows = plotlib.read_rows(path)
if not rows:
    sys.exit("empty comparison")
n = len(rows)
fig, ax = plotlib.plt.subplots(figsize=(8, 0.24 * n + 1.6))
threshold = max(plotlib.number(r["threshold"]) or 0 for r in rows)
ax.axvspan(1 / (1 + threshold), 1 + threshold, color="#999999", alpha=0.18,
           label="threshold band (%.0f%%)" % (threshold * 100))
ax.axvline(1, color="black", linewidth=0.8)
seen = set()
for i, r in enumerate(rows):
    ratio = float(r["ratio"])
    lo, hi = plotlib.number(r["lower"]), plotlib.number(r["upper"])
    colour = plotlib.VERDICT_COLOURS.get(r["verdict"], "black")
    label = r["verdict"] if r["verdict"] not in seen else None
    seen.add(r["verdict"])
    if lo is not None and hi is not None:
        ax.errorbar(ratio, i, xerr=[[ratio - lo], [hi - ratio]], fmt="o", color=colour,
                    markersize=4, capsize=2, label=label)
    else:
        ax.plot(ratio, i, "o", color=colour, markersize=4, label=label)
ax.set_yticks(range(n))
ax.set_yticklabels([r["benchmark"] for r in rows], fontsize=7)
ax.set_ylim(n - 0.5, -0.5)
ax.set_xlabel("candidate / base (ratio of the metric; interval: one-sided 95% bounds)")
ax.set_title("Comparison: ratio per benchmark", pad=22)
ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False)
plotlib.save(fig, out)
