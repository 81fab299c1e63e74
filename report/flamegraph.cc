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
  uint64_t count = 0;
  std::map<std::string, std::unique_ptr<Node>> children;
};

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

struct Layout {
  const FlameGraphOptions& options;
  double scale;  // pixels per sample
  int max_depth = 0;
  uint64_t total = 0;
  std::string frames;

  int Y(int depth) const {
    return options.inverted ? kTop + depth * kFrameHeight
                            : kTop + (max_depth - depth) * kFrameHeight;
  }
  void Emit(const std::string& name, const Node& node, uint64_t x, int depth) {
    const double w = node.count * scale;
    if (w < options.min_width_px) return;
    const double pct = 100.0 * node.count / total;
    // Labels are fitted here too, so viewers without JavaScript show them.
    const auto chars = static_cast<size_t>(std::max(0.0, (w - 6) / 7));
    const std::string label = chars < 3              ? ""
                              : name.size() <= chars ? name
                                                     : name.substr(0, chars - 2) + "..";
    frames += fmt::format(
        "<g class=\"f\" data-x=\"{}\" data-w=\"{}\" data-d=\"{}\"><title>{} ({} samples, "
        "{:.2f}%)</title>"
        "<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\" rx=\"2\"/>"
        "<text x=\"{:.2f}\" y=\"{}\">{}</text></g>\n",
        x, node.count, depth, Escape(name), node.count, pct, kSide + x * scale, Y(depth), w,
        kFrameHeight - 1, Colour(name), kSide + x * scale + 3, Y(depth) + kFrameHeight - 4,
        Escape(label));
    uint64_t child_x = x;
    for (const auto& [child_name, child] : node.children) {
      Emit(child_name, *child, child_x, depth + 1);
      child_x += child->count;
    }
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
  const name = g.querySelector('title').textContent.replace(/ \([0-9]+ samples, [0-9.]+%\)$/, '');
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
    const hit = re && re.test(name.replace(/ \([0-9]+ samples, [0-9.]+%\)$/, ''));
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

std::string FlameGraphSvg(const std::vector<ProfileStack>& stacks,
                          const FlameGraphOptions& options) {
  Node root;
  for (const ProfileStack& s : stacks) {
    root.count += s.count;
    Node* n = &root;
    for (const std::string& f : s.frames) {
      auto& child = n->children[f];
      if (!child) child = std::make_unique<Node>();
      child->count += s.count;
      n = child.get();
    }
  }
  Layout layout{options, root.count ? double(options.width - 2 * kSide) / root.count : 0, 0, 0, {}};
  layout.total = std::max<uint64_t>(root.count, 1);
  layout.max_depth = std::max(0, Depth(root) - 1);
  uint64_t x = 0;
  for (const auto& [name, child] : root.children) {
    layout.Emit(name, *child, x, 0);
    x += child->count;
  }
  const int height = kTop + (layout.max_depth + 1) * kFrameHeight + kBottom;
  std::string script = kScript;
  script.replace(script.find("WIDTH"), 5, std::to_string(options.width));
  script.replace(script.find("TOTAL"), 5, std::to_string(layout.total));
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

}  // namespace perfkit::report
