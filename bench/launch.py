"""Starts one measured program and reports its rusage: `python -S -m bench.launch RESULT -- ARGV`.

Why a launcher: Linux carries the peak RSS of the process that forks across `exec` into the
child's `ru_maxrss`, so a child forked by the harness (which has the CDK and an emulator loaded)
would never report less than the harness's own ~80 MiB. Forked from this stdlib-only process
started with `-S`, a child's peak RSS is exact above ~8 MiB. Writes one JSON object to RESULT.
"""

import json
import os
import sys
import time


def main() -> int:
    result, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        raise SystemExit("usage: python -S -m bench.launch RESULT -- PROGRAM [ARGS...]")
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the program, keeping stdout, stderr and the environment
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    with open(result, "w") as out:
        json.dump(
            {
                "wall_s": wall,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,
                "returncode": os.waitstatus_to_exitcode(status),
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
