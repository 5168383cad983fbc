"""Database helpers shared by the apps: range expressions and an exclusion constraint that exists
only on PostgreSQL (DESIGN.md §5.3).

The embedded mode runs on SQLite, which has no exclusion constraints. There
:class:`PostgresExclusionConstraint` creates no DDL and validates nothing, and the services check
the same rule in Python before they write (under the same row locks).
"""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, IntegerRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class Int4Range(Func):
    """``int4range(lower, upper)``: a half-open range of integers (quay metres, yard bays)."""

    function = "int4range"
    output_field = IntegerRangeField()


class TsTzRange(Func):
    """``tstzrange(lower, upper)``: a half-open range of time."""

    function = "tstzrange"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL and nothing elsewhere.

    SQLite (the embedded mode) has no exclusion constraints; there the constraint creates no DDL
    and validates nothing, and the services check the same rule in Python before they write.
    """

    @staticmethod
    def _on_postgres(connection) -> bool:
        return connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        if not self._on_postgres(schema_editor.connection):
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if not self._on_postgres(schema_editor.connection):
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if not self._on_postgres(schema_editor.connection):
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if not self._on_postgres(connections[using]):
            return
        super().validate(model, instance, exclude=exclude, using=using)
