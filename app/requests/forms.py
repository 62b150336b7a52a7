"""The public request form (works without JavaScript); the rules live in app.requests.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

REQUEST_CONSENT_LABEL = _l("Я прочитал(а) текст согласия и даю согласие на обработку моих персональных данных")


class RequestForm(FlaskForm):
    """Every field of every type: the page shows those of the chosen type, the service checks them."""

    center = StringField(_l("Центр обслуживания"))
    name = StringField(_l("Фамилия, имя, отчество заявителя"))
    phone = StringField(_l("Телефон"))
    email = StringField(_l("Электронная почта (необязательно)"))
    object_address = StringField(_l("Адрес объекта"))
    power_kw = StringField(_l("Запрашиваемая мощность, кВт"))
    voltage = StringField(_l("Уровень напряжения"))
    object_type = StringField(_l("Тип объекта"))
    meter_number = StringField(_l("Заводской номер прибора учета"))
    meter_model = StringField(_l("Тип (модель) прибора учета"))
    installation_date = StringField(_l("Дата установки"))
    check_reason = StringField(_l("Причина проверки"))
    comment = TextAreaField(_l("Комментарий (необязательно)"))
    consent = BooleanField(REQUEST_CONSENT_LABEL)
    website = StringField(_l("Сайт (не заполняйте это поле)"))  # honeypot
    client_submission_id = HiddenField()


class DecisionForm(FlaskForm):
    """Only the CSRF token: the decision comes from the button pressed."""
