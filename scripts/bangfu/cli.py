"""The ``bangfu`` command line: options are parsed into a Config, then the same functions the
tests call do the work. Exit codes: 0 valid, 1 findings of severity error, or a failure of the
system (a full disk: the output could not all be written), said in one line that names no
path; 2 usage error; 141 (128 + SIGPIPE, as a shell reports a program ended by it) the output
could not all be written: its reader left (``bangfu check | head``). Never 0 then: the report
is not whole."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from . import __version__
from .config import Config, PublishRefused, UsageError
from .writes import WriteError

BROKEN_PIPE = 141  # exit code: the output's reader left before it was all written

AddArgs = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, AddArgs, Run]] = {}

# The order of the sub-commands in ``bangfu --help`` and in the README's command reference,
# grouped as a user meets them: the records (check, tidy, write, fill in by spreadsheet, follow
# up), then what is published, then review of changes, then the maintainers' tools. Every
# registered command must be listed here (``build_parser`` refuses otherwise).
COMMAND_ORDER: tuple[str, ...] = (
    # records
    "check",
    "fmt",
    "new",
    "template",
    "import",
    "export-forms",
    "status",
    "encrypt",
    "keys",
    # publishing
    "site",
    "export",
    "merge",
    "changelog",
    # reviewing changes
    "review",
    "codeowners",
    "cms",
    # tools
    "demo",
    "docs",
    "bench",
)


def command(name: str, help_text: str, add_args: AddArgs) -> Callable[[Run], Run]:
    """Register a sub-command: ``add_args(parser)`` and ``run(args) -> exit code``."""

    def deco(fn: Run) -> Run:
        COMMANDS[name] = (help_text, add_args, fn)
        return fn

    return deco


def common(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("--data", default="data", help="数据文件夹（默认 data）")
    p.add_argument(
        "--schemas", default=None, help="schemas 文件夹（默认：数据文件夹旁的 schemas/）"
    )
    if as_of:
        p.add_argument(
            "--as-of",
            default=None,
            metavar="YYYY-MM-DD",
            help="把这一天当作“今天”（也可设环境变量 BANGFU_AS_OF）",
        )


def config(args) -> Config:
    return Config.make(args.data, args.schemas, getattr(args, "as_of", None))


def build_parser() -> argparse.ArgumentParser:
    from . import commands  # noqa: F401  (registers the sub-commands)

    parser = argparse.ArgumentParser(
        prog="bangfu", description="结对帮扶公开台账：检查记录、生成公开网站和开放数据。"
    )
    parser.add_argument("--version", action="version", version=f"bangfu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    if set(COMMANDS) != set(COMMAND_ORDER) or len(COMMAND_ORDER) != len(set(COMMAND_ORDER)):
        raise RuntimeError(  # a programming error: a new command needs its place in the order
            f"COMMAND_ORDER {COMMAND_ORDER} does not list the commands {sorted(COMMANDS)} once each"
        )
    for name in COMMAND_ORDER:
        help_text, add_args, _ = COMMANDS[name]
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    run = COMMANDS[args.command][2]
    try:
        return run(args)
    except UsageError as exc:
        print(f"bangfu {args.command}: {exc}", file=sys.stderr)
        return 2
    except PublishRefused as exc:
        print(f"bangfu {args.command}: {exc}", file=sys.stderr)
        return 1
    except WriteError as exc:  # a full disk, a locked data folder…: findings, not a traceback
        from .render import text

        sys.stdout.write(text(exc.findings, 0))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader left: the report is not whole (see the module text)
        return BROKEN_PIPE
    except OSError as exc:  # the output could not be written (a full disk…), or another
        # failure of the system the command did not turn into findings: one line, no path
        _say(f"bangfu {args.command}：系统错误，未能完成：{exc.strerror or type(exc).__name__}")
        return 1


def _say(line: str) -> None:
    """One line to standard error, written directly (``sys.stderr`` may be what failed)."""
    with contextlib.suppress(OSError):
        os.write(2, f"{line}\n".encode())


def entry() -> NoReturn:
    """The ``bangfu`` program (its console script and ``python -m bangfu``): ``main``, then the
    process ends at once, its output written, without freeing what the command ``kept``
    (``collector``). An exception or ``SystemExit`` (``--help``, a usage error of argparse)
    leaves as ever."""
    from .collector import ends_unfreed

    ends_unfreed()
    # a descriptor closed by the caller (``>&-``): Python gives None; its output goes nowhere
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 — to the end
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 — to the end
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader left before the last of the output
            code = BROKEN_PIPE
        except OSError as exc:  # a full disk…: the output is not whole either
            code = code or 1
            _say(f"bangfu：输出未能全部写出：{exc.strerror or type(exc).__name__}")
    stop_children()
    os._exit(code)


def stop_children() -> None:
    """A child still running at the end (a Ctrl-C that came between its start and the code
    that would have stopped it) is stopped: ``os._exit`` skips ``multiprocessing``'s own
    stopping of them at exit."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    for child in mp.active_children():
        child.terminate()


if __name__ == "__main__":  # pragma: no cover
    entry()
