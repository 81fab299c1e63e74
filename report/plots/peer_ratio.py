"""Our best engine against the best peer per operation and size: bars of the
ratio of median times (>1: ours is faster), centred on 1.

usage: peer_ratio.py MEDIANS.csv SUITE OUT.png"""
import sys

import plotlib

medians, suite, out = plotlib.args(__doc__, 3)
best = {}
for r in plotlib.read_rows(medians):
    t = plotlib.number(r["median_ns"])
    if t is None:
        continue
    key = (r["group"], int(r["size"]))
    slot = best.setdefault(key, {})
    if r["role"] in ("ours", "peer") and (r["role"] not in slot or t < slot[r["role"]][0]):
        slot[r["role"]] = (t, r["impl"])
bars = [(k, v["peer"][0] / v["ours"][0], v["ours"][1], v["peer"][1])
        for k, v in sorted(best.items()) if "ours" in v and "peer" in v]
if not bars:
    sys.exit("no peers to compare with")
fig, ax = plotlib.plt.subplots(figsize=(8, 0.28 * len(bars) + 1.4))
labels = ["%s %s  (%s vs %s)" % (g.split("/", 1)[-1], plotlib.size_label(s), o, p)
          for (g, s), _, o, p in bars]
ratios = [b[1] for b in bars]
y = range(len(bars))
ax.barh(list(y), [r - 1 for r in ratios], left=1,
        color=["#009E73" if r >= 1 else "#D55E00" for r in ratios])
ax.axvline(1, color="black", linewidth=0.8)
ax.set_yticks(list(y))
ax.set_yticklabels(labels, fontsize=7)
ax.invert_yaxis()
for i, r in enumerate(ratios):
    ax.text(r, i, " %.2fx " % r, va="center", ha="left" if r >= 1 else "right", fontsize=7)
lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
pad = 0.12 * (hi - lo + 0.1)
ax.set_xlim(lo - pad, hi + pad)
ax.set_xlabel("best peer's median time / our best engine's (>1: ours is faster)")
ax.set_title("%s: ours against the best peer" % suite)
plotlib.save(fig, out)
