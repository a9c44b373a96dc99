"""Our own scripts and style sheets as they are shipped: comments and needless spaces taken out (rjsmin, rcssmin).

The files keep their comments for the people who read them; the browsers that load them do not need them (a third
of the map's scripts and style sheets once compressed). Names are kept, so the code run is the code read.
"""
from __future__ import annotations

from pathlib import Path

import rcssmin
import rjsmin


def shipped(path: Path, data: bytes) -> bytes:
    """The bytes served (or inlined in an offline export) for a static file: our .js and .css minified, /*! */
    comments kept; vendored files (already minified, with their licences) and anything else as they are."""
    if "vendor" in path.parts:
        return data
    suffix = path.suffix.lower()
    if suffix == ".js":
        return rjsmin.jsmin(data.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    if suffix == ".css":
        return rcssmin.cssmin(data.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    return data
