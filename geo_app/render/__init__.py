"""One map spec, every output: interactive HTML, static images, slides, tables."""
