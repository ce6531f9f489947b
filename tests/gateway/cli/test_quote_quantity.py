"""A quote's quantity is a whole number from 1: anything else is a usage error in one line
(exit 2) naming the quantity, "-5" included (not "No such option: -5")."""

from __future__ import annotations

import pytest

from gateway.cli import main


@pytest.mark.parametrize("quantity", ["-5", "0", "2147483648"])
def test_a_quantity_out_of_range_is_a_usage_error(
    quantity: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["quote", "45", quantity, "--url", "http://127.0.0.1:24988", "--key", "k"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: Invalid value for 'quantity': "), err
    assert err.count("\n") == 1, err


def test_an_unknown_option_is_still_told(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["quote", "45", "1000", "--bogus", "--url", "http://127.0.0.1:24988"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--bogus" in err, err
