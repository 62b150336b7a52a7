"""Designer flows for marketing staff: create, edit, validate, publish, close, duplicate, import/export, assign."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Organisation
from app.surveys import services
from app.surveys.models import Survey, SurveyAssignment, SurveyVersion
from app.surveys.schema import template


@pytest.fixture
def marketing(make_user, login):
    return login(make_user("marketing", scope="MRSK"))


def _find(doc, code):
    """(page, index, question) of a code, wherever the template puts it."""
    for p, page in enumerate(doc["pages"]):
        for i, q in enumerate(page["questions"]):
            if q["code"] == code:
                return p, i, q
    raise KeyError(code)


def _codes(doc):
    return [q["code"] for page in doc["pages"] for q in page["questions"]]


def _create(client, slug="visit-2026", tmpl="visit-csat"):
    response = client.post("/surveys/new", data={"template": tmpl, "slug": slug, "title": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def test_create_from_template_and_list(marketing):
    survey = _create(marketing)
    assert survey.title == "Оценка визита в ЦОК"
    assert [v.status for v in survey.versions] == ["draft"]
    assert survey.versions[0].definition["pages"] == template("visit-csat")["pages"]
    page = marketing.get("/surveys/")
    assert page.status_code == 200
    assert "Оценка визита в ЦОК" in page.get_data(as_text=True)
    edit = marketing.get(f"/surveys/{survey.id}")
    assert edit.status_code == 200 and "overall" in edit.get_data(as_text=True)


def test_create_blank(marketing):
    survey = _create(marketing, slug="blank-one", tmpl="")
    assert survey.versions[0].definition["pages"][0]["questions"][0]["code"] == "overall"


def test_invalid_json_lists_every_error_and_saves_nothing(marketing):
    survey = _create(marketing)
    before = json.dumps(survey.versions[-1].definition, sort_keys=True)
    doc = template("visit-csat")
    doc["slug"] = survey.slug
    po, io_, overall = _find(doc, "overall")
    pp, ip, purpose = _find(doc, "purpose")
    pn, in_, nps = _find(doc, "nps")
    overall["scale"] = {"min": 5, "max": 1}
    purpose["options"].append({"code": "metering", "text": {"ru": "Дубль"}})
    nps["type"] = "bogus"
    response = marketing.post(f"/surveys/{survey.id}/json", data={"document": json.dumps(doc, ensure_ascii=False)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Errors name the question by its running number and text, never by a document path.
    assert "pages[" not in html
    number = {code: n for n, code in enumerate(_codes(doc), start=1)}
    assert f"Вопрос {number['purpose']} «{purpose['text']['ru']}», варианты: повторяется код «metering»" in html
    assert f"Вопрос {number['nps']} «" in html
    assert f"Вопрос {number['overall']} «{overall['text']['ru'][:57]}" in html and "шкала" in html
    db.session.expire_all()
    assert json.dumps(db.session.get(Survey, survey.id).versions[-1].definition, sort_keys=True) == before


def test_json_syntax_error_is_reported_with_position(marketing):
    survey = _create(marketing)
    response = marketing.post(f"/surveys/{survey.id}/json", data={"document": '{"slug": '})
    assert response.status_code == 422
    assert "строка 1" in response.get_data(as_text=True)


def test_staff_strings_are_escaped(marketing):
    survey = _create(marketing)
    doc = template("visit-csat")
    doc["slug"] = survey.slug
    _find(doc, "overall")[2]["text"]["ru"] = "<script>alert(1)</script>"
    assert marketing.post(f"/surveys/{survey.id}/json", data={"document": json.dumps(doc)}).status_code == 302
    html = marketing.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    preview = marketing.get(f"/surveys/{survey.id}/preview?device=kiosk").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in preview


def test_publish_then_edit_creates_new_draft_and_warns(marketing):
    survey = _create(marketing)
    assert marketing.post(f"/surveys/{survey.id}/publish").status_code == 302
    db.session.expire_all()
    assert [v.status for v in survey.versions] == ["published"]
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "survey.publish")
    )
    assert events == 1
    doc = template("visit-csat")
    doc["slug"] = survey.slug
    _find(doc, "overall")[2]["scale"] = {"min": 1, "max": 10}
    response = marketing.post(f"/surveys/{survey.id}/json", data={"document": json.dumps(doc)}, follow_redirects=True)
    assert response.status_code == 200
    assert "шкала изменена" in response.get_data(as_text=True)
    db.session.expire_all()
    versions = db.session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number)
    ).all()
    assert [v.status for v in versions] == ["published", "draft"]
    assert _find(versions[0].definition, "overall")[2]["scale"] == {"min": 1, "max": 5}
    assert _find(versions[1].definition, "overall")[2]["scale"] == {"min": 1, "max": 10}


def test_close(marketing):
    survey = _create(marketing)
    marketing.post(f"/surveys/{survey.id}/publish")
    assert marketing.post(f"/surveys/{survey.id}/close").status_code == 302
    db.session.expire_all()
    assert [v.status for v in survey.versions] == ["closed"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.close")) is not None


def test_duplicate(marketing):
    survey = _create(marketing)
    response = marketing.post(f"/surveys/{survey.id}/duplicate", data={"slug": "visit-copy"})
    assert response.status_code == 302
    copy = db.session.scalar(select(Survey).where(Survey.slug == "visit-copy"))
    assert copy is not None and copy.versions[0].definition["slug"] == "visit-copy"
    assert copy.versions[0].definition["pages"] == survey.versions[0].definition["pages"]


def test_structured_question_edit(marketing):
    survey = _create(marketing)
    p, i, _ = _find(survey.versions[-1].definition, "purpose")
    url = f"/surveys/{survey.id}/questions/{p}/{i}"
    page = marketing.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="opt_text"' in html and 'value="Учет электроэнергии"' in html
    data = {
        "code": "purpose",
        "type": "single_choice",
        "text_ru": "Зачем вы пришли?",
        "required": "y",
        # Option rows: the texts, the codes under «Дополнительно», the codes the rows had; an empty row is skipped.
        "opt_text": ["Присоединение", "Счетчики", ""],
        "opt_code": ["connection", "metering"],
        "opt_orig": ["connection", "metering", ""],
        "other": "y",
        "style": "numbers",
        "cond_question": "overall",
        "cond_op": "gte",
        "cond_value": "1",
    }
    assert marketing.post(url, data=data).status_code == 302
    db.session.expire_all()
    question = _find(db.session.get(Survey, survey.id).versions[-1].definition, "purpose")[2]
    assert question["text"]["ru"] == "Зачем вы пришли?"
    assert "en" in question["text"]
    assert [o["code"] for o in question["options"]] == ["connection", "metering"]
    assert question["options"][1]["text"]["en"] == "Metering"  # translations kept
    assert question["required"] is True
    assert question["show_if"] == {"all": [{"question": "overall", "op": "gte", "value": 1}]}


def test_structured_edit_with_errors_saves_nothing(marketing):
    survey = _create(marketing)
    before = json.dumps(survey.versions[-1].definition, sort_keys=True)
    p, i, _ = _find(survey.versions[-1].definition, "purpose")
    data = {
        "code": "purpose",
        "type": "single_choice",
        "text_ru": "Цель",
        "style": "numbers",
        "opt_text": ["А", "Б"],
        "opt_code": ["metering", "metering"],
        "opt_orig": ["connection", "transmission"],
        "cond_question": "",
        "cond_op": "",
    }
    response = marketing.post(f"/surveys/{survey.id}/questions/{p}/{i}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    number = _codes(survey.versions[-1].definition).index("purpose") + 1
    assert f"Вопрос {number} «Цель», варианты: повторяется код «metering»" in html
    assert "pages[" not in html
    # The typed rows stay in the form so that nothing typed is lost.
    assert 'value="Б"' in html
    db.session.expire_all()
    assert json.dumps(db.session.get(Survey, survey.id).versions[-1].definition, sort_keys=True) == before
    data["opt_code"] = ["metering", "Плохой код"]
    response = marketing.post(f"/surveys/{survey.id}/questions/{p}/{i}", data=data)
    assert response.status_code == 422
    assert "Вопрос" in response.get_data(as_text=True) and "вариант 2 «Б», код" in response.get_data(as_text=True)


def test_add_move_remove_questions(marketing):
    survey = _create(marketing)

    def codes():
        db.session.expire_all()
        return [q["code"] for q in db.session.get(Survey, survey.id).versions[-1].definition["pages"][0]["questions"]]

    original = codes()
    assert (
        marketing.post(
            f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": "multi_choice"}
        ).status_code
        == 302
    )
    assert codes() == [*original, "q1"]
    marketing.post(f"/surveys/{survey.id}/structure", data={"op": "up", "page": 0, "index": len(original)})
    assert codes()[-2:] == ["q1", original[-1]]
    marketing.post(
        f"/surveys/{survey.id}/structure", data={"op": "remove_question", "page": 0, "index": len(original) - 1}
    )
    assert codes() == original
    # Moving "why" above "overall" breaks its condition: refused, nothing saved.
    why = original.index("why")
    for _ in range(why):
        response = marketing.post(f"/surveys/{survey.id}/structure", data={"op": "up", "page": 0, "index": why})
        if response.status_code == 422:
            break
        why -= 1
    assert response.status_code == 422
    assert codes().index("why") > codes().index("overall")


def test_import_export_round_trip(marketing):
    doc = template("supply-quality")
    upload = {"file": (io.BytesIO(json.dumps(doc, ensure_ascii=False).encode()), "survey.json")}
    response = marketing.post("/surveys/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.slug == doc["slug"]))
    exported = marketing.get(f"/surveys/{survey.id}/definition.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data(as_text=True)) == doc
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.import")) is not None
    # Importing again with a change makes a new draft of the same survey.
    doc["title"]["ru"] = "Качество электроснабжения — 2"
    upload = {"file": (io.BytesIO(json.dumps(doc).encode()), "survey.json")}
    assert marketing.post("/surveys/import", data=upload, content_type="multipart/form-data").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 1


def test_import_invalid_file_saves_nothing(marketing):
    doc = template("supply-quality")
    doc["pages"][0]["questions"][0]["code"] = "Bad Code"
    upload = {"file": (io.BytesIO(json.dumps(doc).encode()), "survey.json")}
    response = marketing.post("/surveys/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "pages[0].questions[0].code" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 0


def test_assign_all_branch_and_list(marketing):
    survey = _create(marketing)
    marketing.post(f"/surveys/{survey.id}/publish")
    kursk = db.session.scalar(select(Organisation).where(Organisation.code == "KURS"))
    response = marketing.post(
        f"/surveys/{survey.id}/assign", data={"target": "branch", "branch": kursk.id, "channels": ["kiosk", "qr"]}
    )
    assert response.status_code == 302
    rows = db.session.scalars(select(SurveyAssignment).where(SurveyAssignment.survey_id == survey.id)).all()
    assert len(rows) == 2 * len(kursk.children)
    assert {r.center.parent_id for r in rows} == {kursk.id}
    lgv = db.session.scalar(select(Organisation).where(Organisation.code == "LGV"))
    marketing.post(f"/surveys/{survey.id}/assign", data={"target": "list", "centers": [lgv.id], "channels": ["sms"]})
    page = marketing.get(f"/surveys/{survey.id}/assign").get_data(as_text=True)
    assert "/s/" in page and "Льгов" in page
    all_centres = db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.kind == "center"))
    marketing.post(f"/surveys/{survey.id}/assign", data={"target": "all", "channels": ["online"]})
    online = db.session.scalar(
        select(func.count())
        .select_from(SurveyAssignment)
        .where(SurveyAssignment.survey_id == survey.id, SurveyAssignment.channel == "online")
    )
    assert online == all_centres
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.assign")) is not None
    response = marketing.post(f"/surveys/{survey.id}/assign", data={"target": "list", "channels": ["sms"]})
    assert response.status_code == 422


def test_preview_devices(marketing):
    survey = _create(marketing)
    for device in ("kiosk", "phone"):
        page = marketing.get(f"/surveys/{survey.id}/preview?device={device}&page=0")
        assert page.status_code == 200
        assert f"device-{device}" in page.get_data(as_text=True)
    doc = template("visit-csat")
    live = marketing.post(
        f"/surveys/{survey.id}/preview?device=phone", data=json.dumps(doc), content_type="application/json"
    )
    assert live.status_code == 200 and "device-phone" in live.get_data(as_text=True)
    doc["pages"] = []
    live = marketing.post(f"/surveys/{survey.id}/preview", data=json.dumps(doc), content_type="application/json")
    assert live.status_code == 422 and "pages" in live.get_data(as_text=True)


def test_operator_and_manager_cannot_use_designer(make_user, login, client):
    survey = services.create_survey(template("visit-csat"))
    operator = login(make_user("operator"))
    for url in ("/surveys/", "/surveys/new", f"/surveys/{survey.id}", f"/surveys/{survey.id}/assign"):
        assert operator.get(url).status_code == 403
    assert operator.post(f"/surveys/{survey.id}/publish").status_code == 403
    db.session.expire_all()
    assert survey.versions[-1].status == "draft"


def test_anonymous_is_sent_to_login(client, org):
    assert client.get("/surveys/").status_code in (302, 401)


FETCH = {"X-Requested-With": "fetch"}


def _latest_doc(survey_id):
    db.session.expire_all()
    return db.session.get(Survey, survey_id).versions[-1].definition


def test_slug_comes_from_the_title_with_a_suffix_on_collision(marketing):
    for _ in range(2):
        assert marketing.post("/surveys/new", data={"template": "", "title": "Оценка визита"}).status_code == 302
    slugs = set(db.session.scalars(select(Survey.slug)))
    assert {"otsenka-vizita", "otsenka-vizita-2"} <= slugs


def test_fetch_changes_return_the_fragment_with_open_editor_and_preview(marketing):
    survey = _create(marketing, slug="frag", tmpl="")
    response = marketing.post(
        f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": "yes_no"}, headers=FETCH
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html  # a fragment, not a page
    assert 'id="editor-0-1" open' in html  # the new question's editor is open
    assert 'data-preview="phone"' in html and 'data-preview="kiosk"' in html
    assert _codes(_latest_doc(survey.id)) == ["overall", "q1"]
    # Without the header the same form redirects (no JavaScript).
    response = marketing.post(
        f"/surveys/{survey.id}/structure", data={"op": "duplicate_question", "page": 0, "index": 1}
    )
    assert response.status_code == 302
    assert _codes(_latest_doc(survey.id)) == ["overall", "q1", "q1_2"]


def test_drag_and_drop_move(marketing):
    survey = _create(marketing, slug="dnd", tmpl="")
    for qtype in ("text", "yes_no"):
        marketing.post(f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": qtype})
    data = {"op": "move", "page": 0, "index": 2, "to_page": 0, "to_index": 0}
    assert marketing.post(f"/surveys/{survey.id}/structure", data=data, headers=FETCH).status_code == 200
    assert _codes(_latest_doc(survey.id)) == ["q2", "overall", "q1"]
    data = {"op": "move", "page": 0, "index": 0, "to_page": 3, "to_index": 0}
    assert marketing.post(f"/surveys/{survey.id}/structure", data=data).status_code == 404


def test_codes_follow_the_russian_text_and_conditions_use_dropdown_values(marketing):
    survey = _create(marketing, slug="codes", tmpl="")
    marketing.post(f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": "single_choice"})
    marketing.post(f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": "text"})
    # The text question is shown when the choice is «Счетчики» (picked from the dropdown of its options).
    doc = _latest_doc(survey.id)
    choice = doc["pages"][0]["questions"][1]
    data = {
        "type": "single_choice",
        "code": choice["code"],
        "text_ru": "Цель визита",
        "opt_text": ["Подключение", "Счетчики", ""],
        "opt_code": [o["code"] for o in choice["options"]],
        "opt_orig": [o["code"] for o in choice["options"]] + [""],
        "other": "y",
    }
    response = marketing.post(f"/surveys/{survey.id}/questions/0/1", data=data, headers=FETCH)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    question = _latest_doc(survey.id)["pages"][0]["questions"][1]
    assert question["code"] == "tsel_vizita"
    assert [o["code"] for o in question["options"]] == ["podkliuchenie", "schetchiki"]
    assert question["other"] is True
    editor = marketing.get(f"/surveys/{survey.id}/questions/0/2").get_data(as_text=True)
    assert 'data-for="tsel_vizita"' in editor and 'value="schetchiki"' in editor
    data = {
        "type": "text",
        "code": "q2",
        "text_ru": "Что случилось со счетчиком?",
        "cond_question": "tsel_vizita",
        "cond_op": "eq",
        "cond_value": "schetchiki",
    }
    assert marketing.post(f"/surveys/{survey.id}/questions/0/2", data=data, headers=FETCH).status_code == 200
    text = _latest_doc(survey.id)["pages"][0]["questions"][2]
    assert text["code"] == "chto_sluchilos_so_schetchikom"
    assert text["show_if"] == {"all": [{"question": "tsel_vizita", "op": "eq", "value": "schetchiki"}]}
    # A new text regenerates the choice's codes and the condition follows them; a typed code is kept.
    data.update(
        {
            "type": "single_choice",
            "code": "tsel_vizita",
            "text_ru": "Зачем вы пришли",
            "opt_text": ["Подключение", "Учет"],
            "opt_code": ["podkliuchenie", "schetchiki"],
            "opt_orig": ["podkliuchenie", "schetchiki"],
            "cond_question": "",
            "cond_op": "",
            "cond_value": "",
        }
    )
    assert marketing.post(f"/surveys/{survey.id}/questions/0/1", data=data, headers=FETCH).status_code == 200
    doc = _latest_doc(survey.id)
    assert doc["pages"][0]["questions"][1]["code"] == "zachem_vy_prishli"
    assert [o["code"] for o in doc["pages"][0]["questions"][1]["options"]] == ["podkliuchenie", "uchet"]
    assert doc["pages"][0]["questions"][2]["show_if"]["all"][0] == {
        "question": "zachem_vy_prishli",
        "op": "eq",
        "value": "uchet",
    }


def test_form_errors_name_the_question(marketing):
    survey = _create(marketing, slug="named", tmpl="")
    marketing.post(f"/surveys/{survey.id}/structure", data={"op": "add_question", "page": 0, "type": "number"})
    data = {"type": "number", "code": "q1", "text_ru": "Сколько раз вы приходили?", "number_min": "много"}
    response = marketing.post(f"/surveys/{survey.id}/questions/0/1", data=data, headers=FETCH)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Вопрос 2 «Новый вопрос», минимум: ожидается число" in html
    assert "Сколько раз вы приходили?</textarea>" in html  # what was typed stays in the open editor
    data.update(number_min="", code="Код")
    html = marketing.post(f"/surveys/{survey.id}/questions/0/1", data=data).get_data(as_text=True)
    assert "Вопрос 2 «Новый вопрос», код вопроса: от 1 до 48 знаков" in html


def test_pages_added_moved_and_removed_in_place(marketing):
    survey = _create(marketing, slug="pages", tmpl="")
    url = f"/surveys/{survey.id}/structure"
    assert marketing.post(url, data={"op": "add_page"}, headers=FETCH).status_code == 200
    marketing.post(url, data={"op": "add_question", "page": 1, "type": "text"}, headers=FETCH)
    response = marketing.post(url, data={"op": "page_up", "page": 1}, headers=FETCH)
    assert response.status_code == 200 and 'data-focus="page-0"' in response.get_data(as_text=True)
    doc = _latest_doc(survey.id)
    assert [[q["code"] for q in p["questions"]] for p in doc["pages"]] == [["q1", "q2"], ["overall"]]
    assert marketing.post(url, data={"op": "page_down", "page": 1}, headers=FETCH).status_code == 404
    assert marketing.post(url, data={"op": "remove_page", "page": 0}, headers=FETCH).status_code == 200
    assert [[q["code"] for q in p["questions"]] for p in _latest_doc(survey.id)["pages"]] == [["overall"]]
