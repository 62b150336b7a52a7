"""Counted nouns take the Russian plural form for their number («2 жалобы», «5 жалоб», «21 жалоба»)."""

from __future__ import annotations

import flask_babel
import pytest


@pytest.mark.parametrize(
    ("n", "word", "links"),
    [
        (1, "жалоба", "Назначена 1 ссылка."),
        (2, "жалобы", "Назначено 2 ссылки."),
        (5, "жалоб", "Назначено 5 ссылок."),
        (11, "жалоб", "Назначено 11 ссылок."),
        (21, "жалоба", "Назначена 21 ссылка."),
        (24, "жалобы", "Назначено 24 ссылки."),
        (112, "жалоб", "Назначено 112 ссылок."),
    ],
)
def test_russian_plural_forms(app, n, word, links):
    with app.test_request_context("/?lang=ru"):
        flask_babel.refresh()
        assert flask_babel.ngettext("жалоба", "жалобы", n) == word
        assert flask_babel.ngettext("Назначена %(num)s ссылка.", "Назначено %(num)s ссылок.", n) == links


def test_english_plural_forms(app):
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        assert flask_babel.ngettext("жалоба", "жалобы", 1) == "complaint"
        assert flask_babel.ngettext("жалоба", "жалобы", 3) == "complaints"
