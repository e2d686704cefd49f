"""The console script `hostaudit`: the process around the CLI (exit codes of I/O errors, teardown), and `--help`
answered from the pages typer rendered at build time.

`hostaudit/help_pages.py` holds typer's own help of every command, rendered by `scripts/render_help.py` at the width
a terminal of at least `help_pages.COLUMNS` columns gets; tests/unit/test_help_pages.py holds each page equal to what
typer prints. A page is used only where typer would print exactly it (`[COMMAND ...] --help`, a wide enough terminal,
no completion request); anything else goes to typer (`hostaudit.cli`), which is what makes `--help` cost no more than
the interpreter's start.
"""

import gc
import os
import sys

# typer renders differently while answering a completion request, or with its shell detection switched off
TYPER_SWITCHES = ("_HOSTAUDIT_COMPLETE", "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION")


def rendered_help(argv: list[str]) -> str | None:
    """The stored help page that typer would print for `argv` (without the program name), or None."""
    if argv[-1:] != ["--help"] or any(name in os.environ for name in TYPER_SWITCHES):
        return None
    from hostaudit import help_pages

    page = help_pages.PAGES.get(" ".join(argv[:-1]))
    if page is None:
        return None
    return page if terminal_columns() >= help_pages.COLUMNS else None


def terminal_columns() -> int:
    """The width click's help formatter starts from, as `shutil.get_terminal_size` gives it ($COLUMNS when positive,
    else stdout's terminal, else 80), without the 18 ms of modules `shutil` imports."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _io_error(exc: OSError) -> str:
    """One line for an I/O failure: the path (when known) and the system's reason."""
    from hostaudit.sanitize import terminal as clean

    where = f"{exc.filename}: " if exc.filename else ""
    return f"hostaudit: I/O error: {clean(where)}{exc.strerror or clean(str(exc))}"


def main() -> None:
    """The console script: exit 3 with one line on any I/O error (missing directory, read-only or full disk)."""
    # An audit builds objects that nearly all live to its end, in trees (JSON values, frozen dataclasses) that
    # reference counting frees: the cyclic collector only traversed them again and again (0.09 s of a
    # 1000-container audit even with thresholds of 50,000; 6-12 % of its CPU with the defaults), same peak RSS.
    gc.disable()
    try:
        argv = sys.argv[1:]
        page = rendered_help(argv)
        if page is None:
            from hostaudit.cli import run

            code = run(argv)
        else:
            sys.stdout.write(page)
            code = 0
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError as exc:
        # the reader left (`hostaudit audit | head -c 10`, or a FIFO --output's): the output is incomplete, an I/O
        # error like a full disk; stdout goes to /dev/null so that the interpreter's exit does not try it again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(_io_error(exc) if exc.filename else "hostaudit: I/O error: stdout: the reader closed the pipe before "
              "the output was complete", file=sys.stderr, flush=True)
        code = 3
    except OSError as exc:
        print(_io_error(exc), file=sys.stderr, flush=True)
        code = 3
    except KeyboardInterrupt:
        print("hostaudit: aborted", file=sys.stderr, flush=True)
        code = 1
    # Done: every file is written and closed, the output flushed. A collector left past its deadline may still run
    # in a thread, and the interpreter's exit would wait for the workers of its pool: the process ends them at once,
    # on an error too. The interpreter's exit would also free the audit's objects one by one (over a million at 1000
    # containers: 0.15-0.3 s of teardown for nothing); the kernel takes them back at once.
    os._exit(code)
