"""The question form (public, works without JavaScript). Domain validation happens in the service."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.reviews.services import EMAIL_MAX, NAME_MAX, PHONE_MAX, TEXT_MAX


class AskForm(FlaskForm):
    """Centre, topic, question and an optional contact with its consent."""

    center = SelectField(_l("Центр обслуживания"), choices=[], validate_choice=False)
    topic = SelectField(_l("Тема вопроса"), choices=[], validate_choice=False)
    text = TextAreaField(_l("Ваш вопрос"), validators=[Length(max=TEXT_MAX + 200)])
    name = StringField(_l("Как к вам обращаться"), validators=[Optional(), Length(max=NAME_MAX)])
    email = StringField(_l("Электронная почта"), validators=[Optional(), Length(max=EMAIL_MAX)])
    phone = StringField(_l("Телефон"), validators=[Optional(), Length(max=PHONE_MAX)])
    consent = BooleanField(_l("Я прочитал(а) текст согласия и даю согласие на обработку моих персональных данных"))
    website = StringField(_l("Сайт (не заполняйте это поле)"), validators=[Optional()])  # honeypot
    client_submission_id = HiddenField()
