"""The choice of database tests for the PostgreSQL pass (tests/statement_cover.py)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from tests.statement_cover import RecordedTest, Recorder, choose, load_records, main, runs_python, statement_shape

REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_shape_ignores_values_list_lengths_and_numbers():
    assert statement_shape("SELECT a FROM t WHERE id IN (?, ?, ?)") == statement_shape(
        "SELECT a FROM t\n  WHERE id IN (?)"
    )
    # SQLAlchemy's batched insert numbers its rows with literals
    many = "INSERT INTO answer (a, b) SELECT p0, p1 FROM (VALUES (?, ?, 0), (?, ?, 1), (?, ?, 2)) AS imp_sen(p0, p1, n)"
    one = "INSERT INTO answer (a, b) SELECT p0, p1 FROM (VALUES (?, ?, 0)) AS imp_sen(p0, p1, n)"
    assert statement_shape(many) == statement_shape(one)
    assert statement_shape("SAVEPOINT sa_savepoint_3") == statement_shape("SAVEPOINT sa_savepoint_12")
    assert statement_shape("SELECT 1 WHERE k = 'centre'") == statement_shape("SELECT 1 WHERE k = 'it''s'")


def test_a_shape_keeps_what_the_database_does():
    assert statement_shape("SELECT a FROM t WHERE id IN (?)") != statement_shape("SELECT a FROM u WHERE id IN (?)")
    assert statement_shape("SELECT a FROM t ORDER BY a") != statement_shape("SELECT a FROM t ORDER BY a DESC")
    assert statement_shape("UPDATE t SET a = ?") != statement_shape("UPDATE t SET a = ?, b = ?")


def _records(**tests: tuple[str, float, set[str]]) -> dict[str, RecordedTest]:
    return {
        name: RecordedTest(outcome, duration, False, statements)
        for name, (outcome, duration, statements) in tests.items()
    }


def test_the_choice_covers_every_shape_with_fewer_tests():
    records = _records(
        a=("passed", 1.0, {"s1", "s2"}),
        b=("passed", 1.0, {"s3"}),
        c=("passed", 1.0, {"s1", "s2", "s3"}),  # alone covers what a and b cover together
        d=("passed", 1.0, {"s1"}),
    )
    chosen, reasons = choose(records)
    assert chosen == ["c"]
    assert reasons["covers statements"] == 1


def test_the_choice_weighs_time():
    records = _records(
        slow=("passed", 30.0, {"s1", "s2", "s3"}),
        quick_one=("passed", 0.2, {"s1", "s2"}),
        quick_two=("passed", 0.2, {"s3"}),
    )
    assert choose(records)[0] == ["quick_one", "quick_two"]


def test_what_the_recorder_cannot_vouch_for_always_runs():
    records = _records(
        only_postgres=("skipped", 0.0, set()),
        broken=("failed", 1.0, {"s1"}),
        covered=("passed", 1.0, {"s1"}),
        server=("passed", 5.0, {"s1"}),
    )
    records["server"].opaque = True
    chosen, reasons = choose(records)
    # s1 is covered by the server test that runs anyway; the failed one ran it too but is kept for itself
    assert chosen == ["broken", "only_postgres", "server"]
    assert reasons == {"not passed on SQLite": 2, "starts a process": 1, "covers statements": 0}


def test_the_same_records_give_the_same_choice():
    records = _records(**{f"t{i}": ("passed", 1.0, {f"s{i % 5}", f"s{i % 7}"}) for i in range(40)})
    first = choose(records)[0]
    assert first == choose(dict(reversed(records.items())))[0]
    assert set().union(*(records[n].statements for n in first)) == {f"s{i}" for i in range(7)}


def test_the_recorder_files_round_trip_and_main_prints_what_is_left_out(tmp_path, capsys):
    recorder, by_the_app = Recorder(), _issued_by("app")
    recorder.current = recorder.tests.setdefault("x::a", RecordedTest("passed", 1.0))
    by_the_app(recorder, "SELECT 1 FROM t WHERE id IN (?, ?)")
    by_the_app(recorder, "SELECT 1 FROM t WHERE id IN (?)")
    recorder.current = recorder.tests.setdefault("x::b", RecordedTest("passed", 2.0))
    by_the_app(recorder, "SELECT 1 FROM t WHERE id IN (?)")
    recorder.current = None
    by_the_app(recorder, "DELETE FROM t")  # outside a test: no one's
    (tmp_path / "gw0.json").write_text(json.dumps(recorder.to_json()))
    loaded = load_records(tmp_path)
    assert len(loaded["x::a"].statements) == 1 and loaded["x::a"].statements == loaded["x::b"].statements
    assert main([str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.split() == ["x::b"]
    assert "1 of 2 database tests" in err


def test_only_a_python_process_hides_statements():
    assert runs_python([sys.executable, "-c", "pass"])
    assert runs_python([str(Path(sys.prefix) / "bin" / "gunicorn"), "app:app"])
    assert runs_python(f"{sys.executable} -m flask")
    assert not runs_python(["pdftotext", "-layout", "report.pdf", "-"])
    assert not runs_python("true")


def _issued_by(folder: str) -> Callable[..., None]:
    """A function that hands a statement to the recorder from code that lives in ``folder`` of the repository,
    as the app's code (``app``) or a test's own (``tests``) does through SQLAlchemy's events."""
    namespace: dict = {}
    source = "def issue(recorder, sql, how=''):\n    recorder.statement(sql, how)\n"
    exec(compile(source, str(REPOSITORY / folder / "issuing.py"), "exec"), namespace)  # noqa: S102 (fixed source)
    return namespace["issue"]


def test_a_refusal_an_executemany_and_a_seed_are_shapes_of_their_own():
    recorder = Recorder()
    recorder.current = recorder.tests.setdefault("x::a", RecordedTest())
    sql = "INSERT INTO response (client_submission_id) VALUES (?)"
    by_the_app = _issued_by("app")
    by_the_app(recorder, sql)
    by_the_app(recorder, sql, "many")
    by_the_app(recorder, sql, "error:IntegrityError")
    by_the_app(recorder, sql, "error:IntegrityError")
    recorder.seed_used("reports")
    assert len(recorder.tests["x::a"].statements) == 4


def test_what_a_test_issues_itself_covers_nothing_unless_refused():
    recorder = Recorder()
    recorder.current = recorder.tests.setdefault("x::a", RecordedTest())
    by_the_test, by_the_app = _issued_by("tests"), _issued_by("app")
    by_the_test(recorder, "UPDATE organisation SET active = ? WHERE kind = ?")  # the test's own set-up
    by_the_test(recorder, "SELECT count(*) FROM response")  # the test's own check
    assert recorder.tests["x::a"].statements == set()
    by_the_test(recorder, "INSERT INTO response (id) VALUES (?)", "error:IntegrityError")  # a constraint's test
    by_the_app(recorder, "SELECT count(*) FROM response")  # the same shape, now the app's
    assert len(recorder.tests["x::a"].statements) == 2
    recorder.statement("DELETE FROM response")  # from this very test module
    assert len(recorder.tests["x::a"].statements) == 2


def test_a_sqlite_only_test_neither_runs_nor_covers():
    records = _records(pragmas=("passed", 0.1, {"s1", "s2"}), insert=("passed", 1.0, {"s1"}))
    records["pragmas"].sqlite_only = True
    chosen, reasons = choose(records)
    assert chosen == ["insert"]  # s2 is SQLite's own; s1 still needs a test that runs on PostgreSQL
    assert reasons["covers statements"] == 1


def test_a_command_it_cannot_read_counts_as_python():
    assert runs_python([os.fsencode(sys.executable), "-c", "pass"])
    assert runs_python('python "unbalanced')
