"""Fast bulk writes for pull pages: COPY on PostgreSQL.

Django's bulk_create on PostgreSQL sends every column as an array (UNNEST); psycopg escapes
large JSON texts in arrays slowly, and bulk_update builds huge CASE expressions. A pull page
holds thousands of rows, so on PostgreSQL rows are COPYed instead: new rows with primary keys
taken from the table's sequence beforehand (children need them), changed rows into a
temporary table and then one UPDATE ... FROM. Other databases use bulk_create/bulk_update.
Run inside the caller's transaction.

New rows come as model instances (`rows_insert`: values go through the fields' own
preparation, pre_save and get_db_prep_save, as in save()) or, cheaper for pull pages, as
dicts of column values by attname (`values_insert`, `values_update`: no model instances; the
auto_now/auto_now_add timestamps and the fields' defaults are filled in as save() would).
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

PASS_THROUGH = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.DecimalField,
    models.IntegerField,
    models.TextField,
)


def rows_insert(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert new instances; their primary keys are set afterwards."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    meta = model._meta
    with connection.cursor() as cursor:
        for row, pk in zip(rows, _pks_reserve(cursor, meta, len(rows)), strict=True):
            row.pk = pk
        fields = list(meta.concrete_fields)
        _copy(cursor, meta.db_table, fields, rows, adding=True)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def values_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows given as dicts of values by attname (`location_id`, not `location`);
    missing columns get their defaults (auto_now/auto_now_add: now). Each dict gets its
    primary key (`id`) set."""
    if not rows:
        return
    meta = model._meta
    pk_name = meta.pk.attname
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in rows]
        model.objects.bulk_create(instances)
        for row, instance in zip(rows, instances, strict=True):
            row[pk_name] = instance.pk
        return
    fields = list(meta.concrete_fields)
    moment = timezone.now()
    defaults = {
        field.attname: moment
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in fields
        if field is not meta.pk
    }
    with connection.cursor() as cursor:
        for row, pk in zip(rows, _pks_reserve(cursor, meta, len(rows)), strict=True):
            row[pk_name] = pk
        _values_copy(cursor, meta.db_table, fields, rows, defaults)


def values_update(
    model: type[models.Model], rows: Sequence[dict[str, Any]], field_names: Sequence[str]
) -> None:
    """Write these fields (attnames) of stored rows given as dicts holding the primary key and
    the fields (auto_now fields, when not given: now), in one UPDATE on PostgreSQL."""
    if not rows:
        return
    meta = model._meta
    pk_name = meta.pk.attname
    fields = [meta.pk, *(meta.get_field(name) for name in field_names)]
    moment = timezone.now()
    defaults = {field.attname: moment for field in fields if getattr(field, "auto_now", False)}
    if connection.vendor != "postgresql":
        instances = []
        for row in rows:
            instance = model(**{pk_name: row[pk_name]})
            for field in fields[1:]:
                setattr(instance, field.attname, row.get(field.attname, moment))
            instances.append(instance)
        model.objects.bulk_update(instances, field_names)
        return
    with connection.cursor() as cursor:
        _temporary_table(cursor, meta, fields)
        _values_copy(cursor, "bulk_rows", fields, rows, defaults)
        _update_from_temporary(cursor, meta, fields)


def _pks_reserve(cursor, meta, count: int) -> list[int]:
    # The sequence is looked up once (OFFSET 0 keeps the subquery from being folded into the
    # outer one): called per row, pg_get_serial_sequence made this query 8x slower.
    cursor.execute(
        "SELECT nextval(serial.sequence) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass"
        " AS sequence OFFSET 0) AS serial CROSS JOIN generate_series(1, %s)",
        [meta.db_table, meta.pk.column, count],
    )
    return [pk for (pk,) in cursor.fetchall()]


def _temporary_table(cursor, meta, fields: Sequence[models.Field]) -> None:
    cursor.execute(
        sql.SQL("CREATE TEMP TABLE bulk_rows ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
        .format(_names([field.column for field in fields]), sql.Identifier(meta.db_table))
        .as_string(cursor.cursor)
    )


def _update_from_temporary(cursor, meta, fields: Sequence[models.Field]) -> None:
    columns = [field.column for field in fields]
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = b.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in columns[1:]
    )
    cursor.execute(
        sql.SQL("UPDATE {} t SET {} FROM bulk_rows b WHERE t.{} = b.{}; DROP TABLE bulk_rows")
        .format(
            sql.Identifier(meta.db_table),
            assignments,
            sql.Identifier(meta.pk.column),
            sql.Identifier(meta.pk.column),
        )
        .as_string(cursor.cursor)
    )


def _names(columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(column) for column in columns)


def _copy(cursor, table: str, fields: Sequence[models.Field], rows, *, adding: bool) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), _names([field.column for field in fields])
    )
    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-call proxy
    prepared = [(field, _preparer(field, database)) for field in fields]
    # Django's cursor wrapper has no COPY; its errors still come out as Django's DatabaseError.
    with cursor.db.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([to_db(field.pre_save(row, adding)) for field, to_db in prepared])


def _values_copy(
    cursor,
    table: str,
    fields: Sequence[models.Field],
    rows: Sequence[dict[str, Any]],
    defaults: dict[str, Any],
) -> None:
    """COPY dicts of values: the columns are picked in one C call per row (itemgetter); only
    the JSON columns, and fields psycopg cannot take as they are, are converted in Python."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), _names([field.column for field in fields])
    )
    database = connections[DEFAULT_DB_ALIAS]
    pick = itemgetter(*(field.attname for field in fields))
    # The batch's timestamps (auto_now...) as text once: psycopg formats datetimes slowly.
    defaults = {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in defaults.items()
    }
    converted = [
        (index, _text_preparer(field, database))
        for index, field in enumerate(fields)
        if not (isinstance(field, PASS_THROUGH) or field.is_relation)
    ]
    with cursor.db.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            values = list(pick({**defaults, **row} if defaults else row))
            for index, to_db in converted:
                values[index] = to_db(values[index])
            write(values)


def _preparer(field: models.Field, database) -> Callable[[Any], Any]:
    """How a field's value goes to COPY. Values psycopg adapts as they are (text, numbers,
    Decimal, aware datetimes, booleans, keys) skip Django's per-value preparation, which
    dominates the cost of large pages; anything else gets it."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, PASS_THROUGH) or field.is_relation:
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, database)


def _text_preparer(field: models.Field, database) -> Callable[[Any], Any]:
    """As `_preparer`, JSON written as its text (COPY's text format takes jsonb as text)."""
    if isinstance(field, models.JSONField):
        if field.encoder:
            encoder = field.encoder()
            return lambda value: None if value is None else encoder.encode(value)
        return _json_text
    return lambda value: field.get_db_prep_save(value, database)


_JSON = json.JSONEncoder()


def _json_text(value: Any) -> str | None:
    """A JSON column's text as json.dumps writes it for save(), made by orjson (about eight
    times faster on pull pages). json.dumps writes it when orjson cannot (integers beyond 64
    bits, lone surrogates) and when orjson's text holds a null: orjson writes NaN and
    infinities as null, json.dumps as tokens PostgreSQL refuses, as save() would."""
    if value is None:
        return None
    try:
        text = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _JSON.encode(value)
    if b"null" in text:
        return _JSON.encode(value)
    return text.decode()
