"""Which database tests the PostgreSQL pass runs: those that cover every SQL statement the SQLite pass ran.

Every test that uses the database runs on SQLite. The PostgreSQL pass is there for what the database changes:
the same statements compiled for another dialect, its types, locks and sequences, and the code that branches
on the dialect. Most of the ~900 database tests repeat statements other tests already ran, so the PostgreSQL
pass runs a set of them that together execute every statement *shape* the SQLite pass executed (the SQL with
its values, list lengths and numbers taken out; an executemany, a statement the database refused and a seeded
template each count as shapes of their own), chosen for the least time, and on top of it every test the
recorder cannot see through:

* a test that did not pass on SQLite (skipped there: it only speaks for PostgreSQL), or was not recorded;
* a test that starts a Python process (a server, a CLI): its statements run where the recorder is not (a
  ``pdftotext`` reads no database).

A test marked ``sqlite_only`` (SQLite's own behaviour) is skipped on PostgreSQL and covers nothing. A statement
a test issues itself (its own set-up and checks: the innermost code of this repository that led to it lies under
``tests/``) is not the product's and counts for nothing, unless the database refused it (a test of a constraint
issues the offending statement itself).

A statement only the PostgreSQL branch of some code runs is run by the test whose SQLite branch ran there,
since that branch's statements are covered too. ``OTKLIK_PG_ALL=1 make test`` runs every database test on
PostgreSQL (scripts/test.sh).

In the SQLite pass, ``OTKLIK_RECORD_STATEMENTS=DIR`` makes each pytest worker write what each test ran to
``DIR/<worker>.json``; ``python -m tests.statement_cover DIR`` prints the node ids of the recorded tests the
choice leaves out, one per line; ``OTKLIK_PG_LEAVE_OUT=FILE`` in the PostgreSQL pass sets those aside. A test
the SQLite pass did not record (a new one, or one a ``-k`` left out there) runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

RECORD_DIR = os.environ.get("OTKLIK_RECORD_STATEMENTS")
_THIS = str(Path(__file__).resolve())
_REPOSITORY = str(Path(__file__).resolve().parent.parent) + os.sep
_TESTS = _REPOSITORY + "tests" + os.sep
_LIBRARIES = tuple({sys.prefix + os.sep, sys.base_prefix + os.sep})  # the virtualenv may sit in the repository
LEAVE_OUT_FILE = os.environ.get("OTKLIK_PG_LEAVE_OUT")
COST_PER_TEST = 0.1  # seconds a database test costs beside its own time (a fresh app, an emptied database)

_SPACE = re.compile(r"\s+")
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?")  # savepoint_3 too; not p0
_TUPLE = re.compile(r"\((?:\s*[?N]\s*,)*\s*[?N]\s*\)")
_TUPLES = re.compile(r"\(\?\)(?:\s*,\s*\(\?\))+")


def statement_shape(sql: str) -> str:
    """The statement without what varies between runs of the same code: values, list lengths, numbers.

    ``IN (?, ?, ?)`` and ``IN (?)`` are one shape, as are one and many rows of ``VALUES`` (SQLAlchemy's
    batched inserts number their rows with literals), savepoint names and ``LIMIT 3``."""
    shape = _SPACE.sub(" ", sql.strip())
    shape = _STRING.sub("'S'", shape)
    shape = _NUMBER.sub("N", shape)
    shape = _TUPLE.sub("(?)", shape)
    return _TUPLES.sub("(?)", shape)


def _key(sql: str, how: str = "") -> str:
    return hashlib.blake2b(f"{how}|{statement_shape(sql)}".encode(), digest_size=8).hexdigest()


@dataclass
class RecordedTest:
    outcome: str = "unknown"  # passed, skipped, failed
    duration: float = 0.0
    opaque: bool = False  # started a process: its statements were not seen
    statements: set[str] = field(default_factory=set)
    sqlite_only: bool = False  # marked so: skipped on PostgreSQL, so it covers nothing there


class Recorder:
    """Collects, for the test running in this process, the shapes of the statements it runs."""

    def __init__(self) -> None:
        self.tests: dict[str, RecordedTest] = {}
        self.current: RecordedTest | None = None
        self.paused = 0
        self._keys: dict[tuple[str, str], str] = {}  # the same SQL text comes back thousands of times

    def statement(self, sql: str, how: str = "") -> None:
        """``how``: ``many`` for an executemany (PostgreSQL's driver batches it its own way), ``error:<class>``
        for a statement the database refused (the code that handles a refusal differs between the two)."""
        if self.current is None or self.paused:
            return
        key = self._keys.get((sql, how))
        if key is None:
            key = self._keys[(sql, how)] = _key(sql, how)
        if key in self.current.statements:
            return
        if not how.startswith("error:") and issued_by_a_test():
            return
        self.current.statements.add(key)

    def seed_used(self, name: str) -> None:
        """A seed's template is built on each database by the first test that asks for it: one test that uses
        it has to run on PostgreSQL, so the seed counts as one more shape of every test that does."""
        if self.current is not None:
            self.current.statements.add(f"seed:{name}")

    def process_started(self) -> None:
        if self.current is not None:
            self.current.opaque = True

    def to_json(self) -> dict:
        return {
            nodeid: {
                "outcome": r.outcome,
                "duration": round(r.duration, 3),
                "opaque": r.opaque,
                "statements": sorted(r.statements),
                "sqlite_only": r.sqlite_only,
            }
            for nodeid, r in self.tests.items()
        }


def issued_by_a_test() -> bool:
    """Whether the innermost code of this repository on the stack (past the libraries and this module) is a
    test's: a statement the test issued itself rather than one the app issued for it."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_REPOSITORY) and not name.startswith(_LIBRARIES) and name != _THIS:
            return name.startswith(_TESTS)
        frame = frame.f_back
    return False


_recorder: Recorder | None = None


def seed_used(name: str) -> None:
    if _recorder is not None:
        _recorder.seed_used(name)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Statements of shared set-up (a seed's template, the schema) belong to no test (see ``seed_used``)."""
    if _recorder is None:
        yield
        return
    _recorder.paused += 1
    try:
        yield
    finally:
        _recorder.paused -= 1


def runs_python(args: Any) -> bool:
    """Whether a command runs Python of this environment (the interpreter, or a script of the virtualenv such
    as gunicorn or flask): only such a process can reach the test's database."""
    try:
        program = args if isinstance(args, str | bytes | os.PathLike) else next(iter(args), "")
        program = os.fsdecode(program)
        program = shlex.split(program)[0] if " " in program else program
        path = Path(shutil.which(program) or program).absolute()
    except (TypeError, ValueError, IndexError):
        return True  # a command this cannot read: assume it may reach the database
    return path.name.startswith("python") or path.is_relative_to(sys.prefix) or str(path) == sys.executable


def _install(recorder: Recorder) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import DBAPIError

    from app.database import DriverStatement

    def before_cursor_execute(_conn, _cursor, statement, _params, _context, many):
        recorder.statement(statement, "many" if many else "")

    def handle_error(context):
        if context.statement is not None:
            recorder.statement(context.statement, f"error:{type(context.original_exception).__name__}")

    event.listen(Engine, "before_cursor_execute", before_cursor_execute)
    event.listen(Engine, "handle_error", handle_error)

    # The driver path runs its compiled SQL on the cursor itself, and raises a refusal as SQLAlchemy's error.
    plan, run, execute_many = DriverStatement._plan, DriverStatement._run, DriverStatement._execute_many

    def recorded_plan(self, dialect, keys):
        found = plan(self, dialect, keys)
        recorder.statement(found.sql)
        return found

    def refusals_recorded(method):
        def recorded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except DBAPIError as exc:
                recorder.statement(str(exc.statement), f"error:{type(exc.orig).__name__}")
                raise

        return recorded

    DriverStatement._plan = recorded_plan  # type: ignore[method-assign]
    DriverStatement._run = refusals_recorded(run)  # type: ignore[method-assign]
    DriverStatement._execute_many = staticmethod(refusals_recorded(execute_many))  # type: ignore[method-assign]

    popen_init = subprocess.Popen.__init__

    def recorded_popen(self, args, *rest, **kwargs):
        if recorder.current is not None and runs_python(args):
            recorder.process_started()
        popen_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = recorded_popen  # type: ignore[method-assign]


def pytest_configure(config) -> None:
    global _recorder
    if RECORD_DIR and _recorder is None:
        _recorder = Recorder()
        _install(_recorder)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _recorder is None or not item.get_closest_marker("postgres"):
        yield
        return
    _recorder.current = _recorder.tests.setdefault(
        item.nodeid, RecordedTest(sqlite_only=item.get_closest_marker("sqlite_only") is not None)
    )
    try:
        yield
    finally:
        _recorder.current = None


def pytest_runtest_logreport(report) -> None:
    if _recorder is None or report.nodeid not in _recorder.tests:
        return
    record = _recorder.tests[report.nodeid]
    record.duration += report.duration
    if report.failed:
        record.outcome = "failed"
    elif report.skipped:
        record.outcome = "skipped"
    elif report.when == "call" and record.outcome == "unknown":
        record.outcome = "passed"


def pytest_sessionfinish(session) -> None:
    if _recorder is None or not _recorder.tests or RECORD_DIR is None:
        return
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    folder = Path(RECORD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{worker}.tmp"
    partial.write_text(json.dumps(_recorder.to_json()))
    partial.replace(folder / f"{worker}.json")


def pytest_collection_modifyitems(config, items) -> None:
    """In the PostgreSQL pass, set aside the tests the choice leaves out (``OTKLIK_PG_LEAVE_OUT``)."""
    if not LEAVE_OUT_FILE:
        return
    left_out = set(Path(LEAVE_OUT_FILE).read_text().splitlines())
    kept = [item for item in items if item.nodeid not in left_out]
    dropped = [item for item in items if item.nodeid in left_out]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# ------------------------------------------------------------------ the choice


def load_records(folder: Path) -> dict[str, RecordedTest]:
    records: dict[str, RecordedTest] = {}
    for path in sorted(folder.glob("*.json")):
        for nodeid, raw in json.loads(path.read_text()).items():
            records[nodeid] = RecordedTest(
                raw["outcome"], raw["duration"], raw["opaque"], set(raw["statements"]), raw["sqlite_only"]
            )
    return records


def choose(records: dict[str, RecordedTest]) -> tuple[list[str], dict[str, int]]:
    """The node ids to run on PostgreSQL and how many were chosen for which reason.

    Greedy weighted set cover (Chvátal 1979): take the test that adds the most uncovered statement shapes
    per second of its time, until every shape of a passed test is covered; within ln(n)+1 of the cheapest
    cover. Ties go to the node id, so the same records give the same choice. A test marked ``sqlite_only`` is
    skipped on PostgreSQL: it is left out and covers nothing (what only it runs is SQLite's own)."""
    records = {nodeid: r for nodeid, r in records.items() if not r.sqlite_only}
    always = sorted(nodeid for nodeid, r in records.items() if r.outcome != "passed" or r.opaque)
    uncovered = set().union(*(r.statements for r in records.values() if r.outcome == "passed"))
    for nodeid in always:
        uncovered -= records[nodeid].statements
    reasons = {
        "not passed on SQLite": sum(1 for n in always if records[n].outcome != "passed"),
        "starts a process": sum(1 for n in always if records[n].outcome == "passed"),
    }
    candidates = sorted(n for n, r in records.items() if n not in set(always) and r.statements)
    chosen: list[str] = []
    while uncovered:
        best = max(
            candidates,
            key=lambda n: (len(records[n].statements & uncovered) / (records[n].duration + COST_PER_TEST), n),
        )
        gain = records[best].statements & uncovered
        if not gain:
            break  # cannot happen: every uncovered shape belongs to some passed candidate
        chosen.append(best)
        uncovered -= gain
        candidates.remove(best)
    reasons["covers statements"] = len(chosen)
    return always + sorted(chosen), reasons


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    if len(args) != 1:
        print("usage: python -m tests.statement_cover RECORD_DIR > left-out.txt", file=sys.stderr)
        return 2
    records = load_records(Path(args[0]))
    if not records:
        print(f"no recorded tests in {args[0]}", file=sys.stderr)
        return 1
    selection, reasons = choose(records)
    print("\n".join(sorted(set(records) - set(selection))))
    shapes = set().union(*(r.statements for r in records.values() if not r.sqlite_only))
    seconds = sum(records[n].duration for n in selection)
    total = sum(r.duration for r in records.values())
    sqlite_only = sum(1 for r in records.values() if r.sqlite_only)
    print(
        f"{len(selection)} of {len(records)} database tests ({seconds:.0f} of {total:.0f} s on SQLite) cover all "
        f"{len(shapes)} statement shapes: " + ", ".join(f"{k} {v}" for k, v in reasons.items()) + f"; "
        f"{sqlite_only} marked sqlite_only",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
