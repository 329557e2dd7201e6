# seglens: the two commands a fresh machine needs are `make demo` and `make test`.
# Both install what is missing (Debian packages when root, models via models/fetch), then build.
# Builds share one target directory outside the clone so repeat runs are incremental.

CARGO_TARGET_DIR ?= $(HOME)/.cache/seglens/target
export CARGO_TARGET_DIR
SEGLENS_MODELS ?= $(HOME)/.cache/seglens/models
export SEGLENS_MODELS
DEMO_DIR ?= $(HOME)/.cache/seglens/demo
DEMO_CUSTOMERS ?= 20000
SEED ?= 42
BIN := $(CARGO_TARGET_DIR)/release/seglens
CARGO ?= cargo

.PHONY: all setup models models-demo build demo eval test bench lint fuzz clean-demo

all: build

setup:
	@.ci/setup

models: setup
	@models/fetch --group test >/dev/null

models-demo: setup
	@models/fetch --group demo >/dev/null

build: setup
	$(CARGO) build --release --locked

demo: models-demo build
	$(BIN) demo-data --customers $(DEMO_CUSTOMERS) --seed $(SEED) --out $(DEMO_DIR)/shop/data
	$(BIN) segment --data $(DEMO_DIR)/shop/data --out $(DEMO_DIR)/run --seed $(SEED)
	@$(BIN) evaluate --run $(DEMO_DIR)/run --truth $(DEMO_DIR)/shop/truth.csv \
		| sed 's/^/ARI against the 7 planted archetypes: /'
	$(BIN) personas --run $(DEMO_DIR)/run --model qwen2.5-coder-1.5b --format md > /dev/null
	@echo "run written to $(DEMO_DIR)/run; personas in $(DEMO_DIR)/run/report.md"
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN) tui $(DEMO_DIR)/run; \
	else echo "browse it in a terminal with: $(BIN) tui $(DEMO_DIR)/run"; fi

# Judge recovery, grounding, distinctiveness and ARI/NMI of the demo run (made first if missing).
eval: models-demo build
	@test -f $(DEMO_DIR)/run/personas.json || $(MAKE) --no-print-directory demo < /dev/null
	$(BIN) eval --run $(DEMO_DIR)/run --truth $(DEMO_DIR)/shop/truth.csv --judge qwen2.5-coder-1.5b

test: models
	$(CARGO) test --release --locked

bench: setup
	$(CARGO) bench --locked

# Fuzz the table readers and the filter parser (cargo-fuzz; `cargo install cargo-fuzz`), each for
# FUZZ_SECONDS. Built with the stable toolchain: polars' build script turns on nightly-only code
# under a nightly compiler, so RUSTC_BOOTSTRAP lets cargo-fuzz's flags through stable instead.
FUZZ_SECONDS ?= 600
fuzz:
	for t in tables filter; do \
		mkdir -p tests/fuzz/corpus/$$t; \
		CARGO_TARGET_DIR=$(HOME)/.cache/seglens/fuzz-target RUSTC_BOOTSTRAP=1 \
		cargo +stable fuzz run -s none --fuzz-dir tests/fuzz $$t tests/fuzz/corpus/$$t \
			tests/fuzz/seeds/$$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets --locked -- -D warnings

clean-demo:
	rm -rf $(DEMO_DIR)
