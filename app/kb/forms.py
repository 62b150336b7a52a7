"""Staff forms of the knowledge base (choices are filled by the views from the database)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.kb.services import ANSWER_MAX, PHRASE_MAX, SECTION_TITLE_MAX, TITLE_MAX


class ArticleForm(FlaskForm):
    """An article: the customer's question, the Markdown answer and where it belongs."""

    title = StringField(_l("Вопрос"), validators=[DataRequired(_l("Введите вопрос")), Length(max=TITLE_MAX)])
    answer = TextAreaField(
        _l("Ответ (оформление: *курсив*, **жирный**, списки, ссылки [текст](адрес))"),
        validators=[DataRequired(_l("Введите ответ")), Length(max=ANSWER_MAX)],
    )
    topic = SelectField(_l("Тема"), choices=[], validators=[Optional()])
    section = SelectField(_l("Раздел"), choices=[], coerce=int)
    centers = SelectMultipleField(_l("Центры (ничего не выбрано — все центры)"), choices=[], validators=[Optional()])


class SectionForm(FlaskForm):
    title = StringField(
        _l("Название раздела"), validators=[DataRequired(_l("Введите название")), Length(max=SECTION_TITLE_MAX)]
    )
    parent = SelectField(_l("Внутри раздела"), choices=[], coerce=int)
    sort_order = IntegerField(_l("Порядок"), default=0, validators=[Optional(), NumberRange(min=0, max=1000)])


class SynonymForm(FlaskForm):
    phrase = StringField(_l("Фраза"), validators=[DataRequired(_l("Введите фразу")), Length(max=PHRASE_MAX)])
    synonym = StringField(_l("Синоним"), validators=[DataRequired(_l("Введите синоним")), Length(max=PHRASE_MAX)])
