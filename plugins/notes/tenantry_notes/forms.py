from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tenantry import Form
from tenantry import lazy_gettext as _l


class NoteForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Body"), description=_l("Markdown is supported when the site allows it.")
    )
    tags = StringField(_l("Tags"), validators=[Length(max=500)], description=_l("Comma-separated."))
