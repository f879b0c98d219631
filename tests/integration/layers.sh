#!/usr/bin/env bash
# layers.sh — the boundaries of DESIGN.md hold: tui/ never includes libpq or
# libssh; backend/ never includes curses or a tui/ header. (The Makefile also
# compiles backend/ without -Itui, so a tui header cannot even be found.)
set -u
cd "${DCOPS_ROOT:-$(dirname "$0")/../..}"
bad=0
# backend's ssh/ headers include libssh; tui's own ssh-ui.h is the plain-typed glue.
if grep -nE '#\s*include\s*[<"](libpq-fe|libpq/|libssh/|db\.h|ssh-|ssh/)' tui/*.c tui/*.h | grep -v '"ssh-ui\.h"'; then
	echo "tui/ includes libpq or libssh (above)"; bad=1
fi
if grep -rnE --include='*.[ch]' '#\s*include\s*[<"](n?curses|ncursesw/|app\.h|view|draw\.h|keys\.h|colors\.h)' backend; then
	echo "backend/ includes curses or a tui header (above)"; bad=1
fi
exit $bad
