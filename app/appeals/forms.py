"""Forms of the appeals registry (choices are filled by the views from the database)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.appeals.models import CHANNELS, FORMS, KINDS
from app.i18n import lazy_choices


def plausible_year(_form: FlaskForm, field: DateTimeLocalField) -> None:
    """A browser accepts year 1 or 9999; such a time cannot even be moved between time zones."""
    if field.data is not None and not 1900 <= field.data.year <= 2100:
        raise ValidationError(_l("Дата должна быть между 1900 и 2100 годом"))


NO_CHOICE = ("", _l("— выберите —"))
"""The first option of a select the operator must choose explicitly: an untouched form is refused."""


class AppealForm(FlaskForm):
    """A new appeal typed in by staff: its text, kind and topic are chosen, never defaulted."""

    kind = SelectField(
        _l("Вид обращения"),
        choices=[NO_CHOICE, *lazy_choices(KINDS)],
        validators=[DataRequired(_l("Выберите вид обращения"))],
    )
    form = SelectField(_l("Форма обращения"), choices=lazy_choices(FORMS))
    channel = SelectField(_l("Канал"), choices=lazy_choices(CHANNELS))
    topic = SelectField(_l("Тема"), choices=[], validators=[DataRequired(_l("Выберите тему обращения"))])
    center = SelectField(_l("ЦОК"), choices=[], coerce=int)
    received_at = DateTimeLocalField(
        _l("Дата и время поступления (местное время)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Укажите дату и время поступления")), plausible_year],
    )
    text = TextAreaField(
        _l("Содержание обращения"), validators=[DataRequired(_l("Опишите, с чем обратился клиент")), Length(max=20000)]
    )
    external_id = StringField(_l("Внешний номер (если есть)"), validators=[Optional(), Length(max=64)])
    contact_name = StringField(_l("Имя клиента"), validators=[Optional(), Length(max=200)])
    contact_phone = StringField(_l("Телефон клиента"), validators=[Optional(), Length(max=40)])
    contact_email = StringField(
        _l("Эл. почта клиента"), validators=[Optional(), Email(_l("Неверный адрес")), Length(max=254)]
    )
    consent = BooleanField(_l("Клиент согласен на обработку персональных данных для ответа на обращение"))


class PromiseForm(FlaskForm):
    text = TextAreaField(_l("Что обещано клиенту"), validators=[DataRequired(_l("Опишите обещание")), Length(max=2000)])
    due_at = DateTimeLocalField(
        _l("Срок (местное время)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Укажите срок")), plausible_year],
    )


class ImportForm(FlaskForm):
    file = FileField(_l("Файл CSV или XLSX"), validators=[FileRequired(_l("Выберите файл"))])
    dry_run = BooleanField(_l("Только проверить, ничего не сохранять"))


class DeadlineRuleForm(FlaskForm):
    kind = SelectField(_l("Вид обращения"), choices=lazy_choices(KINDS))
    topic = SelectField(_l("Тема (необязательно)"), choices=[], coerce=int)
    days = IntegerField(_l("Срок, дней"), validators=[DataRequired(_l("Укажите срок")), NumberRange(1, 365)])
    working_days = BooleanField(_l("Рабочие дни (по производственному календарю)"))


class RootCauseForm(FlaskForm):
    code = StringField(_l("Код"), validators=[DataRequired(_l("Укажите код")), Length(max=32)])
    name_ru = StringField(_l("Название"), validators=[DataRequired(_l("Укажите название")), Length(max=200)])
    active = BooleanField(_l("Действует"), default=True)


class TopicForm(FlaskForm):
    code = StringField(_l("Код"), validators=[DataRequired(_l("Укажите код")), Length(max=32)])
    name_ru = StringField(_l("Название"), validators=[DataRequired(_l("Укажите название")), Length(max=200)])
    name_en = StringField(_l("Название (англ.)"), validators=[Optional(), Length(max=200)])
    sort_order = IntegerField(
        _l("Порядок"),
        default=0,
        validators=[Optional(), NumberRange(-1_000_000, 1_000_000, _l("Порядок — от −1 000 000 до 1 000 000"))],
    )
    active = BooleanField(_l("Действует"), default=True)
