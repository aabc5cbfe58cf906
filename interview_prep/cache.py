"""Django's database cache with an atomic `incr`, so throttle counts are exact across processes.

django-ratelimit counts with `cache.add(key, 1)` then `cache.incr(key)`. Django's DatabaseCache
inherits BaseCache.incr, a `get` then a `set`: two processes incrementing at once both read 4 and
both write 5, and a throttle of 5 lets 6 through (django-ratelimit's system check calls the
backend "not atomic" for this reason). Here the read and the write are one transaction that
locks the row first (SELECT … FOR UPDATE on PostgreSQL; on SQLite the settings open every
transaction IMMEDIATE, which takes the database's write lock), so increments queue up.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class AtomicDatabaseCache(DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table = quote_name(self.cache_model_class._meta.db_table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # As DatabaseCache.has_key: expiry is compared in the database, to the second.
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0, tzinfo=None))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')} FROM {table} "
                f"WHERE {quote_name('cache_key')} = %s AND {quote_name('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote_name('value')} = %s "
                f"WHERE {quote_name('cache_key')} = %s",
                [encoded, key],
            )
        return value
