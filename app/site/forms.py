"""Staff forms of the public pages and news (CSRF via FlaskForm; rules live in the service)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField


class PageForm(FlaskForm):
    title = StringField(_l("Заголовок"))
    body = TextAreaField(_l("Текст"))


class PostForm(PageForm):
    published_on = StringField(_l("Дата публикации"))
    published = BooleanField(_l("Опубликовано"))
