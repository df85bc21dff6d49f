"""The connector's `run()` under cProfile, started once its imports are done.

`python -m bench.profiled DUMP read --config ... --catalog ...`. Start-up has a section of its own
(3. Start-up); profiling it too would make a small read's profile almost all import machinery.
The list's windows are read on the CDK's worker threads: each thread gets a profile of its own,
and the dump adds them up, so a phase's time is summed over the threads that spent it.
"""

import cProfile
import pstats
import sys
import threading

from source_tiktok_organic.run import run

THREAD_PROFILES: list[cProfile.Profile] = []
_plain_run = threading.Thread.run


def _profiled_run(thread: threading.Thread) -> None:
    profile = cProfile.Profile()
    THREAD_PROFILES.append(profile)  # list.append is atomic
    profile.runcall(_plain_run, thread)


def main() -> None:
    dump, *argv = sys.argv[1:]
    sys.argv = [sys.argv[0], *argv]
    threading.Thread.run = _profiled_run  # type: ignore[assignment,method-assign]
    main_profile = cProfile.Profile()
    main_profile.runcall(run)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    stats = pstats.Stats(main_profile)
    for profile in THREAD_PROFILES:
        stats.add(profile)
    stats.dump_stats(dump)


if __name__ == "__main__":
    main()
