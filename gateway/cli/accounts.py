"""``smm-gateway accounts``: the gateway's client accounts (price list, prepaid funds, limits)
and the books behind them, on a running gateway (``--url/--key``: ``ops`` to read, ``admin`` to
change) or straight on the store of a configuration (``--config``).

Amounts are exact decimals in the account's currency (the gateway's base currency); a malformed
one is a usage error (exit 2) in one line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli import amounts
from gateway.cli.accounts_local import LocalAccounts
from gateway.cli.accounts_remote import RemoteAccounts
from gateway.cli.accounts_shape import Terms
from gateway.cli.common import ConfigOption, JsonOption
from gateway.cli.output import console, emit, emit_one, fail
from gateway.cli.remote import KeyOption, RemoteUrlOption

app = typer.Typer(
    help="Client accounts: prices, funds, spend limits, and the books behind them.",
    no_args_is_help=True,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
LIST_COLUMNS = ("id", "name", "state", "currency", "balance", "held", "available",
                "credit_limit", "markup_pct", "min_margin_pct", "daily_cap", "monthly_cap",
                "policy")  # fmt: skip

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")]
Amount = Annotated[
    Decimal,
    typer.Argument(
        metavar="AMOUNT",
        parser=amounts.positive_amount,
        help="How much, in the account's currency.",
    ),
]


def _accounts(config: Path | None, url: str | None, key: str) -> LocalAccounts | RemoteAccounts:
    return RemoteAccounts(url, key) if url else LocalAccounts(config)


def _name(name: str) -> str:
    return name.strip()


def _new_name(name: str) -> str:
    """A new account's name, as the API takes it (it becomes its keys' client id)."""
    cleaned = name.strip()
    if not NAME.match(cleaned):
        raise typer.BadParameter(
            f"{name!r}: an account name has 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            param_hint="'NAME'",
        )
    return cleaned


@app.command()
def create(
    name: NameArgument,
    markup: Annotated[
        Decimal | None,
        typer.Option(
            metavar="PERCENT",
            parser=amounts.markup,
            help="Default markup over the routed provider's cost (default 0).",
        ),
    ] = None,
    min_margin: Annotated[
        Decimal | None,
        typer.Option(
            metavar="PERCENT",
            parser=amounts.margin,
            help="The price never goes below cost plus this (default 0).",
        ),
    ] = None,
    credit_limit: Annotated[
        Decimal | None,
        typer.Option(
            metavar="AMOUNT",
            parser=amounts.limit_amount,
            help="How far below zero orders may take the funds (default: not at all).",
        ),
    ] = None,
    daily_cap: Annotated[
        Decimal | None,
        typer.Option(
            metavar="AMOUNT",
            parser=amounts.positive_amount,
            help="At most this much spent per UTC day.",
        ),
    ] = None,
    monthly_cap: Annotated[
        Decimal | None,
        typer.Option(
            metavar="AMOUNT",
            parser=amounts.positive_amount,
            help="At most this much spent per UTC month.",
        ),
    ] = None,
    low_balance: Annotated[
        Decimal | None,
        typer.Option(
            metavar="AMOUNT",
            parser=amounts.limit_amount,
            help="Announce account.balance_low when the funds fall below this.",
        ),
    ] = None,
    reprice: Annotated[
        bool,
        typer.Option(
            "--reprice",
            help="When a cost rises into the minimum margin, raise the "
            "price to keep it (default: the service becomes unavailable).",
        ),
    ] = False,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Open a client account, with no funds yet (`accounts topup` adds them)."""
    terms = Terms(
        markup=markup if markup is not None else Decimal(0),
        min_margin=min_margin if min_margin is not None else Decimal(0),
        credit_limit=credit_limit, daily_cap=daily_cap, monthly_cap=monthly_cap,
        low_balance=low_balance, reprice=reprice,
    )  # fmt: skip
    name = _new_name(name)
    made = _accounts(config, url, key).create(name, terms)
    emit_one(made, as_json=as_json)
    if not as_json:
        console.print(
            f"Next: smm-gateway accounts topup {name} AMOUNT, and a key for it: "
            f"smm-gateway keys create --name {name} --scope order --account {name}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip


@app.command("list")
def list_accounts(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Every account: state, funds, held, prices and limits."""
    rows = _accounts(config, url, key).every()
    emit(rows, as_json=as_json, title="Accounts", columns=None if as_json else LIST_COLUMNS)


@app.command()
def show(
    name: NameArgument,
    movements: Annotated[
        int, typer.Option(min=1, max=500, help="How many recent movements to show.")
    ] = 20,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """One account, its spend today and this month, and its recent movements.

    Newest first: top-ups, adjustments, holds, charges and refunds.
    """
    row, recent = _accounts(config, url, key).show(_name(name), movements)
    if as_json:
        emit_one({**row, "movements": recent}, as_json=True)
        return
    emit_one(row, as_json=False)
    emit(recent, as_json=False, title="Recent movements",
         columns=("id", "at", "kind", "amount", "order", "reason"))  # fmt: skip


@app.command(context_settings={"ignore_unknown_options": True})  # "-5" is refused, not unknown
def topup(
    name: NameArgument,
    amount: Amount,
    reason: Annotated[str | None, typer.Option(help="Why (a payment reference, say).")] = None,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Add funds the client paid for."""
    moved = _accounts(config, url, key).top_up(_name(name), amount, reason)
    emit_one(moved, as_json=as_json)


@app.command(context_settings={"ignore_unknown_options": True})  # AMOUNT may be negative
def adjust(
    name: NameArgument,
    amount: Annotated[
        Decimal,
        typer.Argument(
            metavar="AMOUNT",
            parser=amounts.nonzero_amount,
            help="Added to the funds; negative to take some back (e.g. -5.00).",
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why: kept with the movement.")],
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Correct an account's funds by hand, with a reason (never refused for the balance: it may
    take the account past its credit limit)."""
    if not reason.strip():
        raise typer.BadParameter("say why", param_hint="'--reason'")
    moved = _accounts(config, url, key).adjust(_name(name), amount, reason.strip())
    emit_one(moved, as_json=as_json)


def _set_state(
    name: str, state: str, config: Path | None, url: str | None, key: str, as_json: bool
) -> None:
    row = _accounts(config, url, key).set_state(_name(name), state)
    if as_json:
        emit_one(row, as_json=True)
    else:
        console.print(f"account {row['name']}: {row['state']}", highlight=False)


@app.command()
def suspend(
    name: NameArgument,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Refuse the account's new orders ("Your account is suspended"); open ones go on."""
    _set_state(name, "suspended", config, url, key, as_json)


@app.command()
def resume(
    name: NameArgument,
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Take a suspended account's orders again."""
    _set_state(name, "active", config, url, key, as_json)


@app.command()
def check(
    config: ConfigOption = None,
    url: RemoteUrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Check the accounts' books; exit 1, naming each problem, when one does not add up.

    Each account's balance and held funds are the sums of its entries, every movement sums to
    zero, a settled order released its hold and an open one still holds its price.
    """
    count, problems = _accounts(config, url, key).check()
    if as_json:
        emit_one({"accounts": count, "problems": problems}, as_json=True)
    elif problems:
        for problem in problems:
            console.print(problem, highlight=False, soft_wrap=True)
    if problems:
        if not as_json:
            fail(f"{len(problems)} problem(s) in the accounts' ledger")
        raise typer.Exit(1)
    if not as_json:
        console.print(f"the accounts' ledger adds up: {count} account(s), every invariant holds")
