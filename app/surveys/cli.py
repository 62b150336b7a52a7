"""`flask surveys …`: definitions in and out, publishing, assignments, response import/export, synthetic data."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import insert, select

from app import audit
from app.database import table_of, write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind
from app.org.services import find_center
from app.spreadsheet import csv_table
from app.surveys import exports, services
from app.surveys.models import ASSIGNABLE_CHANNELS, CHANNELS, Answer, Response, Survey, SurveyVersion
from app.surveys.schema import SurveyDefinition, validate_submission

surveys_cli = AppGroup("surveys", help="Анкеты: определения, публикация, импорт и выгрузка ответов.")

FIXED_IMPORT_COLUMNS = ("submitted_at", "center", "channel")
# response_id, received_at: present in our own exports, ignored (an import is received when it is imported)
OPTIONAL_COLUMNS = ("client_submission_id", "response_id", "received_at")
INSERT_CHUNK = 1000


class ImportFailed(ValueError):
    """An import refused as a whole; ``errors`` are line-numbered Russian messages."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("Импорт отменен, ничего не сохранено:\n" + "\n".join(errors))


@dataclass
class ParsedRow:
    line: int
    submitted_at: datetime
    center_id: int
    center_code: str
    channel: str
    answers: dict[str, Any]
    client_submission_id: str


def _survey_or_fail(slug: str) -> Survey:
    survey = services.get_survey(slug)
    if survey is None:
        raise click.ClickException(f"Анкета «{slug}» не найдена")
    return survey


def _target_version(survey: Survey) -> SurveyVersion:
    """Responses are imported into the published version, else the latest closed one."""
    frozen = [v for v in survey.versions if v.status != "draft"]
    published = [v for v in frozen if v.status == "published"]
    if not frozen:
        raise ImportFailed([f"Анкета «{survey.slug}» еще не опубликована"])
    return (published or frozen)[-1]


def _read_csv(raw: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    header, records = csv_table(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    rows = [
        (line, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}) for line, cells in records
    ]
    return header, rows


def _column_kinds(defn: SurveyDefinition) -> dict[str, str]:
    """Import column → how to read it: "multi" (split on ;) or "plain"."""
    kinds: dict[str, str] = {}
    for q in defn.questions():
        if not q.stores_answers:
            continue
        for code in q.answer_codes:
            kinds[code] = q.import_kind
        if getattr(q, "other", False):
            kinds[q.code + exports.OTHER_SUFFIX] = "plain"
    return kinds


def _parse_time(value: str, zone: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone or current_app.config["DEFAULT_CENTER_TIMEZONE"]))
    return moment.astimezone(UTC).replace(tzinfo=None)


def derived_submission_id(file_hash: str, line: int) -> str:
    """A uuid-shaped id from the file's hash and the line: re-importing a file stores nothing twice."""
    digest = hashlib.sha256(f"import:{file_hash}:{line}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def parse_responses(defn: SurveyDefinition, raw: bytes) -> list[ParsedRow]:
    """Validate every row; raise :class:`ImportFailed` with every problem, line by line."""
    header, rows = _read_csv(raw)
    kinds = _column_kinds(defn)
    errors: list[str] = []
    missing = [c for c in FIXED_IMPORT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in kinds and c not in FIXED_IMPORT_COLUMNS and c not in OPTIONAL_COLUMNS]
    if missing:
        errors.append(f"строка 1: нет столбцов {', '.join(missing)}")
    if unknown:
        errors.append(f"строка 1: неизвестные столбцы {', '.join(unknown)} (нет таких вопросов в анкете)")
    if errors:
        raise ImportFailed(errors)
    file_hash = hashlib.sha256(raw).hexdigest()
    centers: dict[str, Organisation | None] = {}
    parsed: list[ParsedRow] = []
    seen_ids: set[str] = set()
    for line, row in rows:
        problems: list[str] = []
        center_value = row.get("center", "").strip()
        if center_value not in centers:
            centers[center_value] = find_center(center_value)
        center = centers[center_value]
        if center is None or center.kind != OrgKind.CENTER:
            problems.append(f"неизвестный ЦОК «{center_value}»")
        channel = row.get("channel", "").strip()
        if channel not in CHANNELS:
            problems.append(f"неизвестный канал «{channel}» (допустимы: {', '.join(CHANNELS)})")
        submitted: datetime | None = None
        try:
            submitted = _parse_time(row.get("submitted_at", ""), center.timezone if center else "")
        except ValueError:
            problems.append(f"неверное время submitted_at «{row.get('submitted_at', '')}» (нужен ISO 8601)")
        answers: dict[str, Any] = {}
        for code, kind in kinds.items():
            value = (row.get(code) or "").strip()
            if value:
                answers[code] = [v.strip() for v in value.split(";") if v.strip()] if kind == "multi" else value
        clean, answer_errors = validate_submission(defn, answers)
        problems += [f"{code}: {message}" for code, message in answer_errors.items()]
        submission_id = (row.get("client_submission_id") or "").strip() or derived_submission_id(file_hash, line)
        if submission_id in seen_ids:
            problems.append(f"client_submission_id «{submission_id}» повторяется в файле")
        seen_ids.add(submission_id)
        if problems:
            errors.append(f"строка {line}: " + "; ".join(problems))
            continue
        assert center is not None and submitted is not None  # each was a problem above when missing
        parsed.append(ParsedRow(line, submitted, center.id, center.code, channel, clean, submission_id))
    if errors:
        raise ImportFailed(errors)
    return parsed


def import_responses(survey: Survey, raw: bytes) -> tuple[int, int]:
    """All-or-nothing import of a responses CSV; returns (stored, skipped as already imported)."""
    version = _target_version(survey)
    defn = services.definition_of(version)
    parsed = parse_responses(defn, raw)
    stored = skipped = 0
    with write_transaction():
        for start in range(0, len(parsed), INSERT_CHUNK):
            chunk = parsed[start : start + INSERT_CHUNK]
            existing = set(
                db.session.scalars(
                    select(Response.client_submission_id).where(
                        Response.client_submission_id.in_([r.client_submission_id for r in chunk])
                    )
                )
            )
            fresh = [r for r in chunk if r.client_submission_id not in existing]
            skipped += len(chunk) - len(fresh)
            if not fresh:
                continue
            db.session.execute(
                insert(table_of(Response)),
                [
                    {
                        "client_submission_id": r.client_submission_id,
                        "body_hash": services.body_hash(survey.slug, r.center_code, r.channel, r.answers),
                        "survey_id": survey.id,
                        "version_id": version.id,
                        "center_id": r.center_id,
                        "channel": r.channel,
                        "submitted_at": r.submitted_at,
                    }
                    for r in fresh
                ],
            )
            ids = dict(
                db.session.execute(
                    select(Response.client_submission_id, Response.id).where(
                        Response.client_submission_id.in_([r.client_submission_id for r in fresh])
                    )
                ).all()
            )
            answers = [
                {
                    "response_id": ids[r.client_submission_id],
                    "survey_id": survey.id,
                    "center_id": r.center_id,
                    "submitted_at": r.submitted_at,
                    "value_num": None,
                    "option_code": None,
                    "text": None,
                    **row,
                }
                for r in fresh
                for row in services.answer_rows(defn, r.answers)
            ]
            if answers:
                db.session.execute(insert(table_of(Answer)), answers)
            stored += len(fresh)
        audit.record("survey.import_responses", survey, summary=survey.slug, stored=stored, skipped=skipped)
    return stored, skipped


# --------------------------------------------------------------------------- commands


@surveys_cli.command("import-definition")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "fmt",
    type=click.Choice(["native", "surveyjs", "xlsform"]),
    default=None,
    help="Формат файла; по умолчанию определяется по содержимому (.xlsx — XLSForm, JSON с elements — SurveyJS)",
)
def import_definition_command(file: Path, fmt: str | None) -> None:
    """Импорт анкеты из JSON Отклика, SurveyJS или XLSForm (новая анкета или новый черновик существующей)."""
    from app.surveys.definition_import import FORMAT_NAMES, import_definition
    from app.surveys.interchange import InterchangeError

    try:
        result = import_definition(file.read_bytes(), file.name, fmt)
    except InterchangeError as exc:
        raise click.ClickException(str(exc)) from None
    except services.InvalidDefinition as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException("Определение не импортировано: исправьте ошибки выше") from None
    action = "Создана анкета" if result.created else f"Создан черновик версии {result.version.number} анкеты"
    click.echo(f"{action} «{result.survey.slug}» ({FORMAT_NAMES[result.fmt]})")
    if result.skipped:
        click.echo("Не перенесено:", err=True)
        for line in result.skipped:
            click.echo(f"  — {line}", err=True)


@surveys_cli.command("export-definition")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Файл (по умолчанию — вывод)")
@click.option(
    "--to",
    "fmt",
    type=click.Choice(["native", "surveyjs"]),
    default="native",
    show_default=True,
    help="Формат: JSON Отклика или SurveyJS",
)
def export_definition_command(slug: str, out: Path | None, fmt: str) -> None:
    """Выгрузить определение последней версии анкеты в JSON (Отклика или SurveyJS)."""
    from app.surveys.interchange import to_surveyjs

    survey = _survey_or_fail(slug)
    definition = survey.versions[-1].definition
    if fmt == "surveyjs":
        definition, skipped = to_surveyjs(definition)
        for line in skipped:
            click.echo(f"Не перенесено: {line}", err=True)
    body = json.dumps(definition, ensure_ascii=False, indent=2)
    if out:
        out.write_text(body + "\n", encoding="utf-8")
        click.echo(f"Сохранено в {out}")
    else:
        click.echo(body)


@surveys_cli.command("publish")
@click.argument("slug")
def publish_command(slug: str) -> None:
    """Опубликовать черновик анкеты."""
    survey = _survey_or_fail(slug)
    try:
        version = services.publish(survey)
    except services.SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Анкета «{slug}»: опубликована версия {version.number}")


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_targets(
    centers_option: str, channels_option: str, *, active_only: bool = True
) -> tuple[list[Organisation], list[str]]:
    """The centres (codes, or ``all``) and channels of ``assign``/``unassign``; ClickException (Russian) when
    a code or channel is unknown, so that nothing changes."""
    from app.org.services import centers

    codes, channels = _split(centers_option), _split(channels_option)
    if not codes:
        raise click.ClickException("--centers: коды ЦОК через запятую или all")
    if not channels:
        raise click.ClickException(f"--channels: каналы через запятую ({', '.join(ASSIGNABLE_CHANNELS)})")
    if bad := [c for c in channels if c not in ASSIGNABLE_CHANNELS]:
        raise click.ClickException(f"Неизвестный канал: {', '.join(bad)} (допустимы: {', '.join(ASSIGNABLE_CHANNELS)})")
    if [c.lower() for c in codes] == ["all"]:
        chosen = centers(active_only=active_only)
        if not chosen:
            raise click.ClickException("Нет ни одного ЦОК")
        return chosen, list(dict.fromkeys(channels))
    found = {
        org.code: org
        for org in db.session.scalars(
            select(Organisation).where(
                Organisation.code.in_({c.upper() for c in codes}), Organisation.kind == OrgKind.CENTER
            )
        )
    }
    if unknown := [c for c in codes if c.upper() not in found]:
        raise click.ClickException(f"Неизвестные коды ЦОК: {', '.join(unknown)} (или all — все ЦОК)")
    return list(dict.fromkeys(found[c.upper()] for c in codes)), list(dict.fromkeys(channels))


@surveys_cli.command("assign")
@click.argument("slug")
@click.option(
    "--centers",
    "centers_option",
    required=True,
    metavar="CODE[,CODE…]|all",
    help="Коды ЦОК через запятую или all (все действующие ЦОК)",
)
@click.option(
    "--channels",
    "channels_option",
    required=True,
    metavar="CH[,CH…]",
    help=f"Каналы через запятую: {', '.join(ASSIGNABLE_CHANNELS)}",
)
def assign_command(slug: str, centers_option: str, channels_option: str) -> None:
    """Назначить анкету ЦОК и каналам (как страница «Назначить»; в журнале аудита)."""
    survey = _survey_or_fail(slug)
    chosen, channels = parse_targets(centers_option, channels_option)
    try:
        made = services.assign(survey, [c.id for c in chosen], channels)
    except services.SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Анкета «{slug}»: назначено {len(made)} (ЦОК: {len(chosen)}, каналы: {', '.join(channels)})")


@surveys_cli.command("unassign")
@click.argument("slug")
@click.option(
    "--centers",
    "centers_option",
    required=True,
    metavar="CODE[,CODE…]|all",
    help="Коды ЦОК через запятую или all (все ЦОК)",
)
@click.option(
    "--channels",
    "channels_option",
    required=True,
    metavar="CH[,CH…]",
    help=f"Каналы через запятую: {', '.join(ASSIGNABLE_CHANNELS)}",
)
def unassign_command(slug: str, centers_option: str, channels_option: str) -> None:
    """Снять назначение анкеты: ответы там больше не принимаются (в журнале аудита)."""
    survey = _survey_or_fail(slug)
    chosen, channels = parse_targets(centers_option, channels_option, active_only=False)
    try:
        gone = services.unassign(survey, [c.id for c in chosen], channels)
    except services.SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Анкета «{slug}»: снято назначений {len(gone)}")


@surveys_cli.command("import-responses")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_responses_command(slug: str, file: Path) -> None:
    """Импорт ответов из CSV: все строки или ни одной."""
    from app.analysis.texts import source_watermarks  # an entry point: the new texts go to the text job

    survey = _survey_or_fail(slug)
    before = source_watermarks()
    try:
        stored, skipped = import_responses(survey, file.read_bytes())
    except ImportFailed as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"Импорт отменен, ничего не сохранено (ошибок: {len(exc.errors)})") from None
    except UnicodeDecodeError:
        raise click.ClickException("Файл должен быть в кодировке UTF-8") from None
    click.echo(f"Загружено ответов: {stored}; пропущено уже загруженных: {skipped}")
    if stored:
        from app.analysis.text_jobs import process_after_import

        click.echo(process_after_import(before))


@surveys_cli.command("export-responses")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "sav"]), default="csv", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Файл (по умолчанию CSV — в вывод, XLSX/SAV — <slug>.<формат>)",
)
def export_responses_command(slug: str, fmt: str, out: Path | None) -> None:
    """Выгрузить ответы: одна строка на ответ, один столбец на код вопроса."""
    survey = _survey_or_fail(slug)
    if out is None and fmt == "csv":
        for piece in exports.iter_csv(survey, bom=False):
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    target = out or Path(f"{slug}.{fmt}")
    count = exports.export_to_file(survey, fmt, target)
    click.echo(f"Выгружено ответов: {count} → {target}", err=True)


@surveys_cli.command("generate")
@click.argument("slug")
@click.option("--n", "count", type=int, required=True, help="Сколько ответов создать")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--weak", default="LGV", show_default=True, help="Код ЦОК с плохим ожиданием ('' — нет)")
def generate_command(slug: str, count: int, start: datetime, end: datetime, seed: int, weak: str) -> None:
    """Синтетические ответы для демонстрации и нагрузочных тестов."""
    from app.org.services import centers
    from app.surveys.synthetic import generate_responses

    survey = _survey_or_fail(slug)
    try:
        version = _target_version(survey)
    except ImportFailed as exc:
        raise click.ClickException(exc.errors[0]) from None
    started = datetime.now()
    made = generate_responses(
        version, centers(), start.date(), end.date(), count, seed=seed, weak_center_code=weak or None
    )
    seconds = (datetime.now() - started).total_seconds()
    click.echo(f"Создано ответов: {made} за {seconds:.1f} с")


def register_cli(app: Flask) -> None:
    app.cli.add_command(surveys_cli)


__all__ = ["ImportFailed", "import_responses", "parse_responses", "parse_targets", "register_cli", "surveys_cli"]
