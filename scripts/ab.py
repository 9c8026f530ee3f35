#!/usr/bin/env python3
"""Compare whole-process wall times of commands, run interleaved.

    scripts/ab.py RUNS DIR -- 'CMD A' 'CMD B' ...

Each round runs every command once, in turn, in DIR; a command may start with
VAR=value assignments. Prints the median and quartiles of each. Interleaving
matters on a shared VM whose speed drifts by tens of percent over minutes:
two builds measured minutes apart are not comparable, two builds measured in
turn are. Example:

    scripts/ab.py 150 . -- 'target/release/devgen check' '/tmp/old-devgen check'
"""
import os
import shlex
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    runs, cwd, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
    plans = []
    for c in cmds:
        env, argv = dict(os.environ), shlex.split(c)
        while argv and "=" in argv[0] and not argv[0].startswith("-"):
            k, v = argv.pop(0).split("=", 1)
            env[k] = v
        plans.append((argv, env))
    times = [[] for _ in cmds]
    for _ in range(runs):
        for i, (argv, env) in enumerate(plans):
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            times[i].append((time.perf_counter() - start) * 1e3)
    for c, t in zip(cmds, times):
        t.sort()
        print(f"median {statistics.median(t):8.2f}  p25 {t[len(t) // 4]:8.2f}  "
              f"p75 {t[3 * len(t) // 4]:8.2f} ms  {c}")


if __name__ == "__main__":
    main()
