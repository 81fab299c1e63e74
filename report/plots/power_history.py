"""Power over time from `perfkit power history`: one line per origin
(record, bench, run), measured solid and estimated dashed, broken where
no samples were taken.

usage: power_history.py SAMPLES.csv OUT.png"""
import datetime
import sys

import plotlib

path, out = plotlib.args(__doc__, 2)
rows = plotlib.read_rows(path)
if not rows:
    sys.exit("no samples")
fig, ax = plotlib.plt.subplots(figsize=(8, 3.5))
series = {}
for r in rows:
    measured = r["measured"] == "1"
    key = (r["origin"], measured)
    series.setdefault(key, []).append((float(r["unix_time"]), float(r["watts"])))
for i, ((origin, measured), points) in enumerate(sorted(series.items())):
    points.sort()
    gaps = sorted(b[0] - a[0] for a, b in zip(points, points[1:]))
    typical = gaps[len(gaps) // 2] if gaps else 1
    xs, ys = [], []
    for j, (t, w) in enumerate(points):
        if j and t - points[j - 1][0] > 5 * typical:
            xs.append(None)  # matplotlib breaks the line at a gap
            ys.append(None)
        xs.append(datetime.datetime.fromtimestamp(t) if t else None)
        ys.append(w)
    ax.plot(xs, ys, linewidth=1, linestyle="-" if measured else "--",
            color=plotlib.PALETTE[i % len(plotlib.PALETTE)],
            label="%s (%s)" % (origin, "measured" if measured else "estimated"))
ax.set_ylabel("watts")
ax.set_ylim(bottom=0)
ax.set_title("Power over time")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
fig.autofmt_xdate()
plotlib.save(fig, out)
