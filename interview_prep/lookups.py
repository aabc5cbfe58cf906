"""`__in` on an integer column ignores the numbers no such column can hold.

Django (5.0, ticket #27397) made `=`, `<`, `>` on an integer field treat a number out of the
column's range as matching nothing, but not `__in`: SQLite then raises OverflowError (a 500)
for `pk__in=[10**30]`, which is what a ModelMultipleChoiceField runs for a crafted id (the
new-interview form's categories, the admin's many-to-many fields). This is the same rule for
`__in`: out-of-range numbers are dropped, and a list left empty matches nothing.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from django.db.models import IntegerField
from django.db.models.lookups import In

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


class IntegerFieldIn(In):
    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
        held = [
            value
            for value in self.rhs
            if not isinstance(value, int)
            or ((low is None or value >= low) and (high is None or value <= high))
        ]
        if len(held) == len(self.rhs):
            return super().as_sql(compiler, connection)
        # A copy: the same query may yet be compiled for another database.
        narrowed = copy.copy(self)
        narrowed.rhs = held
        return In.as_sql(narrowed, compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
