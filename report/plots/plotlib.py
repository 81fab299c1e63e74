"""Shared helpers for perfkit's plot scripts: reading perfkit's CSV files,
one consistent look, and saving each figure as PNG and SVG."""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

# Colour-blind safe (Okabe-Ito); verdict colours keep their usual meaning.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
           "#F0E442", "#000000"]
VERDICT_COLOURS = {"REGRESSION": "#D55E00", "IMPROVEMENT": "#009E73",
                   "NO CHANGE": "#555555", "INCONCLUSIVE": "#E69F00"}

plt.rcParams.update({
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
})


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def save(fig, out_png):
    """Writes OUT.png and OUT.svg; a PR page is ~900 px wide."""
    fig.tight_layout()
    fig.savefig(out_png)
    fig.savefig(os.path.splitext(out_png)[0] + ".svg")
    plt.close(fig)


def args(doc, count):
    """The script's arguments, or its usage line (the docstring's last) and exit 2."""
    if len(sys.argv) != count + 1:
        sys.stderr.write(doc.strip().splitlines()[-1] + "\n")
        sys.exit(2)
    return sys.argv[1:]


def size_label(n):
    n = int(n)
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return "%d %s" % (n // scale, unit)
    return "%d B" % n
