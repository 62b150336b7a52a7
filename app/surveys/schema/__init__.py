"""Survey definition documents: structure (pydantic), semantic rules, conditions, submission validation.

A definition is JSON; ``validate_definition`` lists every problem by path in Russian. Answers use one
JSON shape everywhere (API, kiosk JS, HTML form parser): ``{code: value, "<code>__other": text,
"<matrix row code>": n, "contact": {...}}``. Pure: no Flask, no database.

- :mod:`.model`: constants, the document's building blocks, value helpers;
- :mod:`.questiontypes`: one class per question type (rules, cleaning, rows, columns) and the registry;
- :mod:`.definition`: the whole document and the shipped templates;
- :mod:`.semantics`: validation of definitions and the warnings between versions;
- :mod:`.conditions`: ``show_if``;
- :mod:`.submission`: a respondent's answers.
"""

from app.surveys.schema.conditions import evaluate_condition, visible_codes
from app.surveys.schema.definition import (
    LIBRARY_DIR,
    Analysis,
    CloseTheLoop,
    Page,
    SurveyDefinition,
    library,
    template,
)
from app.surveys.schema.model import (
    CODE_RE,
    CONTACT_FIELDS,
    MSG_INVALID,
    MSG_REQUIRED,
    NUMBER_LIMIT,
    NUMERIC_TYPES,
    OPS,
    OTHER_CODE,
    OTHER_MAX_LENGTH,
    OTHER_SUFFIX,
    RESERVED_CODES,
    Clause,
    Condition,
    DefinitionError,
    MatrixRow,
    Option,
    Scale,
    ScaleLabels,
)
from app.surveys.schema.questiontypes import (
    EMAIL_RE,
    QUESTION_CLASSES,
    QUESTION_TYPES,
    Ces,
    Column,
    ContactQuestion,
    DateQuestion,
    Dropdown,
    Matrix,
    MultiChoice,
    Nps,
    NumberQuestion,
    Question,
    Rating,
    SingleChoice,
    TextQuestion,
    YesNo,
    put_stored_answer,
)
from app.surveys.schema.semantics import definition_changes, validate_definition
from app.surveys.schema.submission import validate_submission

__all__ = [
    "CODE_RE",
    "CONTACT_FIELDS",
    "EMAIL_RE",
    "LIBRARY_DIR",
    "MSG_INVALID",
    "MSG_REQUIRED",
    "NUMBER_LIMIT",
    "NUMERIC_TYPES",
    "OPS",
    "OTHER_CODE",
    "OTHER_MAX_LENGTH",
    "OTHER_SUFFIX",
    "QUESTION_CLASSES",
    "QUESTION_TYPES",
    "RESERVED_CODES",
    "Analysis",
    "Ces",
    "Clause",
    "CloseTheLoop",
    "Column",
    "Condition",
    "ContactQuestion",
    "DateQuestion",
    "DefinitionError",
    "Dropdown",
    "Matrix",
    "MatrixRow",
    "MultiChoice",
    "Nps",
    "NumberQuestion",
    "Option",
    "Page",
    "Question",
    "Rating",
    "Scale",
    "ScaleLabels",
    "SingleChoice",
    "SurveyDefinition",
    "TextQuestion",
    "YesNo",
    "definition_changes",
    "evaluate_condition",
    "library",
    "put_stored_answer",
    "template",
    "validate_definition",
    "validate_submission",
    "visible_codes",
]
