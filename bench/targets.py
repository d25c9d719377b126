#!/usr/bin/env python3
"""Checks the tables bench/run.sh wrote against the speed targets and appends the verdicts.

    python3 bench/targets.py BENCHMARKS.md

Each target is stated as in the issue that set it; a row says what was measured and
whether that meets it. Nothing here changes a measured figure.
"""
import re
import sys

CATALOGUE_ROUTES = [
    "GET /",
    "GET /products",
    "GET deep category page (link)",
    "GET deep category page (typed)",
    "GET /products/{id}",
    "GET /products/{id} with reviews",
    "GET /products?q= rare word",
    "GET /products?q= common word",
]
SEARCHES = ["GET /products?q= rare word", "GET /products?q= common word"]


def read_sections(text):
    """{(engine, size): {"routes": {route: (rps, p50, p99, ratio)}, "rss": MiB, "flood": (quiet, loud)}}"""
    sections = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"## (\w+), ([\d,]+) products", line)
        if heading:
            current = {"routes": {}, "rss": None, "flood": None}
            sections[(heading.group(1), int(heading.group(2).replace(",", "")))] = current
            continue
        if current is None:
            continue
        rss = re.search(r"Peak RSS .*?: ([\d.]+) MiB", line)
        if rss:
            current["rss"] = float(rss.group(1))
        flood = re.search(r"p99 ([\d.]+) ms during the flood against ([\d.]+) ms", line)
        if flood:
            current["flood"] = (float(flood.group(2)), float(flood.group(1)))
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].split(" ")[0] in ("GET", "POST"):
            try:
                rps = float(cells[1].replace(",", ""))
                current["routes"][cells[0]] = (rps, float(cells[2]), float(cells[3]), float(cells[4]))
            except ValueError:
                pass
    return sections


def verdicts(sections):
    rows = []

    def add(target, where, measured, met):
        rows.append((target, where, measured, "met" if met else "**not met**"))

    small = min((size for _, size in sections), default=None)
    large = max((size for _, size in sections), default=None)
    sqlite_small = sections.get(("sqlite", small), {}).get("routes", {})
    for route in ["GET /products", "GET /products/{id}", "GET /products/{id} with reviews"]:
        ceiling = sqlite_small.get("GET /robots.txt (ceiling)")
        if route in sqlite_small and ceiling:
            # From the requests per second: the table's ratio is rounded.
            ratio = sqlite_small[route][0] / ceiling[0]
            add(f"`{route[4:]}` at ≥ 1/3 of the ceiling", f"sqlite, {small:,}", f"{ratio:.3f}", ratio >= 1 / 3)
    for engine in sorted({e for e, _ in sections}):
        if (engine, small) not in sections or (engine, large) not in sections or small == large:
            continue
        before = sections[(engine, small)]["routes"]
        after = sections[(engine, large)]["routes"]
        for route in CATALOGUE_ROUTES:
            if route in before and route in after:
                kept = after[route][0] / before[route][0]
                add(f"`{route[4:]}` keeps ≥ 80% at {large:,}", engine, f"{kept:.0%}", kept >= 0.8)
        for route in SEARCHES:
            if route in after:
                p99 = after[route][2]
                add(f"search p99 < 50 ms at {large:,} ({route.split()[-2]} word)", engine, f"{p99:.1f} ms", p99 < 50)
    rss = sections.get(("sqlite", large), {}).get("rss")
    if rss is not None:
        add(f"peak RSS < 64 MB at {large:,}", "sqlite", f"{rss:.1f} MiB", rss * 1.048576 < 64)
    for (engine, size), section in sorted(sections.items()):
        if section["flood"]:
            quiet, loud = section["flood"]
            add("`/products` p99 during a login flood ≤ 2× without", f"{engine}, {size:,}",
                f"{loud / quiet:.2f}×", loud <= 2 * quiet)
    return rows


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "BENCHMARKS.md"
    text = open(path).read()
    text = text.split("\n## Targets\n")[0].rstrip("\n") + "\n"
    rows = verdicts(read_sections(text))
    lines = ["", "## Targets", "", "| target | where | measured | verdict |", "|---|---|---:|---|"]
    lines += [f"| {t} | {w} | {m} | {v} |" for t, w, m, v in rows]
    report = "\n".join(lines) + "\n"
    open(path, "w").write(text + report)
    print(report)


if __name__ == "__main__":
    main()
