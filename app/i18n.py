"""Gettext markers for labels kept in Python constants and translated where a page shows them."""

from __future__ import annotations


def NP_(context: str, text: str) -> str:
    """Mark a label shown with ``pgettext(context, text)`` for extraction and return it unchanged: the context
    keeps a msgid apart from the same Russian word used elsewhere (the appeal subtype «вопрос» beside the
    plural noun of the review book's counts)."""
    return text
