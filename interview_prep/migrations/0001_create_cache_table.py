"""The database cache's table (throttle counts are shared by every process through it).

`createcachetable` is Django's own way to make it; running it from a migration means every
database that is migrated (a fresh checkout, CI, the test databases, the benchmark's) has it.
It does nothing when the cache is Redis, or when the table already exists.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
