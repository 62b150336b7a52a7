"""Review-book forms (public, work without JavaScript)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.reviews.models import ENTRY_TYPES
from app.reviews.services import EMAIL_MAX, NAME_MAX, PHONE_MAX, TEXT_MAX

ANSWER_CHOICES = [("no", "Нет, ответ не нужен"), ("yes", "Да, хочу получить ответ")]


class EntryForm(FlaskForm):
    """Step 1: the entry itself. Domain validation happens in the service (one set of rules)."""

    entry_type = RadioField("Вид записи", choices=list(ENTRY_TYPES.items()), validate_choice=False)
    topic = RadioField("Тема", choices=[], validate_choice=False)
    text = TextAreaField("Текст записи", validators=[Length(max=TEXT_MAX + 200)])
    wants_answer = RadioField("Хочу получить ответ", choices=ANSWER_CHOICES, default="no", validate_choice=False)
    publish_consent = BooleanField("Разрешаю опубликовать мой отзыв в книге отзывов этого ЦОК (без имени и контактов)")
    website = StringField("Сайт (не заполняйте это поле)", validators=[Optional()])  # honeypot
    client_submission_id = HiddenField()
    step = HiddenField(default="entry")


class ContactForm(EntryForm):
    """Step 2 (only when an answer is wanted): the separate consent and the contact data."""

    consent = BooleanField("Я прочитал(а) текст согласия и даю согласие на обработку моих персональных данных")
    name = StringField("Как к вам обращаться", validators=[Optional(), Length(max=NAME_MAX)])
    email = StringField("Электронная почта", validators=[Optional(), Length(max=EMAIL_MAX)])
    phone = StringField("Телефон", validators=[Optional(), Length(max=PHONE_MAX)])
    action = HiddenField()


class StatusForm(FlaskForm):
    number = StringField("Регистрационный номер", validators=[Length(max=40)])
    code = StringField("Код проверки", validators=[Length(max=12)])


class ModerationForm(FlaskForm):
    """Only the CSRF token: the action comes from the button pressed."""
