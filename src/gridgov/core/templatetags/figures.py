"""`{% load figures %}{{ value|indicator_value:code }}`: a figure written as every page writes it."""

from django import template

from gridgov.core import indicators

register = template.Library()


@register.filter
def indicator_value(value, code: str) -> str:
    return indicators.format_value(code, value)
