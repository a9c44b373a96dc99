"""Flask CLI groups (data, export)."""
