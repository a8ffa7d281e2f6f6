"""The reports: the conformance matrix from test outcomes, and the perf table and roofline
plot from a pytest-benchmark JSON file."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from dlspec import report

BACKENDS = {"numpy": {"library": "numpy 2", "device": "cpu", "device_name": "cpu", "capabilities": {}},
            "torch": {"library": "torch 2", "device": "cpu", "device_name": "cpu", "capabilities": {}}}


def _test(nodeid: str, backend: str, outcome: str, ratio: float | None = None) -> dict:
    error = None if ratio is None else {"op": "op", "max_abs_err": ratio / 10, "error_over_tolerance": ratio,
                                        "rule": "4 ulp·|expected|"}
    return {"nodeid": nodeid, "area": report.area_of(nodeid), "backend": backend, "outcome": outcome, "max_error": error}


def test_matrix_counts_each_area_and_backend():
    tests = [_test("conformance/test_matmul.py::test_a[numpy]", "numpy", "passed", 0.5),
             _test("conformance/test_matmul.py::test_b[numpy]", "numpy", "not implemented"),
             _test("conformance/test_matmul.py::test_a[torch]", "torch", "failed", 3.0),
             _test("docs/test_pages.py::test_block[matmul.md:12-torch]", "torch", "passed")]
    data = report.build(tests, BACKENDS, ["pytest", "conformance"])
    assert data["matrix"]["matmul"]["numpy"] == {"passed": 1, "failed": 0, "not implemented": 1,
                                                 "not applicable": 0, "skipped": 0}
    assert data["matrix"]["docs:matmul"]["torch"]["passed"] == 1
    text = report.markdown(data)
    assert "| matmul | 1 / 0 / 1 / 0 | 0 / 1 / 0 / 0 |" in text
    assert "4 ulp·\\|expected\\|" in text  # a '|' inside a cell is escaped
    assert text.index("test_a[torch]") < text.index("test_a[numpy]")  # closest to the tolerance first
    assert "<table" in report.html_page(data)


@pytest.mark.parametrize(("nodeid", "names", "expected"), [
    ("conformance/test_x.py::test_y[atan-crashes-float64]", ["numpy", "atan-crashes"], "atan-crashes"),
    ("conformance/test_x.py::test_y[float64-numpy]", ["numpy", "torch"], "numpy"),
    ("conformance/test_x.py", ["numpy"], None),
])
def test_backend_is_read_from_the_test_id_when_a_worker_crashed(nodeid, names, expected):
    crashed = SimpleNamespace(nodeid=nodeid, user_properties=[])
    assert report.backend_of(crashed, names) == expected


def test_perf_table_and_roofline_from_benchmark_json(tmp_path):
    common = {"backend": "torch", "library": "torch 2", "device": "cpu", "device_name": "cpu", "timing_mode": "wall clock",
              "iqr_s": 1e-5, "copy_gb_per_s": 20.0, "copy_method": "numpy.copyto", "fraction_of_roofline": None,
              "peak_tflop_per_s": None, "dtype": "float32"}
    rows = [{"name": "test_matmul", "extra_info": {**common, "median_s": 1e-3, "flops": 2e9, "bytes_min": 1.2e7,
                                                   "gb_per_s": 12.0, "tflop_per_s": 2.0, "fraction_of_copy": 0.6}},
            {"name": "test_copy", "extra_info": {**common, "median_s": 1e-3, "flops": 0, "bytes_min": 1.6e7,
                                                 "gb_per_s": 16.0, "tflop_per_s": None, "fraction_of_copy": 0.8}},
            {"name": "test_disabled", "extra_info": {**common, "median_s": None}}]
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"benchmarks": rows, "machine_info": {"node": "box"}}))
    written = report.write_perf(path, tmp_path / "out")
    assert [p.name for p in written] == ["perf.md", "roofline-cpu.png"]
    table = written[0].read_text()
    assert "test_matmul" in table and "test_copy" in table and "test_disabled" not in table
    assert written[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_perf_report_refuses_a_run_without_timings(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"benchmarks": [{"name": "t", "extra_info": {"median_s": None}}]}))
    with pytest.raises(ValueError, match="no timed dlspec benchmark"):
        report.write_perf(path, tmp_path)
