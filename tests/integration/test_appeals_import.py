"""Import of appeals from CSV/XLSX: all or nothing, line-numbered Russian errors, dry run, CLI."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.appeals.importer import AppealImportError, import_file
from app.appeals.models import Appeal
from app.extensions import db
from app.models import Topic
from app.org.services import find_center

HEADER = "received_at,kind,form,topic,center,external_id,channel,text,status,answered_at\n"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal))


def _write(tmp_path: Path, body: str, name: str = "appeals.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_valid_file_with_codes_and_russian_words(org, tmp_path):
    path = _write(
        tmp_path,
        (
            "2026-03-02 10:15,complaint,remote,quality,KUR,E1,phone,Низкое напряжение,,\n"
            "2026-03-02,Жалоба,очно,Качество электроэнергии,Льгов,E2,,,answered,2026-03-05 12:00\n"
            "2026-03-03T08:00:00,заявление,заочно,технологическое присоединение,kur,,письмо,,Закрыто,2026-03-20\n"
            '2026-03-04 09:00,application,interactive,other,KUR,E4,web,"=HYPERLINK(""x"")",registered,\n'
        ),
    )
    result = import_file(path)
    assert (result.rows, result.inserted) == (4, 4)
    assert result.by_kind == {"complaint": 2, "application": 2}
    rows = {a.external_id: a for a in db.session.scalars(select(Appeal))}
    lgv, kur = find_center("LGV"), find_center("KUR")
    assert rows["E2"].center_id == lgv.id and rows["E2"].form == "in_person" and rows["E2"].channel == "visit"
    assert rows["E2"].status == "answered"
    # Local Moscow time → UTC; the deadline is computed at import (10 working days for complaints).
    assert rows["E1"].received_at == datetime(2026, 3, 2, 7, 15)
    assert rows["E1"].due_at == datetime(2026, 3, 17, 20, 59, 59)
    assert rows["E2"].answered_at == datetime(2026, 3, 5, 9, 0)
    letter = db.session.scalar(select(Appeal).where(Appeal.external_id.is_(None)))
    assert letter.channel == "letter" and letter.status == "closed" and letter.center_id == kur.id
    assert letter.closed_at == letter.answered_at
    # 30 calendar days for a letter: 03.03 + 30 = 02.04.2026 (Thursday).
    assert letter.due_at == datetime(2026, 4, 2, 20, 59, 59)
    assert rows["E1"].external_source == "import"
    assert rows["E4"].text == '=HYPERLINK("x")'  # stored as typed; neutralised only on export


def test_any_bad_row_aborts_everything_with_line_numbers(org, tmp_path):
    path = _write(
        tmp_path,
        (
            "2026-03-02 10:15,complaint,remote,quality,KUR,E1,,,,\n"  # line 2: fine
            "2026-03-02 10:15,жлоба,remote,quality,KUR,E2,,,,\n"  # line 3: unknown kind
            "2026-02-30,complaint,remote,quality,KUR,E3,,,,\n"  # line 4: bad date
            "2026-03-02 10:15,complaint,remote,quality,MARS,E4,,,,\n"  # line 5: unknown centre
            "2026-03-02 10:15,complaint,remote,quality,KUR,E1,,,,\n"  # line 6: duplicate external id
            "2026-03-02 10:15,complaint,remote,погода,KUR,E6,fax,,closed,\n"  # line 7: topic, channel, answered_at
            "2026-03-02 10:15,complaint,remote,quality,KUR,E7,,,,\n"  # line 8: fine
        ),
    )
    with pytest.raises(AppealImportError) as caught:
        import_file(path)
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == ["строка 3", "строка 4", "строка 5", "строка 6", "строка 7"]
    assert "жлоба" in errors[0]
    assert "2026-02-30" in errors[1]
    assert "MARS" in errors[2]
    assert "E1" in errors[3] and "повторяется" in errors[3]
    assert "погода" in errors[4] and "fax" in errors[4] and "answered_at" in errors[4]
    assert _count() == 0


def test_duplicate_external_id_already_in_the_database(org, tmp_path):
    import_file(_write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,X1,,,,\n", "a.csv"))
    with pytest.raises(AppealImportError, match="строка 3: .*X1.*уже загружено"):
        import_file(
            _write(
                tmp_path,
                "2026-03-03,complaint,remote,quality,KUR,X2,,,,\n2026-03-03,complaint,remote,quality,KUR,X1,,,,\n",
                "b.csv",
            )
        )
    assert _count() == 1
    import_file(_write(tmp_path, "2026-03-03,complaint,remote,quality,KUR,X1,,,,\n", "c.csv"), source="crm")
    assert _count() == 2


def test_missing_columns_and_empty_files(org, tmp_path):
    with pytest.raises(AppealImportError, match="строка 1: нет обязательных столбцов: topic, center"):
        import_file(_write(tmp_path, "2026-03-02,complaint,remote\n", header="received_at,kind,form\n"))
    with pytest.raises(AppealImportError, match="нет строк"):
        import_file(_write(tmp_path, ""))


def test_dry_run_stores_nothing(org, tmp_path):
    result = import_file(_write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,,,,,\n"), dry_run=True)
    assert (result.rows, result.inserted, result.dry_run) == (1, 0, True)
    assert _count() == 0


def test_semicolon_csv_with_bom_and_scope_limit(org, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        "\ufeffreceived_at;kind;form;topic;center\n02.03.2026 10:00;жалоба;заочно;прочие вопросы;LGV\n",
        encoding="utf-8",
    )
    with pytest.raises(AppealImportError, match="строка 2: ЦОК «LGV» вне вашей зоны"):
        import_file(path, allowed_center_ids={find_center("KUR").id})
    assert import_file(path).inserted == 1
    appeal = db.session.scalar(select(Appeal))
    assert appeal.received_at == datetime(2026, 3, 2, 7, 0)
    assert appeal.topic_id == db.session.scalar(select(Topic.id).where(Topic.code == "other"))


def test_xlsx_import(org, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["received_at", "kind", "form", "topic", "center", "external_id"])
    sheet.append([datetime(2026, 3, 2, 10, 0), "заявление", "очно", "connection", "KUR", 101])
    sheet.append(["2026-03-03", "complaint", "remote", "quality", "Курск", "102"])
    path = tmp_path / "appeals.xlsx"
    workbook.save(path)
    assert import_file(path).inserted == 2
    assert set(db.session.scalars(select(Appeal.external_id))) == {"101", "102"}

    sheet.append(["не дата", "complaint", "remote", "quality", "KUR", "103"])
    workbook.save(path)
    with pytest.raises(AppealImportError, match="строка 4: неверная дата"):
        import_file(path)


def test_cli_import(org, runner, tmp_path):
    good = _write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,C1,,,,\n", "good.csv")
    result = runner.invoke(args=["appeals", "import", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Проверка пройдена" in result.output and _count() == 0
    result = runner.invoke(args=["appeals", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Импортировано обращений: 1" in result.output and _count() == 1
    bad = _write(
        tmp_path,
        "2026-03-02,complaint,remote,quality,KUR,C2,,,,\n2026-13-01,complaint,remote,quality,KUR,,,,,\n",
        "bad.csv",
    )
    result = runner.invoke(args=["appeals", "import", str(bad)])
    assert result.exit_code != 0
    assert "ничего не сохранено" in result.output and "строка 3" in result.output
    assert _count() == 1


@pytest.mark.parametrize("source", ["review_book", "survey", "manual", "demo"])
def test_sources_the_system_numbers_itself_are_refused(org, tmp_path, source):
    # An imported "review_book" number would later be the next kiosk entry's number: that entry could
    # then never be saved. The import is refused before the file is read.
    path = _write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,KUR-2026-000001,,,,\n")
    with pytest.raises(AppealImportError, match=f"Источник «{source}» занят.*paper_book"):
        import_file(path, source=source)
    assert _count() == 0
    assert import_file(path, source="paper_book").inserted == 1


@pytest.mark.parametrize("source", ["", "crm system", "x" * 33, "crm;drop", "срм"])
def test_source_names_the_column_cannot_hold_are_refused(org, tmp_path, source):
    path = _write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,E1,,,,\n")
    with pytest.raises(AppealImportError, match="не подходит: нужны от 1 до 32"):
        import_file(path, source=source)
    assert _count() == 0


@pytest.mark.parametrize("source", ["CRM", "1C", "crm.v2"])
def test_source_names_used_by_other_systems_are_accepted(org, tmp_path, source):
    path = _write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,E1,,,,\n")
    assert import_file(path, source=source).inserted == 1


def test_cli_refuses_a_reserved_source_with_nothing_stored(org, runner, tmp_path):
    path = _write(tmp_path, "2026-03-02,complaint,remote,quality,KUR,KUR-2026-000001,,,,\n")
    result = runner.invoke(args=["appeals", "import", str(path), "--source", "review_book"])
    assert result.exit_code == 1
    assert "Импорт отменен, ничего не сохранено" in result.output and "занят" in result.output
    assert _count() == 0


def test_led_to_contract_column_feeds_the_regulator_form(org, tmp_path):
    from datetime import date

    from app.appeals.report import monitoring_report

    header = HEADER.rstrip("\n") + ",led_to_contract\n"
    path = _write(
        tmp_path,
        (
            "2026-03-02 10:00,application,remote,quality,KUR,C1,letter,,,,да\n"
            "2026-03-02 11:00,application,remote,quality,KUR,C2,letter,,,,1\n"
            "2026-03-02 12:00,application,remote,quality,KUR,C3,letter,,,,Нет\n"
            "2026-03-02 13:00,application,remote,quality,KUR,C4,letter,,,,\n"
            "2026-03-02 14:00,application,remote,quality,KUR,C5,letter,,,,YES\n"
        ),
        header=header,
    )
    assert import_file(path).inserted == 5
    marked = {a.external_id: a.led_to_contract for a in db.session.scalars(select(Appeal))}
    assert marked == {"C1": True, "C2": True, "C3": False, "C4": False, "C5": True}
    form = monitoring_report(date(2026, 1, 1), date(2026, 3, 31)).regulator_form
    rows = {r.row: r.cells for r in form.rows}
    assert rows["mail"]["contracts"].n == 3 and rows["total"]["contracts"].n == 3


def test_led_to_contract_must_be_yes_or_no(org, tmp_path):
    header = HEADER.rstrip("\n") + ",led_to_contract\n"
    path = _write(
        tmp_path,
        (
            "2026-03-02 10:00,application,remote,quality,KUR,C1,letter,,,,да\n"
            "2026-03-02 11:00,application,remote,quality,KUR,C2,letter,,,,может быть\n"
        ),
        header=header,
    )
    with pytest.raises(
        AppealImportError, match="^строка 3: led_to_contract: ожидается «да» или «нет», получено «может быть»$"
    ):
        import_file(path)
    assert _count() == 0
