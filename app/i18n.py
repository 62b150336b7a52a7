"""Gettext markers for labels that are also data.

A label that is only shown is marked where it is defined with ``flask_babel.lazy_gettext`` imported as
``_l``: it turns into the reader's language when a page prints it. A label that is also data (a dict value
written to the database, a JSON or API body, an export, a report model, a ``==`` comparison) stays a plain
Russian ``str``, is marked with :func:`N_` so that ``pybabel extract`` (keywords in babel.cfg) still finds
it, and is translated where it is shown (``_()`` in the template, ``gettext`` in Python).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString


def N_(text: str) -> str:
    """Mark a Russian label for extraction and return it unchanged: it is data here, translated on display."""
    return text


def NP_(context: str, text: str) -> str:
    """Like :func:`N_` for a label shown with ``pgettext(context, text)``: the context keeps a msgid apart
    from the same Russian word used elsewhere (the appeal subtype «вопрос» beside the plural noun)."""
    return text


def label_text(label: object) -> str:
    """A label in the reader's language, whichever way it is marked: a lazy one as it is, a plain (N_) one
    through gettext. For mappings that mix both (the audit log's value labels)."""
    return gettext(label) if isinstance(label, str) else str(label)


def lazy_choices(labels: Mapping[str, str]) -> list[tuple[str, LazyString]]:
    """Select choices from a mapping of codes to N_-marked labels: the codes stay the submitted values, the
    labels are lazy, so a form class built once at import shows them in the reader's language."""
    return [(code, lazy_gettext(label)) for code, label in labels.items()]
