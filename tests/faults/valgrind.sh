#!/usr/bin/env bash
# valgrind.sh — the scripted console session of tests/valgrind/console.sh
# (about 20 s), run with the suite: no invalid accesses, no definite leaks.
# valgrind cannot run an ASan binary; the sanitizer build checks the same
# session for leaks and invalid accesses itself.
if [ -n "${SANITIZE:-}" ]; then
	echo "skipped: SANITIZE build (ASan does the checking)"
	exit 77
fi
exec bash "$DCOPS_ROOT/tests/valgrind/console.sh"
