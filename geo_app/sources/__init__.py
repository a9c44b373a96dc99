"""Read and validate files (boundary layers, status tables); reports."""
