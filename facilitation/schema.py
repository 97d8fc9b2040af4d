"""All tables of every area on one MetaData, for migrations and their consistency test."""

import importlib
import pkgutil

import facilitation

from .models import Base

# Areas keep their tables in their own modules (models_*.py); import them all so that
# Base.metadata knows every table.
for _mod in pkgutil.iter_modules(facilitation.__path__):
    if _mod.name.startswith("models_"):
        importlib.import_module(f"facilitation.{_mod.name}")

metadata = Base.metadata
