"""The README's serving command (scripts/serve.sh, run by scripts/run.sh) keeps answering while 50 connections
dribble partial headers (issue 10, item 6). The real gunicorn on a loopback port, not the test client."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from geo_app.settings import ROOT

SLOW_CLIENTS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, timeout: float = 30) -> float:
    """Seconds until the whole response of a GET has arrived."""
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        assert r.status == 200
        r.read()
    return time.perf_counter() - started


@pytest.fixture()
def served(default_boundaries, tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "NTM_DATABASE": str(tmp_path / "served.sqlite")}
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen([str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                fetch(port, "/static/css/app.css", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
                time.sleep(0.3)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (master and workers)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def dribble(port: int, stop: threading.Event, opened: list) -> None:
    """A client that sends a request's headers one byte every half second and never finishes them."""
    sock = socket.create_connection(("127.0.0.1", port))
    opened.append(sock)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    while not stop.wait(0.5):
        try:
            sock.sendall(b"a")
        except OSError:
            return


def test_normal_requests_answer_within_a_second_while_50_clients_dribble_headers(served):
    port = served
    for _ in range(20):  # every worker loads the data once (first requests may be slow)
        if max(fetch(port, "/api/summary.json") for _ in range(4)) < 1:
            break
    stop, opened = threading.Event(), []
    threads = [threading.Thread(target=dribble, args=(port, stop, opened), daemon=True) for _ in range(SLOW_CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)  # every slow connection is open and sending
        assert len(opened) == SLOW_CLIENTS
        times = [fetch(port, path, timeout=10) for _ in range(5) for path in ("/static/css/app.css",
                                                                             "/api/summary.json")]
        assert max(times) < 1, times
    finally:
        stop.set()
        for sock in opened:
            sock.close()


def test_maps_and_exports_one_after_another_keep_the_workers_alive(served, tmp_path):
    """Each request runs in its own greenlet; the data libraries are imported inside the first of them. A page, then
    drawings that project with pyproj, then pages again: every answer is a 200 and no worker dies (a worker crashed
    with SIGSEGV on the second projection when pyproj was first imported inside a request)."""
    port = served
    for path in ("/?year=2022", "/export/map.png?year=2022", "/export/map.svg?year=2021", "/?year=2021",
                 "/export/map.pdf?year=2023", "/?year=2024&layer=district", "/export/map.png?year=2024&district=829"):
        fetch(port, path, timeout=120)
    log = (tmp_path / "gunicorn.log").read_text()
    assert "SIGSEGV" not in log and "was sent" not in log, log[-2000:]
