"""Helpers for the cache tests: a fake clock, a recording compute, a private redis-server, a
silent server, Redis's own clock."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import redis.asyncio as redis

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    """Wall-clock time that moves only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """A compute function that counts its calls, optionally slow, gated or failing."""

    def __init__(
        self,
        value: bytes,
        *,
        delay: float = 0.0,
        gate: asyncio.Event | None = None,
        error: Exception | None = None,
    ) -> None:
        self.value = value
        self.delay = delay
        self.gate = gate
        self.error = error
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value


def unique_namespace() -> str:
    return f"smmgw-test-{uuid.uuid4().hex}"


async def purge(namespace: str) -> None:
    """Delete every key a test left under `namespace` on the shared Redis."""
    async with redis.Redis.from_url(REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)


class RedisServer:
    """A private redis-server on a free loopback port that a test may kill and restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = self.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): its connections stay open and nothing answers, as when
        a network drops packets without a reset."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)


async def redis_now_ms(client: redis.Redis) -> int:
    """Redis's own clock, in milliseconds (what its expiry times are measured by)."""
    seconds, micros = await client.time()
    return int(seconds) * 1000 + int(micros) // 1000


class Silent:
    """A loopback server that accepts connections and never answers; `connections` counts
    them. ``with Silent() as s: RedisCache(s.url, ...)``."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"redis://127.0.0.1:{self._socket.getsockname()[1]}/0"
        self._accepted: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._accepted)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._accepted.append(conn)

    def __enter__(self) -> Silent:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join()
        with self._lock:
            for conn in self._accepted:
                conn.close()
