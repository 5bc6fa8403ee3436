import os

# openpyxl parses with lxml whenever lxml is installed (python-docx brings it), and lxml's parser expands
# entities and keeps bare carriage returns: the import hardening (docs/hardening.md, xlsx bombs) relies on
# the standard library's parser with defusedxml. Set before anything imports openpyxl.
os.environ.setdefault("OPENPYXL_LXML", "False")

from .celery import app as celery_app

__all__ = ["celery_app"]
