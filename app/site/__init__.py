"""Pages staff keep current: «Как оплатить», «Контактная информация» and «Публикации о ЦОК» (news)."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from app.site import routes  # noqa: E402,F401
