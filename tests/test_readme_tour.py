"""The README's tour, as written: its code blocks are read from README.md and every command in
them runs, in order, in one shell session against a fresh `smm-gateway demo`, and each answer
is checked. A command the test has no check for fails the test, so a changed README is either
checked or noticed.

What differs from a newcomer's terminal, and only that: the venv the README creates is this
test's own (linked as ``.venv`` in a fresh folder, so ``pip install`` is not repeated), and
port 8080 becomes a free port throughout.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets.sync.client

README = Path(__file__).resolve().parents[1] / "README.md"
SETUP = ["python3 -m venv .venv", 'pip install -e ".[dev]"']
"""The parts of the README's first command this test's environment has already done."""
PATIENCE = 60.0
"""Seconds an "eventually" answer (a webhook, a delivery) may take to show."""
FUNDS = Decimal(100)
MARKUP = Decimal(20)
"""The demo's client account, demo-shop: its funds and its markup (percent)."""


# -- reading the README ------------------------------------------------------------------------


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced code block, in order."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M)]


def shell_commands(body: str) -> list[str]:
    """Commands of a shell block: continuation lines joined, here-documents kept whole,
    comment lines and blank lines left out."""
    lines = body.splitlines()
    found: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command = line
        while command.endswith("\\") and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        heredoc = re.search(r"<<'?(\w+)'?", command)
        if heredoc:
            while i < len(lines):
                command += "\n" + lines[i]
                i += 1
                if lines[i - 1] == heredoc[1]:
                    break
        found.append(command)
    return found


def graphql_operations(body: str) -> list[str]:
    """Each top-level operation of a GraphQL block."""
    operations: list[str] = []
    for line in body.splitlines():
        if re.match(r"(query|mutation|subscription)\b|\{", line):
            operations.append(line)
        elif operations:
            operations[-1] += "\n" + line
    return operations


def trailing_json(command: str) -> Any:
    """The answer a command's comment promises (``# {"order":1}``), if it promises one."""
    found = re.search(r"#\s*(\{.*\})\s*$", command)
    return json.loads(found[1]) if found else None


# -- running it ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Session:
    """One shell session spread over commands: the environment is carried from one to the next."""

    folder: Path
    port: int
    receiver_port: int
    groups: list[int] = field(default_factory=list)

    def localise(self, command: str) -> str:
        return command.replace("127.0.0.1:8080", f"127.0.0.1:{self.port}").replace(
            "127.0.0.1:9999", f"127.0.0.1:{self.receiver_port}"
        )

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        state = self.folder / ".session-env"
        script = self.folder / ".session-command.sh"
        script.write_text(
            f"[ -f {state} ] && . {state}\n{self.localise(command)}\n"
            f"status=$?\nexport -p > {state}\nexit $status\n"
        )
        process = subprocess.Popen(
            ["bash", str(script)], cwd=self.folder, env=clean_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True,
        )  # fmt: skip
        self.groups.append(process.pid)  # its background jobs are stopped with it at the end
        out, err = process.communicate(timeout=120)
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    def variable(self, name: str) -> str:
        done = self.run(f'printf %s "${name}"')
        return done.stdout

    def stop_all(self) -> None:
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)


def clean_env() -> dict[str, str]:
    """A newcomer's environment: none of the gateway's variables set."""
    dropped = ("REDIS_URL", "DATABASE_URL", "VIRTUAL_ENV", "COLUMNS")
    return {
        k: v for k, v in os.environ.items()
        if k not in dropped and not k.startswith("SMM_GATEWAY")
    }  # fmt: skip


@dataclass
class Demo:
    process: subprocess.Popen[str]
    base: str
    output: list[str]
    reader: threading.Thread

    def banner(self) -> str:
        return "\n".join(self.output)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    if sys.prefix == sys.base_prefix:
        pytest.fail("run the tests from the project's venv: the tour activates it")
    (tmp_path / ".venv").symlink_to(sys.prefix)
    running = Session(tmp_path, free_port(), free_port())
    try:
        yield running
    finally:
        running.stop_all()


def start_demo(session: Session, command: str) -> Demo:
    """The README's run command, minus the setup already done, on the session's port."""
    parts = command.split(" && ")
    assert parts[0] == SETUP[0], command
    assert SETUP[1] in parts, command
    rest = [p for p in parts if p not in SETUP]
    assert rest == [". .venv/bin/activate", "smm-gateway demo"], command
    line = " && ".join(rest) + f" --port {session.port}"
    process = subprocess.Popen(
        ["bash", "-c", line], cwd=session.folder, env=clean_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    session.groups.append(process.pid)
    output: list[str] = []
    banner_done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for text in process.stdout:
            output.append(text.rstrip("\n"))
            if text.startswith("Stop with Ctrl-C"):
                banner_done.set()
        banner_done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not banner_done.wait(120) or process.poll() is not None:
        pytest.fail("the demo did not start:\n" + "\n".join(output))
    return Demo(process, f"http://127.0.0.1:{session.port}", output, reader)


class Subscription:
    """The README's subscription, held open (from its place in the tour) on its own thread."""

    def __init__(self, url: str, key: str, query: str) -> None:
        self.received: list[dict[str, Any]] = []
        self.first = threading.Event()
        self.subscribed = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, key, query), daemon=True)
        self._thread.start()

    def _run(self, url: str, key: str, query: str) -> None:
        try:
            with websockets.sync.client.connect(
                url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
            ) as ws:
                ws.send(json.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {key}"}}))  # fmt: skip
                assert json.loads(ws.recv(30))["type"] == "connection_ack"
                ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
                self.subscribed.set()
                while not self._stop.is_set():
                    try:
                        message = json.loads(ws.recv(0.5))
                    except TimeoutError:
                        continue
                    self.received.append(message)
                    self.first.set()
        except BaseException as exc:  # reported by the test's thread
            self.error = exc
            self.first.set()
            self.subscribed.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


# -- the checks ----------------------------------------------------------------------------------


Check = Callable[[subprocess.CompletedProcess[str]], object]


@dataclass
class Tour:
    session: Session
    demo: Demo
    key: str = ""
    shop_key: str = ""

    def services(self) -> dict[int, str]:
        return {int(s["service"]): str(s["name"]) for s in self.v2(self.key, action="services")}

    def v2(self, key: str, **fields: object) -> Any:
        return httpx.post(f"{self.demo.base}/api/v2", data={"key": key, **fields}).json()

    def checks(self) -> list[tuple[str, bool, Check]]:
        """(pattern the command matches, whether its answer may take a while, check)."""
        return [
            (r"^\. \.venv/bin/activate && \. \.smm-gateway-demo/env", False, self.environment),
            (r"key=\$SMM_GATEWAY_KEY -d action=services \| head -c", False, self.v2_services),
            (r"action=add .*service=(\d+)", False, self.v2_add),
            (r"action=status -d order=1$", False, self.v2_status),
            (r"key=\$SMM_GATEWAY_KEY -d action=balance$", False, self.v2_balance),
            (r"^curl -s http://127\.0\.0\.1:8080/graphql", False, self.graphql_services),
            (r"^smm-gateway webhooks add http://127\.0\.0\.1:9999/", False, self.webhook_added),
            (r"^cat > receiver\.py <<", False, self.receiver_written),
            (r"^python3 receiver\.py .*&$", False, self.receiver_listens),
            (r"^cat events\.log", True, self.webhook_received),
            (r"^smm-gateway webhooks deliveries 1", True, self.delivered),
            (r"^smm-gateway providers", False, self.providers),
            (r'^smm-gateway services search "instagram followers"', False, self.search),
            (r"^smm-gateway quote 45 1000", False, self.quote),
            (r"^smm-gateway orders list --json", False, self.orders),
            (r"^smm-gateway keys create --name shop --scope order", False, self.key_made),
            (r"key=\$SHOP_KEY -d action=balance\b", False, self.shop_balance),
            (r"key=\$SHOP_KEY -d action=services \| head -c", False, self.shop_services),
            (r"^smm-gateway accounts show demo-shop", False, self.shop_books),
            (r"^smm-gateway accounts create acme ", False, self.account_made),
            (r"^smm-gateway accounts topup acme 25 ", False, self.account_funded),
            (r"^smm-gateway keys create --name acme-web .*--account acme", False, self.acme_key),
            (r"^smm-gateway accounts check", False, self.books_add_up),
        ]

    def environment(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        kept = (self.session.folder / ".smm-gateway-demo" / "demo-key").read_text().strip()
        assert self.session.variable("SMM_GATEWAY_KEY") == kept
        assert self.session.variable("SMM_GATEWAY_URL") == self.demo.base
        found = Path(shutil_which(self.session, "smm-gateway"))
        assert found.resolve().parent == Path(sys.prefix).resolve() / "bin", found
        self.key = kept
        assert f"export SMM_GATEWAY_URL={self.demo.base} SMM_GATEWAY_KEY={kept}" in (
            self.demo.banner()
        ), "the banner prints the line to export"
        shop = (self.session.folder / ".smm-gateway-demo" / "shop-key").read_text().strip()
        assert self.session.variable("SHOP_KEY") == shop
        assert f"export SHOP_KEY={shop}" in self.demo.banner(), "and the shop's key"
        self.shop_key = shop

    def v2_services(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        assert done.stdout.startswith('[{"service":'), done.stdout
        assert len(done.stdout.encode()) == 300

    def v2_add(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        command = str(done.args)
        service = int(re.findall(r"service=(\d+)", command)[0])
        link = re.findall(r"link=https://(\w+)\.com/", command)[0]
        name = self.services()[service]
        assert link.lower() in name.lower(), f"service {service} is {name!r}, not {link}"
        assert json.loads(done.stdout) == trailing_json(command), done.stdout

    def v2_status(self, done: subprocess.CompletedProcess[str]) -> None:
        answer = json.loads(ok(done))
        assert answer["status"] in ("Pending", "In progress", "Completed"), answer
        assert answer["currency"] == "USD"

    def v2_balance(self, done: subprocess.CompletedProcess[str]) -> None:
        answer = json.loads(ok(done))
        assert answer["currency"] == "USD"
        assert float(answer["balance"]) > 0

    def graphql_services(self, done: subprocess.CompletedProcess[str]) -> None:
        answer = json.loads(ok(done))
        assert "errors" not in answer, answer
        assert len(answer["data"]["services"]["edges"]) == 3

    def webhook_added(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        made = json.loads((self.session.folder / "hook.json").read_text())
        assert made["id"] == 1
        assert made["secret"].startswith("whsec_")

    def receiver_written(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        assert "hook.verify(" in (self.session.folder / "receiver.py").read_text()

    def receiver_listens(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        deadline = time.monotonic() + PATIENCE
        while True:  # it runs in the background: wait until it listens, as a reader would see
            try:
                socket.create_connection(("127.0.0.1", self.session.receiver_port), 1).close()
                return
            except OSError:
                log = (self.session.folder / "events.log").read_text()
                assert time.monotonic() < deadline, f"the receiver did not listen:\n{log}"
                time.sleep(0.1)

    def webhook_received(self, done: subprocess.CompletedProcess[str]) -> None:
        # What the README says it shows, and only that (no request log of the receiver's).
        assert ok(done).splitlines() == ["order.created order 3"], done.stdout

    def delivered(self, done: subprocess.CompletedProcess[str]) -> None:
        assert re.search(r"│ delivered +│ 1 +│ 204 ", ok(done)), done.stdout

    def providers(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        for name in ("alpha", "beta", "gamma"):
            assert re.search(rf"│ {name} +│ CLOSED", out), out

    def search(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        assert re.search(r"│ 45 +│ Instagram Followers - Refill 30d ", out), out
        rates = re.findall(r"│ (\d+\.\d+) +│", out)
        assert rates
        assert all(float(r) <= 1.5 for r in rates), rates

    def quote(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        assert "Quote for service 45" in out
        assert re.search(r"│ 1 +│ (alpha|beta|gamma) ", out), out

    def orders(self, done: subprocess.CompletedProcess[str]) -> None:
        listed = json.loads(ok(done))
        assert sorted(o["id"] for o in listed) == [1, 2, 3]
        assert {o["service"] for o in listed} == {45}

    def key_made(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        secret = re.findall(r"(smmgw_[A-Za-z0-9_-]+)", out)
        assert secret, out
        answer = httpx.post(f"{self.demo.base}/api/v2",
                            data={"key": secret[0], "action": "services"}).json()  # fmt: skip
        assert isinstance(answer, list), "the new key works on the running demo"

    def shop_balance(self, done: subprocess.CompletedProcess[str]) -> None:
        answer = json.loads(ok(done))
        assert (Decimal(answer["balance"]), answer["currency"]) == (FUNDS, "USD"), answer

    def shop_services(self, done: subprocess.CompletedProcess[str]) -> None:
        ok(done)
        assert done.stdout.startswith('[{"service":'), done.stdout
        assert len(done.stdout.encode()) == 300
        operator = {s["service"]: Decimal(s["rate"]) for s in self.v2(self.key, action="services")}
        shop = {s["service"]: Decimal(s["rate"]) for s in self.v2(self.shop_key, action="services")}
        assert shop.keys() == operator.keys()
        for service, rate in shop.items():
            marked_up = (operator[service] * (1 + MARKUP / 100)).quantize(
                Decimal("0.0001"), rounding=ROUND_CEILING
            )
            assert rate == marked_up, (service, operator[service], rate)
        # The README's example of one rate is the demo's.
        [(before, after)] = re.findall(r"service 1: ([\d.]+) becomes ([\d.]+)", README.read_text())
        assert (operator[1], shop[1]) == (Decimal(before), Decimal(after))

    def shop_books(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        [hold] = re.findall(r"│ \d+ +│ \S+ +│ hold +│ -(\d+\.\d+) +│ 4 +│", out) or [out]
        [balance] = re.findall(r"│ balance +│ (\d+\.\d+) +│", out)
        assert Decimal(balance) == FUNDS - Decimal(hold), out
        assert re.search(r"│ \d+ +│ \S+ +│ topup +│ 100\.00 +│", out), out

    def account_made(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        for name, value in (("name", "acme"), ("markup pct", "30"), ("min margin pct", "10"),
                             ("daily cap", "50.00"), ("balance", "0.00")):  # fmt: skip
            assert re.search(rf"│ {name} +│ {re.escape(value)} +│", out), (name, out)

    def account_funded(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        assert re.search(r"│ balance +│ 25\.00 +│", out), out
        assert re.search(r"│ reason +│ invoice 1001 +│", out), out

    def acme_key(self, done: subprocess.CompletedProcess[str]) -> None:
        out = ok(done)
        assert re.search(r"│ account +│ acme +│", out), out
        [secret] = re.findall(r"(smmgw_[A-Za-z0-9_-]+)", out)
        answer = self.v2(secret, action="balance")
        assert (Decimal(answer["balance"]), answer["currency"]) == (Decimal(25), "USD"), answer

    def books_add_up(self, done: subprocess.CompletedProcess[str]) -> None:
        assert "every invariant holds" in ok(done), done.stdout


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}\nexit {done.returncode}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def shutil_which(session: Session, program: str) -> str:
    return session.run(f"command -v {shlex.quote(program)}").stdout.strip()


def run_checked(tour: Tour, command: str) -> str:
    """Run `command` and check its answer; the pattern of the check that passed."""
    matching = [(pattern, slow, check) for pattern, slow, check in tour.checks()
                if re.search(pattern, command, re.M)]  # fmt: skip
    assert len(matching) == 1, f"no single check for this README command:\n{command}"
    [(pattern, slow, check)] = matching
    deadline = time.monotonic() + (PATIENCE if slow else 0)
    while True:
        done = tour.session.run(command)
        try:
            check(done)
            return pattern
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)  # the answer arrives on its own: ask again, as a reader would


def run_graphql(tour: Tour, operation: str, held: list[Subscription]) -> None:
    if operation.startswith("subscription"):
        url = tour.demo.base.replace("http://", "ws://") + "/graphql"
        held.append(Subscription(url, tour.key, operation))
        assert held[-1].subscribed.wait(30)
        return
    headers = {"Authorization": f"Bearer {tour.key}"}
    answer = httpx.post(
        f"{tour.demo.base}/graphql", json={"query": operation}, headers=headers, timeout=30
    ).json()
    assert "errors" not in answer, answer
    [(name, result)] = answer["data"].items()
    assert name == "placeOrder"
    assert result["__typename"] == "PlaceOrderSuccess", result
    assert result["order"]["id"] == 2
    assert result["order"]["cost"]["currency"] == "USD"


def test_the_readme_tour_runs_as_written(session: Session) -> None:
    text = README.read_text()
    first = shell_commands(blocks(section(text, "The two commands"))[0][1])
    [run_line] = [c for c in first if "smm-gateway demo" in c]
    demo = start_demo(session, run_line)
    tour = Tour(session, demo)
    held: list[Subscription] = []
    used: set[str] = set()
    operations = 0
    try:
        for language, body in blocks(section(text, "A tour of the demo")):
            if language == "graphql":
                for operation in graphql_operations(body):
                    run_graphql(tour, operation, held)
                    operations += 1
                continue
            assert language == "sh", f"a {language!r} block in the tour"
            for command in shell_commands(body):
                used.add(run_checked(tour, command))
        assert used == {pattern for pattern, _, _ in tour.checks()}, "every check had its command"
        assert operations == 2, "the mutation and the subscription"
        assert held, "the tour's subscription ran"
        assert held[0].first.wait(PATIENCE), "the subscription saw the tour's later orders"
        assert held[0].error is None, held[0].error
        event = held[0].received[0]
        assert event["type"] == "next", event
        assert event["payload"]["data"]["orderUpdated"]["order"]["id"] in (1, 2, 3)
    finally:
        for subscription in held:
            subscription.close()
        os.killpg(demo.process.pid, signal.SIGINT)
        demo.process.wait(30)
        demo.reader.join(10)
        if demo.process.stdout is not None:
            demo.process.stdout.close()
    assert demo.process.returncode == 0, demo.banner()
    assert "Traceback" not in demo.banner(), demo.banner()
