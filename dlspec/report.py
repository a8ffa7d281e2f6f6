"""Reports of a run: the conformance matrix (JSON, Markdown, HTML) and the perf table with
its roofline plot (Markdown, PNG).

* ``pytest conformance --backend=numpy,torch --spec-report=DIR`` writes
  ``DIR/conformance.{json,md,html}``: area × backend counts of passed / failed / not
  implemented / not applicable / skipped, every test's largest error as a fraction of its
  tolerance, and each backend's library version and device.
* ``python -m dlspec.report perf BENCH.json --out DIR`` turns pytest-benchmark's JSON
  (``pytest perf --benchmark-json=BENCH.json``) into ``DIR/perf.md`` and ``DIR/roofline-<device>.png``.
* ``python -m dlspec.report run --backend=numpy,torch --out DIR`` runs both and writes all of it.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import platform
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dlspec import testing

OUTCOMES = ("passed", "failed", "not implemented", "not applicable", "skipped")


def outcome(report: pytest.TestReport) -> str:
    """A test report's outcome, with skips split into not implemented / not applicable."""
    if report.passed:
        return "passed"
    if report.failed:
        return "failed"
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if testing.NOT_IMPLEMENTED in reason:
        return "not implemented"
    if testing.NOT_APPLICABLE in reason:
        return "not applicable"
    return "skipped"


def backend_of(report: pytest.TestReport, names: Sequence[str]) -> str | None:
    """The backend a test ran against: recorded by the plugin, or, for a test whose worker
    crashed (its report carries no properties), read from the test id's parameters."""
    recorded = dict(report.user_properties).get("dlspec_backend")
    if recorded is not None:
        return recorded
    if not report.nodeid.endswith("]"):
        return None
    params = "-" + report.nodeid.rpartition("[")[2].removesuffix("]") + "-"
    return max((n for n in names if f"-{n}-" in params), key=len, default=None)


def area_of(nodeid: str) -> str:
    """The area a test belongs to: ``conformance/test_<area>.py`` gives ``<area>``, a docs
    block ``docs:<page>``, anything else its file's stem."""
    path, _, rest = nodeid.partition("::")
    stem = Path(path).stem.removeprefix("test_")
    if Path(path).parent.name == "docs" and "[" in rest:
        return "docs:" + rest.split("[", 1)[1].split(".md", 1)[0]
    return stem


class ConformanceReport:
    """A pytest plugin collecting every test's backend, outcome and largest error; at the end of
    the session (on the controller, under xdist) it writes the report files to ``out``."""

    def __init__(self, config: pytest.Config, out: Path) -> None:
        self.config, self.out = config, out
        self.tests: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.outcome == "passed":
            return
        from dlspec.plugin import backends_of

        props = report.user_properties
        backend = backend_of(report, list(backends_of(self.config)))
        if backend is None:
            return
        errors = [v for k, v in props if k == "dlspec_error"]
        worst = max(errors, key=lambda e: e["error_over_tolerance"], default=None)
        entry = self.tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "area": area_of(report.nodeid),
                                                      "backend": backend, "outcome": "passed", "max_error": None})
        result = outcome(report)
        if result != "passed" or report.when == "call":
            entry["outcome"] = result if entry["outcome"] == "passed" else entry["outcome"]
        if worst is not None:
            entry["max_error"] = worst
        if report.failed:
            entry["message"] = str(report.longrepr).strip().splitlines()[-1][:300] if report.longrepr else ""

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes
            return
        from dlspec.plugin import backends_of

        backends = {name: {"library": b.library, "device": b.device, "device_name": _safe(b.device_name),
                           "capabilities": _capabilities(b)} for name, b in backends_of(self.config).items()}
        data = build(list(self.tests.values()), backends, sys.argv)
        write_conformance(data, self.out)


def _safe(fn: Any) -> str:
    try:
        return str(fn())
    except Exception as exc:  # an unavailable device still gets its report
        return f"unavailable ({type(exc).__name__})"


def _capabilities(backend: Any) -> dict[str, Any]:
    caps = backend.capabilities
    flags = {c: getattr(caps, c) for c in ("views", "strides", "inplace", "autograd", "graph", "modules", "distributed")}
    return {**flags, "dtypes": sorted(caps.dtypes)}


def build(tests: list[dict[str, Any]], backends: dict[str, Any], argv: Sequence[str]) -> dict[str, Any]:
    """The report's data: the area × backend matrix of outcome counts, and every test."""
    matrix: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for t in tests:
        matrix[t["area"]][t["backend"]][t["outcome"]] += 1
    return {
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["pytest", *argv[1:]]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backends": backends,
        "matrix": {area: {b: {o: c[o] for o in OUTCOMES} for b, c in sorted(row.items())}
                   for area, row in sorted(matrix.items())},
        "tests": sorted(tests, key=lambda t: t["nodeid"]),
    }


def _totals(data: dict[str, Any]) -> dict[str, Counter]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for row in data["matrix"].values():
        for backend, counts in row.items():
            totals[backend].update(counts)
    return totals


def _cell(counts: dict[str, int] | None) -> str:
    if not counts:
        return "–"
    return " / ".join(str(counts[o]) for o in OUTCOMES[:4])


def markdown(data: dict[str, Any], closest: int = 15) -> str:
    """The report as Markdown: backends, the matrix, failures and the tests closest to their tolerance."""
    names = list(data["backends"])
    lines = [f"# Conformance report ({data['generated']})", "", f"Command: `{data['command']}`", "",
             "| backend | library | device |", "|---|---|---|"]
    lines += [f"| {n} | {b['library']} | {b['device']} ({b['device_name']}) |" for n, b in data["backends"].items()]
    lines += ["", "Cells: passed / failed / not implemented / not applicable.", "",
              "| area | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {area} | " + " | ".join(_cell(row.get(n)) for n in names) + " |" for area, row in data["matrix"].items()]
    totals = _totals(data)
    lines.append("| **total** | " + " | ".join(f"**{_cell(totals.get(n))}**" for n in names) + " |")
    failed = [t for t in data["tests"] if t["outcome"] == "failed"]
    lines += ["", f"## Failures ({len(failed)})", ""]
    lines += [f"- `{t['nodeid']}`: {t.get('message', '')}" for t in failed] or ["None."]
    measured = sorted((t for t in data["tests"] if t["max_error"]), key=lambda t: -t["max_error"]["error_over_tolerance"])
    lines += ["", f"## Largest errors against the tolerance ({closest} of {len(measured)} tests with a tolerance)", "",
              "| test | max abs error | fraction of tolerance | rule |", "|---|---|---|---|"]
    lines += [f"| `{t['nodeid']}` | {t['max_error']['max_abs_err']:.3g} | {t['max_error']['error_over_tolerance']:.3g} | "
              f"{_escape(t['max_error']['rule'])} |" for t in measured[:closest]]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def html_page(data: dict[str, Any]) -> str:
    """The matrix as a standalone HTML table."""
    names = list(data["backends"])
    head = "".join(f"<th>{html.escape(n)}<br><small>{html.escape(data['backends'][n]['library'])}</small></th>" for n in names)
    rows = "".join(f"<tr><th>{html.escape(area)}</th>" + "".join(f"<td>{_cell(row.get(n))}</td>" for n in names) + "</tr>"
                   for area, row in data["matrix"].items())
    return (f"<!doctype html><meta charset='utf-8'><title>dlspec conformance</title>"
            f"<h1>Conformance report</h1><p>{html.escape(data['generated'])}: <code>{html.escape(data['command'])}</code></p>"
            f"<p>Cells: passed / failed / not implemented / not applicable.</p>"
            f"<table border=1 cellpadding=4><tr><th>area</th>{head}</tr>{rows}</table>\n")


def write_conformance(data: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "conformance.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    (out / "conformance.md").write_text(markdown(data))
    (out / "conformance.html").write_text(html_page(data))


# -- perf ---------------------------------------------------------------------------------


def perf_rows(bench: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per timed benchmark of a pytest-benchmark JSON file: its dlspec ``extra_info``."""
    return [{"name": b["name"], **b["extra_info"]} for b in bench.get("benchmarks", [])
            if b.get("extra_info", {}).get("median_s") is not None]


def perf_markdown(rows: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    """The perf table: time, GB/s, TFLOP/s and the fractions of the measured copy bandwidth and datasheet."""
    from dlspec.bench import summary_lines

    cpu = machine.get("cpu", {}).get("brand_raw", "")
    lines = [f"# Perf ({machine.get('node', '')}, {cpu})", "", "```", *summary_lines(rows), "```", ""]
    return "\n".join(lines)


def roofline(rows: list[dict[str, Any]], path: Path) -> None:
    """A roofline plot of one device: achieved TFLOP/s against arithmetic intensity (FLOP per
    byte) for workloads that count FLOPs, under the measured copy bandwidth and the compute
    ceiling (the datasheet peak, or else the best rate measured in the run); and the memory-bound
    workloads' GB/s as a fraction of the copy bandwidth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bars) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    flop_rows = [r for r in rows if r.get("flops") and r.get("bytes_min")]
    copy = max((r["copy_gb_per_s"] or 0 for r in rows), default=0) * 1e9
    peaks = [r["peak_tflop_per_s"] * 1e12 for r in rows if r.get("peak_tflop_per_s")]
    best = max((r["tflop_per_s"] * 1e12 for r in flop_rows if r.get("tflop_per_s")), default=0)
    ceiling, label = (max(peaks), "datasheet peak") if peaks else (best, "best measured (no datasheet)")
    xs = [r["flops"] / r["bytes_min"] for r in flop_rows]
    if xs and copy and ceiling:
        import numpy as np

        grid = np.logspace(np.log10(min(xs) / 4), np.log10(max(xs) * 4), 200)
        ax.plot(grid, np.minimum(grid * copy, ceiling) / 1e12, "k-", lw=1,
                label=f"roof: {copy / 1e9:.1f} GB/s copy, {ceiling / 1e12:.3g} TFLOP/s {label}")
    for r, x in zip(flop_rows, xs):
        ax.scatter(x, r["tflop_per_s"], s=18)
        ax.annotate(f"{r['name'].removeprefix('test_')[:28]} {r['dtype']}", (x, r["tflop_per_s"]), fontsize=6)
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP / byte)", ylabel="TFLOP/s", title="roofline")
    ax.legend(fontsize=7, loc="lower right")
    mem = [r for r in rows if not r.get("flops") and r.get("fraction_of_copy")]
    bars.barh([f"{r['name'].removeprefix('test_')[:30]} {r['dtype']}" for r in mem],
              [r["fraction_of_copy"] for r in mem])
    bars.axvline(1.0, color="k", lw=0.8)
    bars.set(xlabel="fraction of the measured copy bandwidth", title="memory-bound workloads")
    bars.tick_params(axis="y", labelsize=6)
    devices = sorted({f"{r['backend']} on {r['device_name']}" for r in rows})
    fig.suptitle(", ".join(devices), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_perf(bench_json: Path, out: Path) -> list[Path]:
    """Write ``perf.md`` and one roofline PNG per device from a pytest-benchmark JSON file."""
    bench = json.loads(bench_json.read_text())
    rows = perf_rows(bench)
    if not rows:
        raise ValueError(f"{bench_json} holds no timed dlspec benchmark (was it run with --benchmark-disable?)")
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.md").write_text(perf_markdown(rows, bench.get("machine_info", {})))
    written = [out / "perf.md"]
    by_device: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_device[r["device"]].append(r)
    for device, device_rows in sorted(by_device.items()):
        roofline(device_rows, out / f"roofline-{device}.png")
        written.append(out / f"roofline-{device}.png")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlspec.report", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    perf = sub.add_parser("perf", help="perf table and roofline PNG from a pytest-benchmark JSON file")
    perf.add_argument("bench_json", type=Path)
    perf.add_argument("--out", type=Path, default=Path("report"))
    run = sub.add_parser("run", help="run conformance and perf, then write every report")
    run.add_argument("--backend", default="numpy,torch,jax")
    run.add_argument("--device", default="cpu")
    run.add_argument("--out", type=Path, default=Path("report"))
    args = parser.parse_args(argv)
    if args.command == "perf":
        for path in write_perf(args.bench_json, args.out):
            print(path)
        return 0
    common = [f"--backend={args.backend}", f"--device={args.device}", "-q", "-p", "no:cacheprovider"]
    conformance = subprocess.run([sys.executable, "-m", "pytest", "conformance", *common,
                                  f"--spec-report={args.out}"], check=False)
    bench_json = args.out / "perf.json"
    perf_run = subprocess.run([sys.executable, "-m", "pytest", "perf", *common, f"--benchmark-json={bench_json}"],
                              check=False)
    if bench_json.exists():
        for path in write_perf(bench_json, args.out):
            print(path)
    print(args.out / "conformance.md")
    return max(conformance.returncode, perf_run.returncode)


if __name__ == "__main__":
    sys.exit(main())
