"""App factory, configuration, database pragmas, organisation tree, errors, URL-map access."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind, Topic

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.sqlite_only(reason="SQLite's own settings")
def test_sqlite_pragmas_on_every_connection(app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_write_transaction_rolls_back_on_error(org):
    before = db.session.scalar(select(func.count(Topic.id)))
    with pytest.raises(RuntimeError), write_transaction():
        db.session.add(Topic(code="tmp", name_ru="Временная"))
        db.session.flush()
        raise RuntimeError("boom")
    assert db.session.scalar(select(func.count(Topic.id))) == before


def test_demo_tree_has_branches_and_centres(org):
    branches = db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH)).all()
    assert len(branches) == 11
    names = {
        c.name: c.parent.name
        for c in db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.CENTER))
    }
    assert len(names) == 41
    assert names["Льгов"] == "Курскэнерго" and names["Нелидово"] == "Тверьэнерго"
    assert names["Ростов"] == "Ярэнерго" and names["Старый Оскол"] == "Белгородэнерго"


def test_demo_seed_is_idempotent(runner, org):
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed", "--org-only"])
        assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 53


def test_org_import_all_or_nothing(runner, app, tmp_path):
    bad = tmp_path / "tree.csv"
    bad.write_text(
        "branch_code,branch_name,center_code,center_name,address,timezone\n"
        "B1,Филиал 1,C1,Центр 1,адрес,Europe/Moscow\n"
        "B1,Филиал 1,,Центр 2,адрес,Europe/Moscow\n"
        "B2,Филиал 2,C3,Центр 3,адрес,Mars/Olympus\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["org", "import", str(bad)])
    assert result.exit_code != 0
    assert "строка 3" in result.output and "строка 4" in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 0
    good = tmp_path / "good.csv"
    good.write_text(
        "branch_code;branch_name;center_code;center_name;address;timezone\n"
        "B1;Филиал 1;C1;Центр 1;адрес;Europe/Moscow\n"
        "B1;Филиал 1;C2;Центр 2;адрес;Europe/Samara\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["org", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 4


def test_org_import_numbers_lines_as_the_file_shows_them(runner, app, tmp_path):
    # A two-line quoted address and a blank line must not shift the reported line.
    path = tmp_path / "tree.csv"
    path.write_text(
        "branch_code,branch_name,center_code,center_name,address,timezone\n"
        'B1,Филиал 1,C1,Центр 1,"ул. Ленина, 1\nкорпус 2",Europe/Moscow\n'
        "\n"
        "B1,Филиал 1,C2,,адрес,Europe/Moscow\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code == 1 and "строка 5: пустое поле center_name" in result.output, result.output
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["branch_code", "branch_name", "center_code", "center_name", "address", "timezone"])
    sheet.append(["B1", "Филиал 1", "C1", "Центр 1", "адрес", "Europe/Moscow"])
    sheet.append([])
    sheet.append(["B1", "Филиал 1", "C2", None, "адрес", "Europe/Moscow"])
    book.save(tmp_path / "tree.xlsx")
    result = runner.invoke(args=["org", "import", str(tmp_path / "tree.xlsx")])
    assert result.exit_code == 1 and "строка 4: пустое поле center_name" in result.output, result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def _xlsx_with_a_cut_sheet(path):
    """A real workbook whose sheet XML is cut in half: openpyxl opens it and fails while reading rows."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["branch_code", "branch_name", "center_code", "center_name", "address", "timezone"])
    book.active.append(["B1", "Филиал", "C1", "Центр", "адрес", "Europe/Moscow"])
    whole = path.with_suffix(".whole.xlsx")
    book.save(whole)
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return path


def test_org_import_unreadable_files_get_a_russian_message(runner, app, tmp_path):
    cp1251 = tmp_path / "tree.csv"
    cp1251.write_bytes(
        "branch_code,branch_name,center_code,center_name,address,timezone\n"
        "B1,Филиал,C1,Центр,адрес,Europe/Moscow\n".encode("cp1251")
    )
    broken = tmp_path / "tree.xlsx"
    broken.write_bytes(b"not a zip at all")
    damaged = _xlsx_with_a_cut_sheet(tmp_path / "damaged.xlsx")
    for path, message in (
        (cp1251, "кодировке UTF-8"),
        (broken, "Не удалось прочитать файл XLSX"),
        (damaged, "Не удалось прочитать файл XLSX"),
    ):
        result = runner.invoke(args=["org", "import", str(path)])
        assert result.exit_code == 1 and message in result.output, result.output
        assert result.exc_info[0] is SystemExit and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_org_import_xlsx(runner, app, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["branch_code", "branch_name", "center_code", "center_name", "address", "timezone"])
    sheet.append(["KURS", "Курскэнерго", "KUR", "Курск", "ул. Форштадтская", "Europe/Moscow"])
    path = tmp_path / "tree.xlsx"
    book.save(path)
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Organisation).where(Organisation.code == "KUR")).name == "Курск"


def test_centre_is_deactivated_not_deleted(client, make_user, login):
    login(make_user("admin"))
    centre = db.session.scalar(select(Organisation).where(Organisation.code == "LGV"))
    client.post(f"/admin/org/{centre.id}/active")
    db.session.expire_all()
    assert db.session.get(Organisation, centre.id).active is False


def test_unknown_url_gives_russian_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_forbidden_page_is_russian(client, make_user, login):
    login(make_user("marketing"))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Доступ запрещен" in response.get_data(as_text=True)


def test_every_staff_url_refuses_anonymous(app, client):
    """Walk the URL map: every view carrying a role check must refuse an anonymous request."""
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "_staff_roles"):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
            url = url.replace(f"<path:{argument}>", "x").replace(
                f"<uuid:{argument}>", "00000000-0000-0000-0000-000000000000"
            )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 401), f"{method} {url} → {response.status_code}"
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]
            checked += 1
    assert checked >= 8


def test_public_views_are_an_explicit_list(app):
    """A view without a role check must be on the public list: new staff pages cannot slip through."""
    public_prefixes = (
        "main.index",
        "main.center",
        "main.book",  # appointment booking: customers book without an account
        "requests.index",  # service requests: customers submit without an account
        "requests.new",
        "kb.index",  # knowledge base «Вопросы и ответы»: search, article, «Помог ли ответ?»
        "kb.article",
        "kb.vote",
        "main.healthz",
        "main.hello",
        "main.favicon",
        "ask.form",  # «Задать вопрос специалисту»: customers ask without an account
        "ask.suggest",
        "site.page",  # «Как оплатить», «Контактная информация»
        "site.news",  # «Публикации о ЦОК» and each post (site.news_post)
        "auth.login",
        "auth.logout",
        "static",
    )
    allowed = set(app.config.get("PUBLIC_ENDPOINTS_EXTRA", ()))
    for endpoint, view in app.view_functions.items():
        if hasattr(view, "_staff_roles") or endpoint.startswith(public_prefixes):
            continue
        package = endpoint.split(".")[0]
        assert package in {"surveys", "reviews", "kiosk", "api"} or endpoint in allowed, endpoint
        assert getattr(view, "_public", False), f"{endpoint} is neither staff-only nor marked public"


def _run_flask(args, env_extra):
    """Run a flask command in a fresh process; the timeout is generous: two busy xdist workers on two cores
    made a ten-second start take over a minute."""
    env = {**os.environ, **env_extra, "FLASK_APP": "wsgi"}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )


@pytest.mark.parametrize(
    "url,needle",
    [
        ("mysql://user@localhost/otklik", "Неподдерживаемая база данных"),
        ("postgresql+psycopg://nobody:x@127.0.0.1:1/none?connect_timeout=2", "Не удалось подключиться"),
    ],
)
def test_bad_database_url_stops_with_one_clear_message(url, needle, tmp_path):
    result = _run_flask(["routes"], {"DATABASE_URL": url})
    assert result.returncode != 0
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_security_headers_on_staff_pages(client, make_user, login):
    login(make_user("admin"))
    response = client.get("/admin/users")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_csrf_is_enforced_when_enabled(database_url, tmp_path):
    from app import create_app
    from tests.conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
        assert response.status_code == 400
        assert "Форма устарела" in response.get_data(as_text=True)
        db.engine.dispose()
