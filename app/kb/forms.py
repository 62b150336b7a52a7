"""Staff forms of the knowledge base (choices are filled by the views from the database)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.kb.services import ANSWER_MAX, PHRASE_MAX, SECTION_TITLE_MAX, TITLE_MAX


class ArticleForm(FlaskForm):
    """An article: the customer's question, the Markdown answer and where it belongs."""

    title = StringField("Вопрос", validators=[DataRequired("Введите вопрос"), Length(max=TITLE_MAX)])
    answer = TextAreaField(
        "Ответ (оформление: *курсив*, **жирный**, списки, ссылки [текст](адрес))",
        validators=[DataRequired("Введите ответ"), Length(max=ANSWER_MAX)],
    )
    topic = SelectField("Тема", choices=[], validators=[Optional()])
    section = SelectField("Раздел", choices=[], coerce=int)
    centers = SelectMultipleField("Центры (ничего не выбрано — все центры)", choices=[], validators=[Optional()])


class SectionForm(FlaskForm):
    title = StringField(
        "Название раздела", validators=[DataRequired("Введите название"), Length(max=SECTION_TITLE_MAX)]
    )
    parent = SelectField("Внутри раздела", choices=[], coerce=int)
    sort_order = IntegerField("Порядок", default=0, validators=[Optional(), NumberRange(min=0, max=1000)])


class SynonymForm(FlaskForm):
    phrase = StringField("Фраза", validators=[DataRequired("Введите фразу"), Length(max=PHRASE_MAX)])
    synonym = StringField("Синоним", validators=[DataRequired("Введите синоним"), Length(max=PHRASE_MAX)])
