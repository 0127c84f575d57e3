"""OCPI 2.2.1 on the wire: schemas, envelope, status codes, headers, pagination, outbound HTTP.

Pure Python (pydantic v2, httpx): nothing here imports Django, so the schemas can be used by the
outbound client, the CPO simulator and the tests alike (tests/roaming/test_ocpi_purity.py).

Reading rules, in one place: unknown fields are tolerated (kept on the model as extras) so newer
partners keep working; wrong types are refused (no "220" for an int, no "true" for a boolean, no
string for a number); DateTime values without a designator are UTC; CiString values are compared
case-insensitively by the callers (see `ci_equal`).
"""
