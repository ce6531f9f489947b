from gateway.health import BreakerState, HealthBoard


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures() -> None:
    clock = FakeClock()
    board = HealthBoard(threshold=3, cooldown=30, clock=clock)
    assert not board.failure("p", "boom")
    assert not board.failure("p", "boom")
    assert board.available("p")
    assert board.failure("p", "boom"), "the failure that opens the breaker says so"
    assert not board.failure("p", "boom"), "only once"
    assert board.state("p") is BreakerState.OPEN
    assert not board.available("p")
    report = board.report("p")
    assert report.consecutive_failures == 4
    assert report.cooldown_remaining == 30
    assert report.last_error == "boom"


def test_success_resets_the_count() -> None:
    board = HealthBoard(threshold=2, clock=FakeClock())
    board.failure("p", "x")
    board.success("p")
    board.failure("p", "x")
    assert board.state("p") is BreakerState.CLOSED


def test_half_open_lets_one_probe_through() -> None:
    clock = FakeClock()
    board = HealthBoard(threshold=1, cooldown=10, clock=clock)
    board.failure("p", "x")
    clock.now += 10
    assert board.state("p") is BreakerState.HALF_OPEN
    assert board.acquire("p")
    assert not board.acquire("p"), "a second caller must wait for the probe"
    board.success("p")
    assert board.state("p") is BreakerState.CLOSED


def test_failed_probe_doubles_the_cooldown() -> None:
    clock = FakeClock()
    board = HealthBoard(threshold=1, cooldown=10, max_cooldown=15, clock=clock)
    board.failure("p", "x")
    clock.now += 10
    assert board.acquire("p")
    board.failure("p", "again")
    assert board.state("p") is BreakerState.OPEN
    assert board.report("p").cooldown_remaining == 15
