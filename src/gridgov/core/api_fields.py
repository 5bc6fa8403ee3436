"""Request-scoped fields and filters for the API layer (core/api.py), and the classes settings.py names.

Kept apart from api.py because DRF imports the settings' classes (parser, filter backend) while its own
views module is loading: nothing here imports rest_framework.views, generics or viewsets.

- `ScopedPrimaryKeyRelatedField` (and `ScopedSlugRelatedField`): declared once with a class-level,
  unresolved queryset (`Area.objects.filter(level=Level.UNIT)`), resolved with `visible_to(user)` of the
  request when a value is validated. Without a request nothing is valid (fail closed).
- `ScopedModelSerializer`: a ModelSerializer whose generated related fields are scoped, and whose
  uniqueness validators (which read the default manager) check across the whole platform.
- `scope_filterset`: a FilterSet's choice filters on scoped models resolved in the requester's scope,
  ids bounded to the column's range, and every number filter bounded, so a filter value is a 400 (or
  an empty list), never a ScopeError or an overflow (500). `ScopedFilterBackend` applies it to every API
  list; pages call it through `core.pages.ScopedListView`.
- `ObjectJSONParser`: a JSON body must be an object (`0` or `[...]` is a 400, not an AttributeError).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

# Largest value a BigAutoField id can hold (core/filters.py's IdFilter uses the same bound).
MAX_ID = 2**63 - 1
# Any number filter without its own bounds: nothing a column holds lies beyond this, and a value past
# it (`1e20`, `-1e308`) would overflow the database driver.
MAX_NUMBER = MAX_ID

NOT_AN_OBJECT = _("请求体应为 JSON 对象")
NOT_JSON = _("请求体不是有效的 JSON")


def unresolved(qs: Any) -> bool:
    """A scoped queryset (or default manager) nobody has narrowed yet: evaluating it raises ScopeError."""
    if isinstance(qs, models.Manager):
        qs = qs.all()
    return isinstance(qs, models.QuerySet) and getattr(qs, "_scope_resolved", True) is False


def in_scope_of(qs: Any, user) -> Any:
    """`qs` narrowed to what `user` may see, if it is an unresolved scoped queryset; else unchanged."""
    return qs.all().visible_to(user) if unresolved(qs) else qs


def id_in_range(value: Any) -> bool:
    """False for a number no id column can hold (it would overflow the driver instead of finding nothing)."""
    if isinstance(value, bool):
        return True  # left to the field's own type check
    try:
        number = int(value) if isinstance(value, float | int) else int(str(value).strip())
    except (TypeError, ValueError, OverflowError):
        return True  # not a whole number: the field's own check says so
    return -MAX_ID <= number <= MAX_ID


def _integer_pk(model: type[models.Model], to_field: str | None = None) -> bool:
    field = model._meta.get_field(to_field) if to_field else model._meta.pk
    return isinstance(field, models.IntegerField)


# --- serializer fields -----------------------------------------------------------------------------------
class ScopedRelatedFieldMixin:
    """The field's queryset is narrowed to the request user's scope each time it is read."""

    context: dict

    def get_queryset(self):
        qs = super().get_queryset()  # type: ignore[misc]
        if unresolved(qs):
            request = self.context.get("request")
            qs = qs.visible_to(getattr(request, "user", None))  # no request → nothing (fail closed)
        return qs


class ScopedPrimaryKeyRelatedField(ScopedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    """`output_nullable=True`: required and non-null on input, but null in some responses (the schema
    says so for the response only; core/api.py's schema extension)."""

    def __init__(self, *args, output_nullable: bool = False, **kwargs):
        self.output_nullable = output_nullable
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if self.pk_field is None and not id_in_range(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ScopedSlugRelatedField(ScopedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


class ScopedModelSerializer(serializers.ModelSerializer):
    """Related fields it generates are scoped; uniqueness is a platform-wide rule, checked unscoped."""

    serializer_related_field = ScopedPrimaryKeyRelatedField

    def get_validators(self):
        return [_unscoped_unique(v) for v in super().get_validators()]

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "validators" in kwargs:
            kwargs["validators"] = [_unscoped_unique(v) for v in kwargs["validators"]]
        return field_class, kwargs


def _unscoped_unique(validator):
    if isinstance(validator, UniqueValidator | UniqueTogetherValidator) and unresolved(validator.queryset):
        queryset: Any = validator.queryset.all()  # a ScopedQuerySet: unresolved() said so
        validator.queryset = queryset.unscoped("uniqueness holds across the whole platform")
    return validator


# --- filters ---------------------------------------------------------------------------------------------
class _IdCheck:
    """A model choice form field that refuses an id past the column's range before looking it up."""

    error_messages: dict[str, Any]

    def _refuse_out_of_range(self, value) -> None:
        if getattr(self, "to_field_name", None) is None and not id_in_range(value):
            raise DjangoValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",  # type: ignore[attr-defined]
            )


class BoundedModelChoiceField(_IdCheck, filter_fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            self._refuse_out_of_range(value)
        return super().to_python(value)


class BoundedModelMultipleChoiceField(_IdCheck, filter_fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value or ():
            if not id_in_range(item):
                raise DjangoValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)


def scope_filterset(filterset: django_filters.FilterSet, user) -> django_filters.FilterSet:
    """Make a FilterSet safe for `user` before its form is built (call it right after creating it).

    Choice filters over a scoped model (declared, or generated from `filterset_fields`) only offer what
    the user may see, so an id outside it is "not a valid choice" (400); an id past the column's range
    is the same error, not an overflow; number filters without bounds get the widest safe ones.
    """
    for f in filterset.filters.values():
        if isinstance(f, QuerySetRequestMixin):
            qs = f.queryset
            if not callable(qs) and qs is not None:
                f.queryset = in_scope_of(qs, user)
                model = qs.model
                if _integer_pk(model, f.extra.get("to_field_name")):
                    if isinstance(f, django_filters.ModelMultipleChoiceFilter):
                        f.field_class = BoundedModelMultipleChoiceField
                    elif isinstance(f, django_filters.ModelChoiceFilter):
                        f.field_class = BoundedModelChoiceField
        elif isinstance(f, django_filters.NumberFilter) and issubclass(f.field_class, forms.DecimalField):
            f.extra.setdefault("min_value", -MAX_NUMBER)
            f.extra.setdefault("max_value", MAX_NUMBER)
    return filterset


class ScopedFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose FilterSets are made safe for the requester (scope_filterset)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            scope_filterset(filterset, request.user)
        return filterset


# --- parsing ---------------------------------------------------------------------------------------------
class ObjectJSONParser(parsers.JSONParser):
    """Every endpoint takes an object (or nothing): any other JSON value is refused before a view reads it."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError:  # DRF's message is English ("JSON parse error - …")
            raise ParseError(NOT_JSON) from None
        if not isinstance(data, Mapping):
            raise ParseError(NOT_AN_OBJECT)
        return data
