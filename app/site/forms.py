"""Staff forms of the public pages and news (CSRF via FlaskForm; rules live in the service)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField


class PageForm(FlaskForm):
    title = StringField("Заголовок")
    body = TextAreaField("Текст")


class PostForm(PageForm):
    published_on = StringField("Дата публикации")
    published = BooleanField("Опубликовано")
