"""The ``smm-gateway`` command: run the gateway, its workers and the demo; operate it.

Exit codes: 0 success, 1 a failure the message explains, 2 a usage error, 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from gateway.cli import accounts, keys, ops, providers, quality, run, webhooks
from gateway.cli.helptext import reflow_help
from gateway.cli.output import fail
from gateway.cli.usage import ClickException, UsageError, one_line
from gateway.config import ConfigError
from gateway.orders import OrderError

app = typer.Typer(
    name="smm-gateway",
    help="One gateway in front of many SMM panels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
run.register(app)
providers.register(app)
ops.register(app)
app.add_typer(accounts.app, name="accounts")
app.add_typer(keys.app, name="keys")
app.add_typer(quality.app, name="quality")
app.add_typer(webhooks.app, name="webhooks")
reflow_help(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; `--debug` anywhere shows the full trace of a failure."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        # Not standalone: a usage error comes here, to be told in one line (the parser's own
        # way is its usage, a hint and a box); `typer.Exit(n)` and --help come back as codes.
        done = app(args=args, prog_name="smm-gateway", standalone_mode=False)
    except UsageError as exc:
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
            fail(one_line(exc.format_message()))
        return 2
    except ClickException as exc:
        fail(one_line(exc.format_message()))
        return exc.exit_code
    except typer.Abort:
        fail("aborted")
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except (ConfigError, OrderError, ValueError) as exc:
        if debug:
            raise
        fail(str(exc))
        return 1
    except Exception as exc:
        if debug:
            raise
        fail(f"{type(exc).__name__}: {exc} (run again with --debug for the trace)")
        return 1
    return done if isinstance(done, int) else 0


def entry_point() -> None:
    sys.exit(main())
