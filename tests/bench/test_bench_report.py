"""The benchmark's own arithmetic: CPU per request from request-log lines, workers per node."""

import json

import pytest

from bench.report import request_cpu
from bench.run import parse_args, workers_per_node


def _line(method: str, view: str | None, cpu_ms: float) -> str:
    row = {"request_id": "x", "method": method, "path": "/", "view": view, "status": 200}
    return json.dumps({**row, "duration_ms": 1.0, "cpu_ms": cpu_ms}, separators=(",", ":"))


def test_cpu_per_request_is_aggregated_per_endpoint_against_the_floor(tmp_path):
    node1, node2 = tmp_path / "gunicorn-1.log", tmp_path / "gunicorn-2.log"
    node1.write_text(
        "\n".join(
            [
                _line("POST", "bench_floor", 2.0),
                _line("POST", "exams:answer", 5.0),
                "[2026-12-02 17:00:00 +0000] [12] [WARNING] not a request line",
                _line("GET", "healthz", 1.0),
                '{"request_id": broken',
            ]
        )
        + "\n"
    )
    node2.write_text(
        _line("POST", "bench_floor", 4.0) + "\n" + _line("POST", "exams:answer", 7.0) + "\n"
    )
    cpu = request_cpu([node1, node2])
    assert cpu["POST floor"]["requests"] == 2
    assert cpu["POST floor"]["mean_cpu_ms"] == 3.0
    assert cpu["POST floor"]["ratio_to_floor"] == 1.0
    assert cpu["POST answer (autosave)"]["median_cpu_ms"] == 6.0
    assert cpu["POST answer (autosave)"]["ratio_to_floor"] == 2.0
    assert cpu["GET healthz"]["requests"] == 1  # an endpoint outside the benchmark's names


def test_without_floor_requests_there_is_no_ratio(tmp_path):
    log = tmp_path / "gunicorn.log"
    log.write_text(_line("POST", "exams:answer", 5.0) + "\n")
    assert request_cpu([log])["POST answer (autosave)"]["ratio_to_floor"] is None


@pytest.mark.parametrize(
    ("workers", "nodes", "split"),
    [(5, 1, [5]), (5, 2, [3, 2]), (6, 3, [2, 2, 2]), (4, 3, [2, 1, 1])],
)
def test_the_workers_are_split_between_the_nodes(workers, nodes, split):
    args = parse_args(["--workers", str(workers), "--nodes", str(nodes)])
    assert workers_per_node(args) == split
    assert args.pgbouncer is (nodes > 1)


def test_the_defaults_are_the_issues_bar():
    args = parse_args([])
    assert (args.users, args.login_window, args.start_window, args.submit_window) == (
        1000,
        300.0,
        20.0,
        20.0,
    )
    assert (args.tick, args.duration, args.nodes, args.workers) == (10.0, 200.0, 1, 5)


@pytest.mark.parametrize(
    "argv",
    [
        ["--nodes", "0"],
        ["--workers", "1", "--nodes", "2"],
        ["--tick", "0"],
        ["--duration", "30"],  # no room for the 20-s start and submit windows
    ],
)
def test_impossible_options_are_refused_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert "must" in capsys.readouterr().err
