from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class TaskForm(FlaskForm):
    title = StringField("Task", validators=[DataRequired(), Length(max=200)])
    due = DateField("Due", validators=[Optional()])
    note_id = SelectField("Note", coerce=int, validate_choice=True, default=0)
