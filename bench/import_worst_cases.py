"""Import benchmark: every parser and the Markdown path on adversarial input at the size cap.

    python -m bench.import_worst_cases [--size 2097152] [--repeat 3]

Each case is a file built to hit a known worst case (issue #9: GIFT detection on "{" + "=" * N,
a CSV header of thousands of option columns, "![" * N in a stem, deep JSON, unclosed HTML).
The script times (CPU time of this process, so other load on a shared machine does not count)
format detection plus parsing at half and at full size and prints the ratio:
about 2 means linear, about 4 quadratic. The figures go to bench/RESULTS.md; the tests only
check that every case finishes with a clear error (tests/questions/formats/test_worst_cases.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from xml.sax.saxutils import escape

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # questions.forms.MAX_UPLOAD_BYTES, without Django


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    return head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail


def _csv_wide_header(size: int) -> str:
    columns, length, n = ["stem", "correct"], 14, 1
    while length + len(f"option_{n}") + 1 <= size:
        columns.append(f"option_{n}")
        length += len(columns[-1]) + 1
        n += 1
    return ",".join(columns) + "\r\n"


def _moodle_html(size: int) -> str:
    head = '<?xml version="1.0"?>\n<quiz><question type="multichoice"><questiontext format="html">'
    tail = "</text></questiontext></question></quiz>\n"
    unit = escape("<a ")
    return _fill(unit, size, head + "<text>", tail)


# name: (file name given to detect_format, builder of text of about `size` characters)
WORST_CASES: dict[str, tuple[str, Callable[[int], str]]] = {
    "gift: '{' + '=' * N": ("upload.txt", lambda n: _fill("=", n, "{")),
    "gift/aiken: blank lines": ("upload.txt", lambda n: _fill("\n", n, "Q\n")),
    "gift: '[html]' + '<a ' * N": (
        "upload.gift",
        lambda n: _fill("<a ", n, "[html]", " {=a ~b ~c ~d}"),
    ),
    "gift: unclosed comments": ("upload.gift", lambda n: _fill("<!--", n, "[html]", " {=a ~b}")),
    "aiken: 'A) x' * N": ("upload.aiken", lambda n: _fill("A) x\n", n, "Question?\n")),
    "csv: option_1 … option_N header": ("upload", _csv_wide_header),
    "csv: repeated columns": ("upload.csv", lambda n: _fill("x,", n, "stem,correct,")),
    "csv: a quote left open": ("upload.csv", lambda n: _fill("x", n, 'stem,correct\r\n"')),
    "json: '[' * N": ("upload", lambda n: _fill("[", n)),
    "json: a number of N digits": ("upload.json", lambda n: _fill("1", n, "[", "]")),
    "json: stem '![' * N": (
        "upload.json",
        lambda n: _fill("![", n, '[{"kind": "multiple_choice", "options": [], "stem": "', '"}]'),
    ),
    "moodle xml: '<a ' * N as HTML": ("upload.xml", _moodle_html),
}


def run_case(filename: str, text: str) -> int:
    """Detect and parse one file; return the number of errors (what the import page shows)."""
    from questions import formats

    fmt = formats.detect_format(filename, text) or "gift"
    result = formats.parse(fmt, text)
    return len(result.errors) + len(result.skipped)


def render_case(size: int) -> None:
    """Render an over-long stem of '![' (the renderer's own bound, not the content rules)."""
    from questions.markdown import render_markdown

    render_markdown(_fill("![", size))


def _time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _capped_markdown(repeat: int) -> list[tuple[str, float]]:
    """Time rendering the longest text the content rules let through, in its worst shape."""
    from questions.content_rules import EXPLANATION_MAX_LENGTH, OPTION_MAX_LENGTH, STEM_MAX_LENGTH
    from questions.markdown import render_markdown

    return [
        (
            f"render '![' at the {label} cap ({cap:,} chars)",
            _time(lambda c=cap: render_markdown(_fill("![", c)), repeat),
        )
        for label, cap in (
            ("stem", STEM_MAX_LENGTH),
            ("option", OPTION_MAX_LENGTH),
            ("explanation", EXPLANATION_MAX_LENGTH),
        )
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=MAX_UPLOAD_BYTES, help="characters per file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median)")
    args = parser.parse_args(argv)
    # Warm up: the first call pays for imports and regex compilation, not for the input.
    run_case("warm.gift", "Q {=a ~b ~c ~d}")
    render_case(10)
    print(f"| case | {args.size // 2:,} chars (s) | {args.size:,} chars (s) | ratio |")
    print("|---|---:|---:|---:|")
    cases = [
        (name, lambda n, f=filename, b=build: run_case(f, b(n)))
        for name, (filename, build) in WORST_CASES.items()
    ]
    cases.append(("markdown: render '![' * N (over the renderer cap)", render_case))
    for name, case in cases:
        half = _time(lambda c=case: c(args.size // 2), args.repeat)
        full = _time(lambda c=case: c(args.size), args.repeat)
        print(f"| {name} | {half:.3f} | {full:.3f} | {full / half if half else 0:.1f} |")
    print()
    for name, seconds in _capped_markdown(args.repeat):
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
