"""Account forms (Flask-WTF: CSRF on every one)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from tenantry.auth.models import MIN_PASSWORD_LENGTH, Role

#: Shape only: deliverability is not our business at login, and .test domains are fine.
EMAIL_SHAPE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address.")


def _email() -> EmailField:
    return EmailField("Email", validators=[DataRequired(), EMAIL_SHAPE, Length(max=254)])


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


def _repeat(field: str) -> PasswordField:
    return PasswordField(
        "Repeat it", validators=[DataRequired(), EqualTo(field, "The two passwords differ.")]
    )


class LoginForm(FlaskForm):
    email = _email()
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


class ForgotPasswordForm(FlaskForm):
    email = _email()


class NewPasswordForm(FlaskForm):
    """Choose a password: from a reset link."""

    password = _new_password()
    confirm = _repeat("password")


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=200)])
    password = _new_password("Password")
    confirm = _repeat("password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )
    password = _new_password()
    confirm = _repeat("password")


class InviteForm(FlaskForm):
    email = _email()
    role = SelectField("Role", choices=[role.value for role in Role])
