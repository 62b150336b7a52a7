"""Migration 0016_text_theme_links fills the text–theme links from the processed texts already stored."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app import create_app
from app.analysis.texts import quote_order
from app.extensions import db
from app.models import Organisation
from tests.conftest import BASE_CONFIG, ROOT

pytestmark = pytest.mark.postgres

ROWS = [  # id, kind, source id, themes (JSON as stored); no response: the unit is the text's own source
    (1, "answer", 10, '["queue", "politeness"]'),
    (2, "other", 11, '["queue"]'),
    (3, "appeal", 5, "[]"),
    (4, "review", 6, '["billing", "billing"]'),
]


def test_the_upgrade_links_stored_themes_and_the_downgrade_drops_them(fresh_database_url):
    from app.demo import seed

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    folder = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=folder, revision="0010_text_themes")
        seed(org_only=True, log=lambda _m: None)
        centre = db.session.scalar(select(Organisation.id).where(Organisation.kind == "center"))
        # End the session's read transaction: on PostgreSQL its lock on organisation would block the
        # downgrade's DROP of a table referencing it (the knowledge base's) for ever.
        db.session.remove()
        with db.engine.begin() as connection:
            for row_id, kind, source_id, themes in ROWS:
                connection.execute(
                    text(
                        "INSERT INTO processed_text (id, source_kind, source_id, center_id, occurred_at, lemmas,"
                        " masked_text, themes, dictionary_version, processed_at) VALUES (:id, :kind, :source,"
                        " :centre, '2026-08-01 10:00:00', '', '', :themes, 'v', '2026-08-01 10:00:00')"
                    ),
                    {"id": row_id, "kind": kind, "source": source_id, "centre": centre, "themes": themes},
                )
        upgrade(directory=folder, revision="0016_text_theme_links")
        with db.engine.connect() as connection:
            links = connection.execute(
                text("SELECT processed_text_id, theme, quote_order FROM processed_text_theme ORDER BY 1, 2")
            ).all()
        assert [(r[0], r[1]) for r in links] == [(1, "politeness"), (1, "queue"), (2, "queue"), (4, "billing")]
        orders = {row_id: quote_order(kind, source_id, None) for row_id, kind, source_id, _t in ROWS}
        assert all(order == orders[row_id] for row_id, _theme, order in links)
        downgrade(directory=folder, revision="0010_text_themes")
        assert "processed_text_theme" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
