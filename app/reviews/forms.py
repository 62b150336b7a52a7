"""Review-book forms (public, work without JavaScript)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.reviews.models import ENTRY_TYPES
from app.reviews.services import EMAIL_MAX, NAME_MAX, PHONE_MAX, TEXT_MAX

ANSWER_CHOICES = [("no", _l("Нет, ответ не нужен")), ("yes", _l("Да, хочу получить ответ"))]


class EntryForm(FlaskForm):
    """Step 1: the entry itself. Domain validation happens in the service (one set of rules)."""

    entry_type = RadioField(_l("Вид записи"), choices=list(ENTRY_TYPES.items()), validate_choice=False)
    topic = RadioField(_l("Тема"), choices=[], validate_choice=False)
    text = TextAreaField(_l("Текст записи"), validators=[Length(max=TEXT_MAX + 200)])
    wants_answer = RadioField(_l("Хочу получить ответ"), choices=ANSWER_CHOICES, default="no", validate_choice=False)
    publish_consent = BooleanField(
        _l("Разрешаю опубликовать мой отзыв в книге отзывов этого ЦОК (без имени и контактов)")
    )
    website = StringField(_l("Сайт (не заполняйте это поле)"), validators=[Optional()])  # honeypot
    client_submission_id = HiddenField()
    step = HiddenField(default="entry")


class ContactForm(EntryForm):
    """Step 2 (only when an answer is wanted): the separate consent and the contact data."""

    consent = BooleanField(_l("Я прочитал(а) текст согласия и даю согласие на обработку моих персональных данных"))
    name = StringField(_l("Как к вам обращаться"), validators=[Optional(), Length(max=NAME_MAX)])
    email = StringField(_l("Электронная почта"), validators=[Optional(), Length(max=EMAIL_MAX)])
    phone = StringField(_l("Телефон"), validators=[Optional(), Length(max=PHONE_MAX)])
    action = HiddenField()


class StatusForm(FlaskForm):
    number = StringField(_l("Регистрационный номер"), validators=[Length(max=40)])
    code = StringField(_l("Код проверки"), validators=[Length(max=12)])


class ModerationForm(FlaskForm):
    """Only the CSRF token: the action comes from the button pressed."""
