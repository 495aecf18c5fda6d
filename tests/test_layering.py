"""Calls flow down, events flow up: no app imports one above it (issue #10).

Every import of every non-test, non-migration Python file of each app is read with `ast`,
at module level and inside functions alike, and checked against the layers below. A lower app
that must tell a higher one something sends a Django signal (e.g. `exams.signals`); the
higher app connects a receiver in its `AppConfig.ready()`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APPS = ("accounts", "questions", "exams", "analytics", "study", "lti", "core", "demo", "config")

# Which apps each app may import (besides itself and third-party packages).
ALLOWED: dict[str, set[str]] = {
    "accounts": {"core"},
    "questions": {"core", "accounts"},
    "exams": {"core", "accounts", "questions"},
    "analytics": {"core", "accounts", "questions", "exams"},
    "study": {"core", "accounts", "questions", "exams", "analytics"},
    "lti": {"core", "accounts", "questions", "exams"},
    "core": set(),  # cross-cutting: imports no app
    "demo": set(APPS),  # demo data sits on top and may use everything
    "config": set(APPS),  # settings and URLs wire everything together
}

# Files under core/ that may still import an app, because they are demo data waiting to move
# into the `demo` app. Each must still exist and still break the rule: remove an entry when its
# file moves, so this list only shrinks; never add to it. It held core/demo.py, core/checks.py
# and core/management/commands/seed_demo.py (and core/views.py's benchmark view) until they
# moved into demo/ and accounts/ (commit 6c01092), so it is empty now.
KNOWN_CORE_EXCEPTIONS: set[str] = set()


def _python_files(app: str) -> list[Path]:
    base = ROOT / app
    return sorted(
        path
        for path in base.rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(base).parts)
    )


def _imported_apps(path: Path) -> dict[str, set[int]]:
    """The apps `path` imports, each with the lines that import it (relative imports skipped)."""
    found: dict[str, set[int]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                found.setdefault(top, set()).add(node.lineno)
    return found


def _violations(app: str, path: Path) -> list[str]:
    allowed = ALLOWED[app] | {app}
    return [
        f"{path.relative_to(ROOT)}:{min(lines)} imports {other}"
        for other, lines in sorted(_imported_apps(path).items())
        if other not in allowed
    ]


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    if not (ROOT / app).is_dir():
        pytest.skip(f"no {app}/ in this tree")
    violations = [
        line
        for path in _python_files(app)
        if path.relative_to(ROOT).as_posix() not in KNOWN_CORE_EXCEPTIONS
        for line in _violations(app, path)
    ]
    assert not violations, (
        f"{app} may import only {sorted(ALLOWED[app]) or 'no app'}; announce with a signal "
        "instead:\n" + "\n".join(violations)
    )


def test_each_known_core_exception_still_exists_and_still_needs_its_place():
    for path in sorted(KNOWN_CORE_EXCEPTIONS):
        file = ROOT / path
        assert path.startswith("core/"), path
        assert file.is_file(), f"{path} has moved: remove it from KNOWN_CORE_EXCEPTIONS"
        assert _violations("core", file), f"{path} imports no app now: remove it from the list"


def test_the_import_reader_sees_function_level_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import exams.models\n"
        "from . import local\n"
        "def f():\n"
        "    from analytics.tasks import attempt_analytics\n"
        "    import questions\n",
        encoding="utf-8",
    )
    assert _imported_apps(sample) == {"exams": {1}, "analytics": {4}, "questions": {5}}
