"""Russian time zones by the names a person in Russia uses («Москва (МСК)»), not their IANA codes.

Centres store the IANA name (``Europe/Moscow``) that date arithmetic needs; pages show these labels. A zone
outside the list (imported from a file) is still shown and kept, by its code.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TIMEZONE_LABELS = {
    "Europe/Kaliningrad": _l("Калининград (МСК−1)"),
    "Europe/Moscow": _l("Москва (МСК)"),
    "Europe/Samara": _l("Самара (МСК+1)"),
    "Asia/Yekaterinburg": _l("Екатеринбург (МСК+2)"),
    "Asia/Omsk": _l("Омск (МСК+3)"),
    "Asia/Krasnoyarsk": _l("Красноярск (МСК+4)"),
    "Asia/Irkutsk": _l("Иркутск (МСК+5)"),
    "Asia/Yakutsk": _l("Якутск (МСК+6)"),
    "Asia/Vladivostok": _l("Владивосток (МСК+7)"),
    "Asia/Magadan": _l("Магадан (МСК+8)"),
    "Asia/Kamchatka": _l("Камчатка (МСК+9)"),
}


def timezone_label(name: str | None) -> str:
    """The label of a time zone in the reader's language; an unlisted zone by its code, a missing one as «—»."""
    if not name:
        return "—"
    return str(TIMEZONE_LABELS[name]) if name in TIMEZONE_LABELS else name


def timezone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """The select's options: the Russian zones, and the centre's own zone when it is not one of them."""
    choices = [(name, str(label)) for name, label in TIMEZONE_LABELS.items()]
    if current and current not in TIMEZONE_LABELS:
        choices.append((current, current))
    return choices
