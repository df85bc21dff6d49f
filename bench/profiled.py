"""The connector's `run()` under cProfile, started once its imports are done.

`python -m bench.profiled DUMP read --config ... --catalog ...`. Start-up has a section of its own
(3. Start-up); profiling it too would make a small read's profile almost all import machinery.
"""

import cProfile
import sys

from source_tiktok_organic.run import run


def main() -> None:
    dump, *argv = sys.argv[1:]
    sys.argv = [sys.argv[0], *argv]
    cProfile.runctx("run()", {"run": run}, {}, dump)


if __name__ == "__main__":
    main()
