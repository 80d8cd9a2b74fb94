"""The ``xling`` console command: :func:`~.group.main`, then a quick exit.

After a model run the interpreter spends about 2 s tearing down torch's and the other libraries'
objects one by one before the process ends. Once the command is done nothing needs that: what a
normal exit does first still happens, in its order (threads still working are waited for, then the
exit handlers run: temporary files, worker shutdown), output is flushed, and the process ends with
the command's exit code.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading

from .group import main


def exit_code(code: object) -> int:
    """``SystemExit.code`` as a process exit status (a message is printed and gives 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def entry() -> None:
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    threading._shutdown()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say
            pass
    os._exit(code)
