"""Account forms (Flask-WTF: CSRF on every one). Labels and messages are lazy: they are
translated when a page shows them, in that request's language."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from tenantry.auth.models import MIN_PASSWORD_LENGTH, Role
from tenantry.forms import Form
from tenantry.tenancy.locales import LOCALES

#: Shape only: deliverability is not our business at login, and .test domains are fine.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an email address."))


def _email() -> EmailField:
    return EmailField(_l("Email"), validators=[DataRequired(), EMAIL_SHAPE, Length(max=254)])


def _new_password(label: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _repeat(field: str) -> PasswordField:
    return PasswordField(
        _l("Repeat it"),
        validators=[DataRequired(), EqualTo(field, _l("The two passwords differ."))],
    )


class LoginForm(Form):
    email = _email()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class ForgotPasswordForm(Form):
    email = _email()


class NewPasswordForm(Form):
    """Choose a password: from a reset link."""

    password = _new_password()
    confirm = _repeat("password")


class AcceptInvitationForm(Form):
    name = StringField(_l("Your name"), validators=[Length(max=200)])
    password = _new_password(_l("Password"))
    confirm = _repeat("password")


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1024)]
    )
    password = _new_password()
    confirm = _repeat("password")


class LanguageForm(Form):
    """A user's own language: one the site speaks, or none (the site's default)."""

    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("The site's default")),
            *(SelectChoice(code, name) for code, name in LOCALES.items()),
        ],
        description=_l("The language of this site's pages and emails for you."),
    )


class InviteForm(Form):
    email = _email()
    role = SelectField(_l("Role"), choices=[role.value for role in Role])
