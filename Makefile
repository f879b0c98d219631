# dcops — build, test, demo. See README.md.
#
#   make            build bin: $(BUILD)/bin/dcops and $(BUILD)/bin/dcopsd
#   make deps       install missing Debian packages (sudo when not root)
#   make check      deps (and the test-only ones) + build + every test (SANITIZE=1: ASan + UBSan build)
#   make demo       deps + build + the embedded Gwangju data center + console
#                   (SITES=2: and the Pangyo interim cluster, a second site)
#   make bench      benchmarks; figures go to BENCHMARKS.md
#   make install    PREFIX=/usr/local (binaries, SQL, themes, man pages)

PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
BUILD    ?= build$(if $(SANITIZE),/san,)

PKGS := ncursesw libssh libpq libcjson libcurl
CC   ?= cc
# ncursesw's pkg-config asks for _XOPEN_SOURCE=600; we set 700 ourselves.
PKG_CFLAGS := $(filter-out -D_XOPEN_SOURCE=% -D_DEFAULT_SOURCE,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
# backend/ sees only backend/: the compiler enforces that it never includes tui/.
CPPFLAGS += -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -Ibackend $(PKG_CFLAGS)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm
ifneq ($(SANITIZE),)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

BACKEND_SRC := $(filter-out backend/adapter/dcopsd.c,$(wildcard backend/*.c backend/ssh/*.c backend/relay/*.c backend/adapter/*.c backend/adapter/*/*.c))
TUI_SRC     := $(filter-out tui/main.c,$(wildcard tui/*.c))
BACKEND_OBJ := $(BACKEND_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ     := $(TUI_SRC:%.c=$(BUILD)/%.o)
LIB_BACKEND := $(BUILD)/libdcops.a
LIB_TUI     := $(BUILD)/libdcops-tui.a
DCOPS       := $(BUILD)/bin/dcops
DCOPSD      := $(BUILD)/bin/dcopsd
TEST_SRC    := $(wildcard tests/unit/test_*.c tests/integration/test_*.c tests/faults/test_*.c)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-check check demo demo-stop bench install uninstall clean distclean tests
all: $(DCOPS) $(DCOPSD)

$(BUILD)/backend/%.o: backend/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
$(BUILD)/tui/%.o: tui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itui $(CFLAGS) -c -o $@ $<

$(LIB_BACKEND): $(BACKEND_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_TUI): $(TUI_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DCOPS): $(BUILD)/tui/main.o $(LIB_TUI) $(LIB_BACKEND)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(DCOPSD): $(BUILD)/backend/adapter/dcopsd.o $(LIB_BACKEND)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB_TUI) $(LIB_BACKEND)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itui -Itests/lib $(CFLAGS) -c -o $@ $<

BENCH_BIN := $(BUILD)/bench/console $(BUILD)/bench/consoles $(BUILD)/bench/telemetry
$(BUILD)/bench/%: tests/bench/%.c $(LIB_BACKEND)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS) -lutil

tests: all $(TEST_BIN) $(BENCH_BIN)

# Debian packages dcops needs to build, test and run its demo.
DEB_PKGS := make gcc pkg-config libncurses-dev libssh-dev libpq-dev libcjson-dev \
            libcmocka-dev libcurl4-openssl-dev postgresql postgresql-contrib openssh-server openssh-client \
            tmux procps jq valgrind
# And those only the tests need: a real Slurm cluster (tests/lib/slurm.sh)
# and a real Prometheus (tests/lib/prom.sh).
DEB_PKGS_CHECK := slurm-wlm slurmdbd munge mariadb-server prometheus
deps:
	@BUILD=$(BUILD) sh tests/lib/deps.sh $(DEB_PKGS)
deps-check:
	@BUILD=$(BUILD) sh tests/lib/deps.sh $(DEB_PKGS) $(DEB_PKGS_CHECK)

check: deps-check
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@$(DCOPS) demo $(if $(SITES),--sites $(SITES))

demo-stop:
	@$(DCOPS) demo --stop

bench: deps-check
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) bash tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dcops/backend/sql \
	    $(DESTDIR)$(PREFIX)/share/dcops/backend/seed $(DESTDIR)$(PREFIX)/share/dcops/themes \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(DCOPS) $(DCOPSD) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 backend/sql/*.sql $(DESTDIR)$(PREFIX)/share/dcops/backend/sql/
	install -m 644 backend/seed/*.json $(DESTDIR)$(PREFIX)/share/dcops/backend/seed/
	install -d $(DESTDIR)$(PREFIX)/share/dcops/backend/remedy && install -m 644 backend/remedy/*.json $(DESTDIR)$(PREFIX)/share/dcops/backend/remedy/
	install -m 644 themes/*.json $(DESTDIR)$(PREFIX)/share/dcops/themes/
	install -d $(DESTDIR)$(PREFIX)/share/dcops/drills && install -m 644 drills/*.json $(DESTDIR)$(PREFIX)/share/dcops/drills/
	install -m 644 $(wildcard tui/*.1 backend/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/dcops $(DESTDIR)$(PREFIX)/bin/dcopsd \
	    $(DESTDIR)$(PREFIX)/share/man/man1/dcops.1 $(DESTDIR)$(PREFIX)/share/man/man1/dcopsd.1
	rm -rf $(DESTDIR)$(PREFIX)/share/dcops

clean:
	rm -rf build

# Stops the demo while dcops is still there to do it, then removes it: var/
# and, for root's demo moved out of a tree PostgreSQL's user cannot reach,
# the directory var/location names (only ever /var/lib/dcops/demo-*).
distclean:
	-@[ ! -x $(DCOPS) ] || $(DCOPS) demo --stop
	@loc=$$(cat var/location 2>/dev/null); case "$$loc" in \
	/var/lib/dcops/demo-*[!/]) case "$$loc" in */../*|*/..) ;; *) echo "rm -rf $$loc"; rm -rf "$$loc";; esac;; \
	esac
	@$(MAKE) --no-print-directory clean
	rm -rf var

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing: libFuzzer targets tests/fuzz/fuzz_*.c (clang, ASan + UBSan) ----
#   make fuzz [FUZZ_SECONDS=60]   builds into build/fuzz and runs each target
#   for FUZZ_SECONDS over a scratch copy of tests/fuzz/corpus/<target>/.
# Not part of make check, which needs no clang.
FUZZ_PKGS    := clang libclang-rt-14-dev
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Others' files are not held to a clang-only warning here; the targets are.
FUZZ_CFLAGS  := -O1 -g -std=c11 $(FUZZ_SAN)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/bin/%)
FUZZ_LIB     := $(FUZZ_BUILD)/libdcops.a

.PHONY: fuzz fuzz-build
$(FUZZ_BUILD)/backend/%.o: backend/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(filter-out -Werror,$(WARN)) -MMD -MP \
	    -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_LIB): $(BACKEND_SRC:%.c=$(FUZZ_BUILD)/%.o)
	rm -f $@ && ar rcs $@ $^
$(FUZZ_BUILD)/bin/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz:
	@sh tests/lib/deps.sh $(FUZZ_PKGS)
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BIN)

-include $(wildcard $(FUZZ_BUILD)/backend/*.d $(FUZZ_BUILD)/backend/*/*.d $(FUZZ_BUILD)/backend/*/*/*.d)

# ---- reliability: valgrind session and soak (issue 7) ----
#   make valgrind                 the console under valgrind for a few hundred
#                                 keys against the churning sim (also in check)
#   make soak [SOAK_MINUTES=30]   the console against the sim at 25,000 nodes
#                                 and ~1,000 changes/s; RSS and latency each
#                                 minute. Not in check.
.PHONY: valgrind soak
valgrind:
	@sh tests/lib/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/valgrind/console.sh

soak:
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) SOAK_MINUTES=$${SOAK_MINUTES:-30} bash tests/soak/soak.sh
