import django_filters
from django import forms

# Largest value a BigAutoField id can hold; a bigger "id" is a form error, not a database overflow (500).
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """A whole-number id: `1.5`, `abc` or a number past the column's range is a form error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _without_empty_values(data):
    """The query without blank fields: a form's "全部" option sends `tag=`, which means "no filter"."""
    if data is None:
        return None
    cleaned = data.copy()
    for key in list(cleaned.keys()):
        values = [v for v in cleaned.getlist(key) if str(v).strip() != ""]
        if values:
            cleaned.setlist(key, values)
        else:
            del cleaned[key]
    return cleaned


class StrictFilterSet(django_filters.FilterSet):
    """Blank fields are ignored. A field that is really invalid (an unknown tag, `min_age=abc`) never widens
    the list: `qs` is then empty and `errors` says why, so a page shows the form error and no rows.

    Domain-free; the area filter every scoped list offers is `areas.filters.AreaSubtreeFilterSet`."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            data = _without_empty_values(data)
        elif data is not None:
            data = {k: v for k, v in data.items() if v not in (None, "", [], ())}
        super().__init__(data, *args, **kwargs)

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            if self.is_bound and not self.is_valid():
                self._qs = self.queryset.none()
            else:
                self._qs = super().qs
        return self._qs
