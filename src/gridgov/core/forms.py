from django import forms
from django.utils.translation import gettext_lazy as _


class ImportForm(forms.Form):
    """The upload of an xlsx import page (core.views.import_page)."""

    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
