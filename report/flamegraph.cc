#include "report/flamegraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

namespace perfkit::report {
namespace {

constexpr int kFrameHeight = 16;
constexpr int kTop = 56;  // title, subtitle and controls
constexpr int kBottom = 24;
constexpr int kSide = 10;

struct Node {
  uint64_t count = 0;  // samples (of the second profile, in a diff)
  double before = 0;   // a diff's first profile, scaled to the second's total
  double width = 0;    // in samples: count, plus paths that disappeared, in a diff
  std::map<std::string, std::unique_ptr<Node>> children;
};

void Add(Node& root, const ProfileStack& s, bool before, double scale) {
  Node* n = &root;
  auto add = [&](Node& node) {
    if (before) {
      node.before += s.count * scale;
    } else {
      node.count += s.count;
    }
  };
  add(root);
  for (const std::string& f : s.frames) {
    auto& child = n->children[f];
    if (!child) child = std::make_unique<Node>();
    add(*child);
    n = child.get();
  }
}

uint64_t ChildCounts(const Node& n) {
  uint64_t sum = 0;
  for (const auto& [name, child] : n.children) sum += child->count;
  return sum;
}

// A path with no samples left takes its scaled earlier width, so that it
// still shows; everything above it widens to hold it.
double SetWidths(Node& n) {
  double children = 0;
  for (auto& [name, child] : n.children) children += SetWidths(*child);
  n.width = n.count > 0 ? n.count + std::max(0.0, children - ChildCounts(n)) : n.before;
  return n.width;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// FNV-1a of the name picks a warm colour, so colours never depend on layout.
std::string Colour(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  if (name.rfind("[kernel", 0) == 0)
    return fmt::format("rgb({},{},{})", 230, 120 + h % 60, 120 + (h >> 8) % 60);
  if (name.rfind("[unknown", 0) == 0) return "rgb(200,200,200)";
  return fmt::format("rgb({},{},{})", 205 + h % 50, 80 + (h >> 8) % 150, (h >> 16) % 55);
}

// Red where the second profile spends more, blue where less, white where
// the same; `scale` is the largest change in the graph.
std::string DiffColour(double delta, double scale) {
  const double t = scale > 0 ? std::min(1.0, std::abs(delta) / scale) : 0;
  const auto mix = [t](int from, int to) { return static_cast<int>(from + (to - from) * t); };
  return delta >= 0 ? fmt::format("rgb({},{},{})", mix(245, 225), mix(245, 40), mix(240, 40))
                    : fmt::format("rgb({},{},{})", mix(245, 40), mix(245, 90), mix(240, 230));
}

struct Layout {
  const FlameGraphOptions& options;
  double scale;  // pixels per sample
  int max_depth = 0;
  uint64_t total = 0;  // samples, for percentages
  bool diff = false;
  double max_delta = 0;  // percentage points, in a diff
  std::string frames;

  int Y(int depth) const {
    return options.inverted ? kTop + depth * kFrameHeight
                            : kTop + (max_depth - depth) * kFrameHeight;
  }
  double Delta(const Node& n) const { return 100.0 * (n.count - n.before) / total; }
  std::string Tooltip(const std::string& name, const Node& n) const {
    const double pct = 100.0 * n.count / total;
    if (!diff) return fmt::format("{} ({} samples, {:.2f}%)", name, n.count, pct);
    if (n.count == 0) return fmt::format("{} (gone: {:.2f}% before)", name, 100 * n.before / total);
    return fmt::format("{} ({} samples, {:.2f}%, {:+.2f} points)", name, n.count, pct, Delta(n));
  }
  void Emit(const std::string& name, const Node& node, double x, int depth) {
    const double w = node.width * scale;
    if (w < options.min_width_px) return;
    // Labels are fitted here too, so viewers without JavaScript show them.
    const auto chars = static_cast<size_t>(std::max(0.0, (w - 6) / 7));
    const std::string label = chars < 3              ? ""
                              : name.size() <= chars ? name
                                                     : name.substr(0, chars - 2) + "..";
    const std::string fill = !diff             ? Colour(name)
                             : node.count == 0 ? "rgb(40,70,200)"
                                               : DiffColour(Delta(node), max_delta);
    frames += fmt::format(
        "<g class=\"f\" data-x=\"{:.6g}\" data-w=\"{:.6g}\" data-d=\"{}\"><title>{}</title>"
        "<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\" rx=\"2\"{}/>"
        "<text x=\"{:.2f}\" y=\"{}\">{}</text></g>\n",
        x, node.width, depth, Escape(Tooltip(name, node)), kSide + x * scale, Y(depth), w,
        kFrameHeight - 1, fill,
        diff && node.count == 0 ? " stroke-dasharray=\"3,2\" stroke=\"#000\"" : "",
        kSide + x * scale + 3, Y(depth) + kFrameHeight - 4, Escape(label));
    double child_x = x;
    for (const auto& [child_name, child] : node.children) {
      Emit(child_name, *child, child_x, depth + 1);
      child_x += child->width;
    }
  }
  void MaxDelta(const Node& n) {
    if (n.count > 0) max_delta = std::max(max_delta, std::abs(Delta(n)));
    for (const auto& [name, child] : n.children) MaxDelta(*child);
  }
};

int Depth(const Node& n) {
  int d = 0;
  for (const auto& [name, child] : n.children) d = std::max(d, 1 + Depth(*child));
  return d;
}

// Zoom, search and label fitting; written for perfkit (no third-party code).
constexpr char kScript[] = R"JS(
const W = WIDTH, SIDE = 10, frames = [...document.querySelectorAll('g.f')];
const total = TOTAL;
let zoomed = null;
function fit(g, x, w) {
  const r = g.querySelector('rect'), t = g.querySelector('text');
  r.setAttribute('x', SIDE + x); r.setAttribute('width', w);
  t.setAttribute('x', SIDE + x + 3);
  const name = g.querySelector('title').textContent.replace(/ \([^()]*\)$/, '');
  const chars = Math.floor((w - 6) / 7);
  t.textContent = chars < 3 ? '' : (name.length <= chars ? name : name.slice(0, chars - 2) + '..');
}
function show(x0, w0, d0) {
  const scale = (W - 2 * SIDE) / w0;
  for (const g of frames) {
    const x = +g.dataset.x, w = +g.dataset.w, d = +g.dataset.d;
    const inside = x >= x0 && x + w <= x0 + w0 && d >= d0;
    const ancestor = d < d0 && x <= x0 && x + w >= x0 + w0;
    g.style.display = inside || ancestor ? '' : 'none';
    if (inside) fit(g, (x - x0) * scale, w * scale);
    else if (ancestor) fit(g, 0, W - 2 * SIDE);
  }
  document.getElementById('reset').style.display = w0 < total ? '' : 'none';
}
function reset() { zoomed = null; show(0, total, 0); }
for (const g of frames) g.addEventListener('click', e => {
  e.stopPropagation(); zoomed = g; show(+g.dataset.x, +g.dataset.w, +g.dataset.d);
});
document.getElementById('bg').addEventListener('click', reset);
document.getElementById('reset').addEventListener('click', reset);
document.getElementById('search').addEventListener('click', () => {
  const text = prompt('Search for (regular expression; empty clears):', '');
  if (text === null) return;
  let re = null;
  try { re = text ? new RegExp(text) : null; } catch (err) { alert(err.message); return; }
  const hits = [];
  for (const g of frames) {
    const name = g.querySelector('title').textContent;
    const r = g.querySelector('rect');
    if (!r.dataset.fill) r.dataset.fill = r.getAttribute('fill');
    const hit = re && re.test(name.replace(/ \([^()]*\)$/, ''));
    r.setAttribute('fill', hit ? 'rgb(230,0,230)' : r.dataset.fill);
    if (hit) hits.push([+g.dataset.x, +g.dataset.w]);
  }
  // Nested matches count once: merge the sample ranges.
  hits.sort((a, b) => a[0] - b[0]);
  let covered = 0, end = -1;
  for (const [x, w] of hits) {
    if (x + w <= end) continue;
    covered += x + w - Math.max(x, end); end = x + w;
  }
  document.getElementById('matched').textContent =
      re ? 'Matched: ' + (100 * covered / total).toFixed(1) + '%' : '';
});
reset();
)JS";

}  // namespace

namespace {

std::string Render(Node& root, const FlameGraphOptions& options, bool diff) {
  SetWidths(root);
  Layout layout{
      options, root.width > 0 ? (options.width - 2 * kSide) / root.width : 0, 0, 0, diff, 0, {}};
  layout.total = std::max<uint64_t>(root.count, 1);
  layout.max_depth = std::max(0, Depth(root) - 1);
  if (diff) layout.MaxDelta(root);
  double x = 0;
  for (const auto& [name, child] : root.children) {
    layout.Emit(name, *child, x, 0);
    x += child->width;
  }
  const int height = kTop + (layout.max_depth + 1) * kFrameHeight + kBottom;
  std::string script = kScript;
  script.replace(script.find("WIDTH"), 5, std::to_string(options.width));
  script.replace(script.find("TOTAL"), 5, fmt::format("{:.6g}", root.width));
  return fmt::format(
      "<?xml version=\"1.0\" standalone=\"no\"?>\n"
      "<svg version=\"1.1\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n"
      "<style>text {{ font-family: monospace; font-size: 12px; fill: #000; }} "
      "g.f:hover rect {{ stroke: #000; stroke-width: 0.5; cursor: pointer; }} "
      ".ctl {{ cursor: pointer; fill: #333; }} .title {{ font-size: 17px; }}</style>\n"
      "<rect id=\"bg\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#f8f8f4\"/>\n"
      "<text class=\"title\" x=\"{cx}\" y=\"22\" text-anchor=\"middle\">{title}</text>\n"
      "<text x=\"{cx}\" y=\"40\" text-anchor=\"middle\">{sub}</text>\n"
      "<text id=\"reset\" class=\"ctl\" x=\"10\" y=\"40\" style=\"display:none\">Reset "
      "zoom</text>\n"
      "<text id=\"search\" class=\"ctl\" x=\"{sx}\" y=\"40\" text-anchor=\"end\">Search</text>\n"
      "<text id=\"matched\" x=\"{sx}\" y=\"{my}\" text-anchor=\"end\"></text>\n"
      "{frames}<script><![CDATA[{script}]]></script>\n</svg>\n",
      fmt::arg("w", options.width), fmt::arg("h", height), fmt::arg("cx", options.width / 2),
      fmt::arg("title", Escape(options.title)), fmt::arg("sub", Escape(options.subtitle)),
      fmt::arg("sx", options.width - 10), fmt::arg("my", height - 8),
      fmt::arg("frames", layout.frames), fmt::arg("script", script));
}

}  // namespace

std::string FlameGraphSvg(const std::vector<ProfileStack>& stacks,
                          const FlameGraphOptions& options) {
  Node root;
  for (const ProfileStack& s : stacks) Add(root, s, false, 1);
  return Render(root, options, false);
}

std::string DiffFlameGraphSvg(const std::vector<ProfileStack>& before,
                              const std::vector<ProfileStack>& after,
                              const FlameGraphOptions& options) {
  uint64_t before_total = 0, after_total = 0;
  for (const ProfileStack& s : before) before_total += s.count;
  for (const ProfileStack& s : after) after_total += s.count;
  const double scale = before_total > 0 ? double(after_total) / before_total : 0;
  Node root;
  for (const ProfileStack& s : after) Add(root, s, false, 1);
  for (const ProfileStack& s : before) Add(root, s, true, scale);
  return Render(root, options, true);
}

}  // namespace perfkit::report
