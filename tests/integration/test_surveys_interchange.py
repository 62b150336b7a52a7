"""Questionnaires from SurveyJS Creator and XLSForm (KoboToolbox, ODK) into drafts, and out as SurveyJS JSON."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.surveys import services
from app.surveys.interchange import InterchangeError, detect_format, from_surveyjs, slug_from_title, to_surveyjs
from app.surveys.models import Survey, SurveyVersion
from app.surveys.schema import template, validate_definition

# Shaped like SurveyJS Creator's output: localisable strings, a panel, visibleIf, hasOther, an HTML block.
SURVEYJS = {
    "title": {"default": "Опрос о подключении", "en": "Connection survey"},
    "description": "Оцените, как проходило технологическое присоединение.",
    "completedHtml": "<h3>Спасибо!</h3>",
    "pages": [
        {
            "name": "page1",
            "title": "Общая оценка",
            "elements": [
                {
                    "type": "rating",
                    "name": "question1",
                    "title": "Насколько вы довольны подключением?",
                    "rateType": "smileys",
                    "isRequired": True,
                },
                {"type": "comment", "name": "question2", "title": "Что пошло не так?", "visibleIf": "{question1} <= 3"},
                {
                    "type": "rating",
                    "name": "nps",
                    "title": "Порекомендуете ли вы нас?",
                    "rateMin": 0,
                    "rateMax": 10,
                    "minRateDescription": "Точно нет",
                    "maxRateDescription": "Обязательно",
                },
            ],
        },
        {
            "name": "page2",
            "elements": [
                {
                    "type": "panel",
                    "name": "panel1",
                    "elements": [
                        {
                            "type": "checkbox",
                            "name": "Каналы",
                            "title": "Как вы подавали заявку?",
                            "choices": [
                                {"value": "item1", "text": "Личный кабинет"},
                                {"value": "item2", "text": "В ЦОК"},
                                "Почта",
                            ],
                            "showOtherItem": True,
                        },
                        {
                            "type": "radiogroup",
                            "name": "docs",
                            "title": "Хватило ли документов?",
                            "choices": ["Да", "Нет"],
                            "visibleIf": "{Каналы} anyof ['item2']",
                        },
                    ],
                },
                {"type": "boolean", "name": "again", "title": "Обратились бы снова?"},
                {"type": "html", "name": "banner", "html": "<b>Реклама</b>"},
                {"type": "text", "name": "meter", "title": "Показания счетчика", "inputType": "number", "min": 0},
                {
                    "type": "text",
                    "name": "when",
                    "title": "Когда подключили?",
                    "inputType": "date",
                    "visibleIf": "{again} = true and {question1} notempty",
                },
                {"type": "file", "name": "scan", "title": "Скан договора"},
                {
                    "type": "text",
                    "name": "odd",
                    "title": "Странное условие",
                    "visibleIf": "{question1} > 2 or {nps} < 5 and {again} = true",
                },
            ],
        },
    ],
}


def _xlsform(survey_rows: list[list], choices: list[list], settings: list[list] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey_rows:
        sheet.append(row)
    choice_sheet = book.create_sheet("choices")
    for row in choices:
        choice_sheet.append(row)
    if settings:
        settings_sheet = book.create_sheet("settings")
        for row in settings:
            settings_sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# KoboToolbox style: translated labels, groups as pages, or_other, relevant, a note and metadata.
XLSFORM = _xlsform(
    [
        [
            "type",
            "name",
            "label::Russian (ru)",
            "label::English (en)",
            "hint::Russian (ru)",
            "required",
            "relevant",
            "appearance",
            "parameters",
        ],
        ["start", "start", None, None, None, None, None, None, None],
        ["begin_group", "visit", "Визит", "Visit", None, None, None, "field-list", None],
        [
            "range",
            "overall",
            "Оцените визит",
            "Rate the visit",
            "1 — плохо, 5 — отлично",
            "yes",
            None,
            None,
            "start=1 end=5 step=1",
        ],
        ["text", "why", "Что улучшить?", "What to improve?", None, None, "${overall} <= 3", "multiline", None],
        ["select_one purpose or_other", "purpose", "Цель визита", "Purpose", None, "yes", None, None, None],
        ["end_group", None, None, None, None, None, None, None, None],
        ["note", "hello", "Спасибо, почти всё", None, None, None, None, None, None],
        [
            "select_multiple extras",
            "extras",
            "Что еще понадобилось?",
            None,
            None,
            None,
            "selected(${purpose}, 'meter')",
            None,
            None,
        ],
        ["range", "nps", "Порекомендуете ли вы нас?", None, None, None, None, None, "start=0 end=10"],
        ["integer", "visits", "Сколько раз вы приходили?", None, None, None, None, None, None],
        ["geopoint", "where", "Где вы?", None, None, None, None, None, None],
        ["select_one purpose", "again", "Цель следующего визита", None, None, None, None, "minimal", None],
    ],
    [
        ["list_name", "name", "label::Russian (ru)", "label::English (en)"],
        ["purpose", "meter", "Прибор учета", "Meter"],
        ["purpose", "connect", "Подключение", "Connection"],
        ["extras", "copy", "Копия документа", None],
        ["extras", "advice", "Консультация", None],
    ],
    [["form_title", "form_id"], ["Визит в центр обслуживания", "visit_2026"]],
)


def _questions(definition: dict) -> dict[str, dict]:
    return {q["code"]: q for page in definition["pages"] for q in page["questions"]}


def test_slugs_and_codes_are_transliterated_ascii_with_a_suffix_on_collision():
    assert slug_from_title("Оценка визита в ЦОК") == "otsenka-vizita-v-tsok"
    taken = {"otsenka-vizita-v-tsok", "otsenka-vizita-v-tsok-2"}
    assert slug_from_title("Оценка визита в ЦОК", taken.__contains__) == "otsenka-vizita-v-tsok-3"
    assert slug_from_title("!!!") == "survey"
    questions = _questions(from_surveyjs(SURVEYJS).definition)
    assert "kanaly" in questions  # «Каналы» is not a code: transliterated
    assert [o["code"] for o in questions["kanaly"]["options"]] == ["item1", "item2", "pochta"]


def test_surveyjs_maps_types_conditions_and_lists_what_it_left_out():
    imported = from_surveyjs(SURVEYJS)
    imported.definition["slug"] = "connection"
    validate_definition(imported.definition)
    questions = _questions(imported.definition)
    assert [q["type"] for q in questions.values()] == [
        "rating",
        "text",
        "nps",
        "multi_choice",
        "single_choice",
        "yes_no",
        "number",
        "date",
        "text",
    ]
    assert questions["question1"]["style"] == "faces" and questions["question1"]["required"] is True
    assert questions["question2"]["show_if"] == {"all": [{"question": "question1", "op": "lte", "value": 3}]}
    assert questions["nps"]["labels"]["min"] == {"ru": "Точно нет"}
    assert questions["kanaly"]["other"] is True
    assert questions["docs"]["show_if"] == {"all": [{"question": "kanaly", "op": "in", "value": ["item2"]}]}
    assert questions["when"]["show_if"] == {
        "all": [{"question": "again", "op": "eq", "value": 1}, {"question": "question1", "op": "answered"}]
    }
    assert "show_if" not in questions["odd"]
    assert imported.definition["title"] == {"ru": "Опрос о подключении", "en": "Connection survey"}
    assert imported.definition["thanks"] == {"ru": "Спасибо!"}
    skipped = "\n".join(imported.skipped)
    assert "блок HTML" in skipped and "загрузка файла" in skipped and "«Странное условие»" in skipped
    assert "pages[" not in skipped and "question" not in skipped.replace("question1", "")


def test_xlsform_maps_groups_to_pages_and_lists_what_it_left_out():
    from app.surveys.interchange import from_xlsform

    imported = from_xlsform(XLSFORM)
    imported.definition["slug"] = "visit"
    validate_definition(imported.definition)
    pages = imported.definition["pages"]
    assert pages[0]["title"] == {"ru": "Визит", "en": "Visit"}
    assert [q["code"] for q in pages[0]["questions"]] == ["overall", "why", "purpose"]
    questions = _questions(imported.definition)
    assert questions["overall"]["scale"] == {"min": 1, "max": 5} and questions["overall"]["required"] is True
    assert questions["overall"]["help"] == {"ru": "1 — плохо, 5 — отлично"}
    assert questions["why"]["multiline"] is True
    assert questions["why"]["show_if"] == {"all": [{"question": "overall", "op": "lte", "value": 3}]}
    assert questions["purpose"]["other"] is True
    assert [o["text"] for o in questions["purpose"]["options"]] == [
        {"ru": "Прибор учета", "en": "Meter"},
        {"ru": "Подключение", "en": "Connection"},
    ]
    assert questions["extras"]["show_if"] == {"all": [{"question": "purpose", "op": "eq", "value": "meter"}]}
    assert questions["nps"]["type"] == "nps" and questions["visits"] == {
        "code": "visits",
        "type": "number",
        "text": {"ru": "Сколько раз вы приходили?"},
        "integer": True,
    }
    assert questions["again"]["type"] == "dropdown"
    skipped = "\n".join(imported.skipped)
    assert "note" in skipped and "geopoint" in skipped and "start" not in skipped
    assert imported.definition["title"] == {"ru": "Визит в центр обслуживания"}


def test_format_is_detected_from_the_content():
    assert detect_format("form.xlsx", XLSFORM) == "xlsform"
    assert detect_format("x.json", json.dumps(SURVEYJS).encode()) == "surveyjs"
    assert detect_format("x.json", json.dumps({"elements": []}).encode()) == "surveyjs"
    assert detect_format("x.json", json.dumps(template("visit-csat")).encode()) == "native"
    with pytest.raises(InterchangeError, match="JSON"):
        detect_format("x.json", b"\xff not json")


@pytest.mark.parametrize("slug", ["visit-csat", "connection-process", "service-audit", "supply-quality"])
def test_surveyjs_export_imports_back_to_the_same_questions(slug):
    """Round trip of every shipped template: codes, types (CES comes back as a 1–7 rating), options,
    conditions and required flags survive; the contact block is listed as not carried."""
    original = template(slug)
    exported, skipped = to_surveyjs(original)
    back = from_surveyjs(json.loads(json.dumps(exported, ensure_ascii=False)))
    assert back.skipped == []
    kept = {code: q for code, q in _questions(original).items() if q["type"] != "contact"}
    returned = _questions(back.definition)
    assert list(returned) == list(kept)
    for code, question in kept.items():
        again = returned[code]
        assert again["type"] == ("rating" if question["type"] == "ces" else question["type"])
        assert again.get("show_if") == question.get("show_if")
        assert bool(again.get("required")) == bool(question.get("required"))
        assert [o["code"] for o in again.get("options", [])] == [o["code"] for o in question.get("options", [])]
    if any(q["type"] == "contact" for q in _questions(original).values()):
        assert any("контакт" in line for line in skipped)


def test_cli_imports_surveyjs_as_a_new_survey_then_a_new_draft(runner, org, tmp_path):
    path = tmp_path / "creator.json"
    path.write_text(json.dumps(SURVEYJS, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-definition", str(path)])
    assert result.exit_code == 0, result.output
    assert "Создана анкета «opros-o-podkliuchenii» (SurveyJS)" in result.output
    assert "Не перенесено" in result.output and "блок HTML" in result.output
    survey = db.session.scalar(select(Survey).where(Survey.slug == "opros-o-podkliuchenii"))
    assert survey.versions[-1].status == "draft"
    services.publish(survey)
    result = runner.invoke(args=["surveys", "import-definition", str(path), "--from", "surveyjs"])
    assert result.exit_code == 0, result.output
    assert "черновик версии 2" in result.output
    assert db.session.scalar(select(func.count(SurveyVersion.id)).where(SurveyVersion.survey_id == survey.id)) == 2


def test_cli_imports_xlsform_and_exports_surveyjs(runner, org, tmp_path):
    path = tmp_path / "kobo.xlsx"
    path.write_bytes(XLSFORM)
    result = runner.invoke(args=["surveys", "import-definition", str(path)])
    assert result.exit_code == 0, result.output
    assert "«vizit-v-tsentr-obsluzhivaniia» (XLSForm)" in result.output
    result = runner.invoke(args=["surveys", "export-definition", "vizit-v-tsentr-obsluzhivaniia", "--to", "surveyjs"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    names = [e["name"] for page in exported["pages"] for e in page["elements"]]
    assert names == ["overall", "why", "purpose", "extras", "nps", "visits", "again"]


def test_a_file_that_is_not_a_questionnaire_changes_nothing(runner, org, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"elements": [{"type": "html", "name": "x"}]}), encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-definition", str(wrong)])
    assert result.exit_code != 0 and "нет ни одного вопроса" in result.output
    book = tmp_path / "plain.xlsx"
    book.write_bytes(_xlsform([["a", "b"]], [["list_name", "name", "label"]]))
    book_wb = Workbook()
    book_wb.active.title = "Лист1"
    buffer = io.BytesIO()
    book_wb.save(buffer)
    book.write_bytes(buffer.getvalue())
    result = runner.invoke(args=["surveys", "import-definition", str(book)])
    assert result.exit_code != 0 and "нет листа «survey»" in result.output
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(args=["surveys", "import-definition", str(garbage), "--from", "xlsform"])
    assert result.exit_code != 0 and "Excel" in result.output
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_designer_imports_an_xlsform_lists_the_left_out_and_exports_surveyjs(client, make_user, login):
    login(make_user("marketing"))
    upload = {"file": (io.BytesIO(XLSFORM), "kobo.xlsx"), "source": ""}
    reply = client.post("/surveys/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "Не перенесено" in page and "geopoint" in page
    survey = db.session.scalar(select(Survey))
    assert survey.slug == "vizit-v-tsentr-obsluzhivaniia" and survey.versions[-1].status == "draft"
    exported = client.get(f"/surveys/{survey.id}/surveyjs.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data(as_text=True))["title"] == "Визит в центр обслуживания"


def test_designer_refuses_a_wrong_file_in_russian_and_saves_nothing(client, make_user, login):
    login(make_user("marketing"))
    upload = {"file": (io.BytesIO(b"not a workbook"), "form.xlsx"), "source": "xlsform"}
    reply = client.post("/surveys/import", data=upload, content_type="multipart/form-data")
    assert reply.status_code == 422 and "Excel" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_operators_cannot_import_or_export(client, make_user, login):
    login(make_user("operator"))
    upload = {"file": (io.BytesIO(XLSFORM), "kobo.xlsx")}
    assert client.post("/surveys/import", data=upload, content_type="multipart/form-data").status_code == 403
    assert db.session.scalar(select(func.count(Survey.id))) == 0
