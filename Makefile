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
	@echo "== sendguard recipients, known domains from config/example-known-domains.txt =="
	@$(BUILD)/release/sendguard recipients --known-domains config/example-known-domains.txt \
	  < config/example-recipients.txt; status=$$?; \
	  echo "(exit status $$status: 0 nothing flagged, 1 something flagged, 2 error)"; \
	  [ $$status -le 1 ]

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
