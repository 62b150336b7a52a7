"""Import a questionnaire file (native JSON, SurveyJS JSON, XLSForm) as a new survey or a new draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from app import audit
from app.database import write_transaction
from app.models import User
from app.surveys import services
from app.surveys.interchange import InterchangeError, convert, detect_format, slug_from_title
from app.surveys.models import Survey, SurveyVersion

FORMAT_NAMES = {"native": "JSON Отклика", "surveyjs": "SurveyJS", "xlsform": "XLSForm"}


@dataclass
class DefinitionImport:
    survey: Survey
    version: SurveyVersion
    created: bool
    fmt: str
    skipped: list[str] = field(default_factory=list)


def import_definition(
    raw: bytes, filename: str = "", fmt: str | None = None, user: User | None = None
) -> DefinitionImport:
    """Create a survey from the file, or give the survey with that slug a new draft version.

    Raises :class:`InterchangeError` for a file of the wrong kind and ``services.InvalidDefinition``
    when the converted questionnaire is not valid; nothing is stored then.
    """
    if not raw:
        raise InterchangeError("Файл пустой")
    fmt = fmt or detect_format(filename, raw)
    imported = convert(raw, fmt, filename)
    doc = imported.definition
    if fmt != "native" or not doc.get("slug"):
        title = doc.get("title", {}).get("ru", "") if isinstance(doc.get("title"), dict) else ""
        doc["slug"] = slug_from_title(title)
    survey = services.get_survey(doc["slug"]) if isinstance(doc.get("slug"), str) else None
    if survey is None:
        survey = services.create_survey(doc, user)
        version, created = survey.versions[-1], True
    else:
        version, created = services.save_draft(survey, doc, user), False
    with write_transaction():
        audit.record(
            "survey.import",
            survey,
            summary=f"{survey.slug} v{version.number}",
            source=fmt,
            skipped=len(imported.skipped),
            **({"user_id": user.id} if user is not None else {}),
        )
    return DefinitionImport(survey, version, created, fmt, imported.skipped)
