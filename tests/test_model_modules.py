"""The app imports every module that maps a table, so the metadata (and Alembic's autogenerate) sees them all."""

from __future__ import annotations

import importlib
import pkgutil

import services
import tenants
import web
import workers
from tenants.db import Base
from web import MODEL_MODULES

PACKAGES = (tenants, services, workers, web)


def test_model_modules_are_exactly_the_modules_that_map_a_class():
    for package in PACKAGES:
        for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(found.name)
    ours = tuple(f"{package.__name__}." for package in PACKAGES)
    mapping = {m.class_.__module__ for m in Base.registry.mappers if m.class_.__module__.startswith(ours)}
    assert mapping == set(MODEL_MODULES)
