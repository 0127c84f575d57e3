"""Writes of the roaming app, one module per OCPI module (add new modules beside these)."""
