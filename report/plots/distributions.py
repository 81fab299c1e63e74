"""Every repetition of each benchmark of a suite relative to its median, as
box plots, so noise is visible at a glance.

usage: distributions.py DATA.csv SUITE SIDE OUT.png"""
import sys

import plotlib

path, suite, side, out = plotlib.args(__doc__, 4)
values = {}
for r in plotlib.read_rows(path):
    name = r["benchmark"]
    if r["side"] != side or name.split("/", 1)[0] != suite and suite != "benchmarks":
        continue
    t = plotlib.number(r["real_time_ns"])
    if t:
        values.setdefault(name, []).append(t)
if not values:
    sys.exit("no repetitions for suite " + suite)
names = list(values)
rel = []
for name in names:
    v = sorted(values[name])
    mid = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    rel.append([100.0 * (x / mid - 1) for x in v])
fig, ax = plotlib.plt.subplots(figsize=(8, 0.2 * len(names) + 1.4))
ax.boxplot(rel, vert=False, widths=0.6, flierprops={"markersize": 2},
           medianprops={"color": "#D55E00"})
ax.axvline(0, color="black", linewidth=0.6)
ax.set_yticks(range(1, len(names) + 1))
ax.set_yticklabels(names, fontsize=6 if len(names) > 40 else 7)
ax.invert_yaxis()
ax.set_xlabel("repetition's real time relative to the median (%)")
ax.set_title("%s: spread of repetitions (%s)" % (suite, side))
plotlib.save(fig, out)
