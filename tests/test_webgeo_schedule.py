"""The web geometry's work shared between the calling thread and a pool (webgeo._Task): what the pool has not
started when it is needed, the calling thread does itself, with the same result."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from geo_app.render import webgeo


def test_a_task_the_pool_has_not_started_is_done_by_the_thread_that_needs_it():
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        busy = pool.submit(release.wait)  # the pool's only thread is busy
        task = webgeo._Task(pool, lambda x: (x * 2, threading.get_ident()), 21)
        assert task.result() == (42, threading.get_ident())  # done here, not waited for
        assert task.future.cancelled()
        release.set()
        assert busy.result() is True


def test_a_started_task_is_waited_for_and_the_pool_is_helped_meanwhile():
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait()
        return "from the pool", threading.get_ident()

    with ThreadPoolExecutor(max_workers=1) as pool:
        task = webgeo._Task(pool, slow)
        assert started.wait(10)
        queued = [webgeo._Task(pool, lambda k: (k, threading.get_ident()), k) for k in range(3)]

        def finish():  # the pool's task ends once the calling thread has taken the queued ones (or gives up)
            for _ in range(1000):
                if all(q.taken for q in queued):
                    break
                threading.Event().wait(0.01)
            release.set()

        helper = threading.Thread(target=finish)
        helper.start()
        value, ident = task.result(queued)
        helper.join()
        assert value == "from the pool" and ident != threading.get_ident()
        assert [q.result() for q in queued] == [(k, threading.get_ident()) for k in range(3)]


def test_an_error_in_a_task_done_here_is_raised_here():
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(release.wait)
        task = webgeo._Task(pool, lambda: 1 / 0)
        try:
            with pytest.raises(ZeroDivisionError):
                task.result()
        finally:
            release.set()
