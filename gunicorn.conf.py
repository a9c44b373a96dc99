"""Gunicorn settings for `scripts/run.sh` / `scripts/serve.sh` (gunicorn reads ./gunicorn.conf.py by itself).

Slow or idle clients must not hold a worker: gevent workers read requests without blocking, so connections
that dribble their headers wait in their own greenlet while other requests are answered (measured: a sync or
gthread worker stalls behind 50 such connections, gevent answers in milliseconds; tests/test_serving.py).
In production put a reverse proxy in front (README: "Production").
"""
import os

# pyproj keeps its PROJ context in a threading.local. Imported here, in the master before the workers fork and gevent
# patches threading, that stays one context per thread. Imported later, inside a request's greenlet (the app imports
# its data libraries where they are used), each greenlet got a context of its own that was freed with it while CRS
# objects made under it lived on, and the worker crashed (SIGSEGV) on a later map (tests/test_serving.py).
import pyproj  # noqa: F401

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gevent"
worker_connections = 500  # open connections per worker (slow ones included)
timeout = 120  # a worker silent this long (a runaway request) is restarted
graceful_timeout = 30
keepalive = 5
# Request limits (gunicorn's defaults, stated): a request line, header count and header size a map never needs more of.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Only a proxy on these addresses may set X-Forwarded-Proto (HTTPS); set FORWARDED_ALLOW_IPS to the proxy's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
