#!/usr/bin/env python3
"""Compare whole-process wall times of commands, run interleaved.

    scripts/ab.py RUNS DIR -- 'CMD A' 'CMD B' ...

Each round runs every command once, in turn, in DIR; a command may start with
VAR=value assignments. Prints the median and quartiles of each. Interleaving
matters on a shared VM whose speed drifts by tens of percent over minutes:
two builds measured minutes apart are not comparable, two builds measured in
turn are. Example:

    scripts/ab.py 150 . -- 'target/release/devgen check' '/tmp/old-devgen check'

With --fresh DIR (before RUNS), DIR is deleted before each run, outside the
clock: for renders from scratch into `--out DIR`, e.g. the 200 x 12 project
(each binary on its own copy of it):

    scripts/ab.py --fresh /dev/shm/out 31 . -- \
      '/tmp/old-devgen -C /dev/shm/p-old render --target compose --target tfvars --target k8s --out /dev/shm/out' \
      'target/release/devgen -C /dev/shm/p-new render --target compose --target tfvars --target k8s --out /dev/shm/out'
"""
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    args, fresh = sys.argv[1:], None
    if args[:1] == ["--fresh"] and len(args) > 1:
        fresh, args = args[1], args[2:]
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    runs, cwd, cmds = int(args[0]), args[1], args[3:]
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
            if fresh:
                shutil.rmtree(fresh, ignore_errors=True)
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
