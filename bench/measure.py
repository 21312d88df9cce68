#!/usr/bin/env python3
"""Run one command and print its wall time and peak memory: "<seconds> <max RSS KiB> <exit code>".

usage: measure.py [--log FILE] [--cwd DIR] -- COMMAND [ARG]...

The command's stdout and stderr go to FILE (default /dev/null). The peak RSS is
resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after the wait: on Linux the largest of every
process in the command's tree that was waited for (a pipeline's or xargs' largest process, not
their sum). One command per invocation, so no earlier child can raise it. measure.py exits 0
whatever the command's exit code; the caller checks the third field.
"""
import resource
import subprocess
import sys
import time


def main(argv):
    log, cwd = "/dev/null", None
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--log":
            log = argv.pop(0)
        elif opt == "--cwd":
            cwd = argv.pop(0)
        else:
            sys.exit(f"measure.py: unknown option {opt}")
    if not argv or argv[0] != "--" or len(argv) < 2:
        sys.exit("usage: measure.py [--log FILE] [--cwd DIR] -- COMMAND [ARG]...")
    cmd = argv[1:]
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=cwd)
        code = proc.wait()
        wall = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(f"{wall:.4f} {rss_kib} {code}")


if __name__ == "__main__":
    main(sys.argv[1:])
