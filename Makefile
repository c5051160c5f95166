# The two commands of the quick start: `make run` and `make test`. Both install missing Debian
# packages first (scripts/install-deps is a no-op when everything is present).
BUILD ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: all deps build run test bench format clean

all: build

deps:
	@scripts/install-deps

# Release build: the binary that `make run` and the benchmarks use.
build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	@mkdir -p $(BUILD)/state
	@echo "== sendguard milter on inet:8891@127.0.0.1, embedded default configuration =="
	@echo "   known domains: config/example-known-domains.txt; state (audit log, quarantine): $(BUILD)/state"
	@echo "   Connect Postfix by adding to its main.cf, then 'postfix reload':"
	@echo "       smtpd_milters = inet:127.0.0.1:8891"
	@echo "       non_smtpd_milters = inet:127.0.0.1:8891"
	@echo "       milter_protocol = 6"
	@echo "       milter_default_action = tempfail    # mail waits in the queue while sendguard is down"
	@echo "   Try it without Postfix: $(BUILD)/release/sendguard check --known-domains config/example-known-domains.txt FILE.eml"
	@echo "   Stop with Ctrl-C."
	@exec $(BUILD)/release/sendguard milter --known-domains config/example-known-domains.txt \
	  --state-dir $(BUILD)/state

# Unit tests under ASan/UBSan, the fuzz targets for a short while, and the command-line tests.
test: deps
	@cmake --preset sanitize >/dev/null
	@cmake --build --preset sanitize -j $(JOBS)
	@ctest --preset sanitize
	@SENDGUARD_FUZZ_SECONDS=$(FUZZ_SECONDS) cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target fuzz_targets
	@ctest --preset fuzz

bench: build
	@$(BUILD)/release/bench/lookalike_benchmark --benchmark_repetitions=5 \
	  --benchmark_report_aggregates_only=true
	@$(BUILD)/release/bench/content_benchmark --text-mb 16 --messages 500 --runs 5

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	@rm -rf $(BUILD)
