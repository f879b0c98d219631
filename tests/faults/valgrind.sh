#!/usr/bin/env bash
# valgrind.sh — the scripted console session of tests/valgrind/console.sh
# (about 20 s), run with the suite: no invalid accesses, no definite leaks.
exec bash "$DCOPS_ROOT/tests/valgrind/console.sh"
