"""Fast bulk writes of model instances for pull pages: COPY on PostgreSQL.

Django's bulk_create on PostgreSQL sends every column as an array (UNNEST); psycopg escapes
large JSON texts in arrays slowly, and bulk_update builds huge CASE expressions. A pull page
holds thousands of rows, so on PostgreSQL rows are COPYed instead: new rows with primary keys
taken from the table's sequence beforehand (children need them), changed rows into a
temporary table and then one UPDATE ... FROM. Other databases use bulk_create/bulk_update.
Values go through the fields' own preparation (pre_save, get_db_prep_save), as in save().
Run inside the caller's transaction.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
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
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
        fields = list(meta.concrete_fields)
        _copy(cursor, meta.db_table, fields, rows, adding=True)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def rows_update(
    model: type[models.Model], rows: Sequence[models.Model], field_names: Sequence[str]
) -> None:
    """Write these fields of stored instances (in one UPDATE on PostgreSQL)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, field_names)
        return
    meta = model._meta
    fields = [meta.pk, *(meta.get_field(name) for name in field_names)]
    columns = [field.column for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE TEMP TABLE bulk_rows ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
            .format(_names(columns), sql.Identifier(meta.db_table))
            .as_string(cursor.cursor)
        )
        _copy(cursor, "bulk_rows", fields, rows, adding=False)
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
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([to_db(field.pre_save(row, adding)) for field, to_db in prepared])


def _preparer(field: models.Field, database) -> Callable[[Any], Any]:
    """How a field's value goes to COPY. Values psycopg adapts as they are (text, numbers,
    Decimal, aware datetimes, booleans, keys) skip Django's per-value preparation, which
    dominates the cost of large pages; anything else gets it."""
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, PASS_THROUGH) or field.is_relation:
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, database)
