"""Where the data lives: loading, revisions, derived data per revision."""
