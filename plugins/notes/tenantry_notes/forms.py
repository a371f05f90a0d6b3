from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tenantry import Form


class NoteForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Body", description="Markdown is supported when the site allows it.")
    tags = StringField("Tags", validators=[Length(max=500)], description="Comma-separated.")
