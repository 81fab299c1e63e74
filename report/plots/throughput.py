"""Throughput against buffer size for a sweep suite: one line per engine
(ours solid, peers dashed), one panel per operation.

usage: throughput.py MEDIANS.csv SUITE OUT.png"""
import math
import sys

import plotlib

medians, suite, out = plotlib.args(__doc__, 3)
rows = [r for r in plotlib.read_rows(medians) if plotlib.number(r["median_bytes_per_second"])]
groups = sorted({r["group"] for r in rows})
if not groups:
    sys.exit("no throughput data")
fig, axes = plotlib.plt.subplots(1, len(groups), figsize=(4.6 * len(groups), 3.8), squeeze=False)
for ax, group in zip(axes[0], groups):
    impls = []
    for r in rows:
        if r["group"] == group and (r["impl"], r["role"]) not in impls:
            impls.append((r["impl"], r["role"]))
    for i, (impl, role) in enumerate(impls):
        pts = sorted((int(r["size"]), float(r["median_bytes_per_second"]) / 1e9)
                     for r in rows if r["group"] == group and r["impl"] == impl)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3,
                linestyle="--" if role == "peer" else "-",
                color=plotlib.PALETTE[i % len(plotlib.PALETTE)],
                label=impl + (" (peer)" if role == "peer" else ""))
    sizes = sorted({int(r["size"]) for r in rows if r["group"] == group})
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.set_xticklabels([plotlib.size_label(s) for s in sizes], rotation=45, ha="right")
    ax.minorticks_off()
    ax.set_xlabel("buffer size")
    ax.set_ylabel("throughput (GB/s)")
    ax.set_ylim(bottom=0)
    ax.set_title(group.split("/", 1)[-1])
    ax.legend(fontsize=7, loc="upper left", frameon=False)
fig.suptitle("%s: median throughput by size" % suite)
plotlib.save(fig, out)
