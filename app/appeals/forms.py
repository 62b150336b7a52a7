"""Forms of the appeals registry (choices are filled by the views from the database)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.appeals.models import CHANNELS, FORMS, KINDS


def plausible_year(_form: FlaskForm, field: DateTimeLocalField) -> None:
    """A browser accepts year 1 or 9999; such a time cannot even be moved between time zones."""
    if field.data is not None and not 1900 <= field.data.year <= 2100:
        raise ValidationError("Дата должна быть между 1900 и 2100 годом")


NO_CHOICE = ("", "— выберите —")
"""The first option of a select the operator must choose explicitly: an untouched form is refused."""


class AppealForm(FlaskForm):
    """A new appeal typed in by staff: its text, kind and topic are chosen, never defaulted."""

    kind = SelectField(
        "Вид обращения", choices=[NO_CHOICE, *KINDS.items()], validators=[DataRequired("Выберите вид обращения")]
    )
    form = SelectField("Форма обращения", choices=list(FORMS.items()))
    channel = SelectField("Канал", choices=list(CHANNELS.items()))
    topic = SelectField("Тема", choices=[], validators=[DataRequired("Выберите тему обращения")])
    center = SelectField("ЦОК", choices=[], coerce=int)
    received_at = DateTimeLocalField(
        "Дата и время поступления (местное время)",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired("Укажите дату и время поступления"), plausible_year],
    )
    text = TextAreaField(
        "Содержание обращения", validators=[DataRequired("Опишите, с чем обратился клиент"), Length(max=20000)]
    )
    external_id = StringField("Внешний номер (если есть)", validators=[Optional(), Length(max=64)])
    contact_name = StringField("Имя клиента", validators=[Optional(), Length(max=200)])
    contact_phone = StringField("Телефон клиента", validators=[Optional(), Length(max=40)])
    contact_email = StringField("Эл. почта клиента", validators=[Optional(), Email("Неверный адрес"), Length(max=254)])
    consent = BooleanField("Клиент согласен на обработку персональных данных для ответа на обращение")


class PromiseForm(FlaskForm):
    text = TextAreaField("Что обещано клиенту", validators=[DataRequired("Опишите обещание"), Length(max=2000)])
    due_at = DateTimeLocalField(
        "Срок (местное время)", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Укажите срок"), plausible_year]
    )


class ImportForm(FlaskForm):
    file = FileField("Файл CSV или XLSX", validators=[FileRequired("Выберите файл")])
    dry_run = BooleanField("Только проверить, ничего не сохранять")


class DeadlineRuleForm(FlaskForm):
    kind = SelectField("Вид обращения", choices=list(KINDS.items()))
    topic = SelectField("Тема (необязательно)", choices=[], coerce=int)
    days = IntegerField("Срок, дней", validators=[DataRequired("Укажите срок"), NumberRange(1, 365)])
    working_days = BooleanField("Рабочие дни (по производственному календарю)")


class RootCauseForm(FlaskForm):
    code = StringField("Код", validators=[DataRequired("Укажите код"), Length(max=32)])
    name_ru = StringField("Название", validators=[DataRequired("Укажите название"), Length(max=200)])
    active = BooleanField("Действует", default=True)


class TopicForm(FlaskForm):
    code = StringField("Код", validators=[DataRequired("Укажите код"), Length(max=32)])
    name_ru = StringField("Название", validators=[DataRequired("Укажите название"), Length(max=200)])
    name_en = StringField("Название (англ.)", validators=[Optional(), Length(max=200)])
    sort_order = IntegerField(
        "Порядок",
        default=0,
        validators=[Optional(), NumberRange(-1_000_000, 1_000_000, "Порядок — от −1 000 000 до 1 000 000")],
    )
    active = BooleanField("Действует", default=True)
