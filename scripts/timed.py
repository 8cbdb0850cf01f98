#!/usr/bin/env python3
"""Runs a command and prints 'WALL_SECONDS CPU_SECONDS' (CPU = user + system
of the command and its children) on stderr's last line; exits with its status.

usage: timed.py COMMAND [ARG...]
"""
import os
import resource
import subprocess
import sys
import time

start = time.monotonic()
status = subprocess.call(sys.argv[1:])
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {usage.ru_utime + usage.ru_stime:.3f}", file=sys.stderr)
sys.exit(status)
