# charrnn — build, test and demo. Every target that needs the system libraries
# depends on `deps`, so `make test` works on a fresh Debian 12 machine.
SHELL := /bin/bash
PREFIX ?= /usr/local
SWIFT ?= swift
BIN := .build/release/charrnn
CORPUS := corpora/tinyshakespeare.txt
# PyTorch for the optional interop checks and reference benchmarks (never needed to train or sample).
TORCH_VENV ?= /tmp/torchenv
export CHARRNN_PYTHON ?= $(if $(wildcard $(TORCH_VENV)/bin/python),$(TORCH_VENV)/bin/python,python3)

APT_PACKAGES := libicu-dev libopenblas-dev unicode-data pkg-config
GRAPHEME_TEST := /usr/share/unicode/auxiliary/GraphemeBreakTest.txt

.PHONY: all deps build debug test docs demo timeseries corpora install uninstall clean bench torch-venv check-viz help

all: build

help:
	@echo "make demo     prepare tinyshakespeare, train a few minutes, sample"
	@echo "make timeseries  the library on Géron's time series (Examples/TimeSeriesForecast); TIMESERIES_ARGS=\"--epochs 5\""
	@echo "make test     install what is missing, build, run every test"
	@echo "make build    release build -> $(BIN)"
	@echo "make docs     API documentation of the library modules (DocC) -> $(DOCS_DIR)/<Module>.doccarchive"
	@echo "make bench    speed of charrnn beside PyTorch (if $(TORCH_VENV) exists); BENCH_ARGS=\"--only train --seconds 20\""
	@echo "make corpora  corpora/shakespeare.txt and corpora/tinyshakespeare.txt"
	@echo "make corpora/numbers-de.tsv corpora/dates.tsv  pairs for the encoder-decoder (Examples/MakePairs, docs/pairs.md)"
	@echo "make corpora/langid.tsv  language identification: fortunes in eight languages (Debian fortunes-* packages)"
	@echo "make install  PREFIX=$(PREFIX) (binary, shell completions, man pages)"
	@echo "make check-viz  render an activation page, a loss plot and the attention maps in headless Chromium (apt-get install chromium)"

# Installs the system libraries when missing (as root), else prints the command.
deps:
	@missing=""; \
	pkg-config --exists icu-uc icu-i18n 2>/dev/null || missing="$$missing libicu-dev"; \
	pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev"; \
	pkg-config --exists libcrypto 2>/dev/null || missing="$$missing libssl-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	[ -f $(GRAPHEME_TEST) ] || missing="$$missing unicode-data"; \
	optional=""; command -v mpirun >/dev/null || optional="openmpi-bin"; \
	if [ -n "$$optional" ] && [ "$$(id -u)" = 0 ]; then missing="$$missing $$optional"; \
	elif [ -n "$$optional" ]; then echo "optional: $$optional (mpirun: data-parallel training and its tests, else skipped)"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "charrnn needs:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi; \
	echo "deps: ICU $$(pkg-config --modversion icu-uc), OpenBLAS $$(pkg-config --modversion openblas), libcrypto $$(pkg-config --modversion libcrypto), $$(command -v mpirun >/dev/null && mpirun --version 2>/dev/null | head -1 || echo "no MPI"), $$(head -1 $(GRAPHEME_TEST) | tr -d '# ')"

build: deps
	$(SWIFT) build -c release --product charrnn

debug: deps
	$(SWIFT) build

# The test build carries no debug information: a clean `make test` on a Zen 3 (2 cores) built in
# 394 s with it, 346 s without (CPU 708 -> 629 s), and CI has 10 minutes for build and tests.
# Failures still name their file and line (#expect records them); `make debug` keeps -g.
TEST_BUILD_FLAGS ?= -Xswiftc -gnone -Xcc -g0
test: deps
	$(SWIFT) build --build-tests $(TEST_BUILD_FLAGS)
	$(SWIFT) test --skip-build

# API documentation (DocC, swift-docc-plugin) of the library modules, one archive each, with
# warnings as errors so that a catalog's broken symbol link fails. Not part of `make test`.
DOCS_DIR ?= .build/docs
DOC_MODULES := Tokenizer Tensor SafeTensors RNN Training Sampler
docs: deps
	$(SWIFT) package --allow-writing-to-directory $(DOCS_DIR) generate-documentation \
	  $(foreach m,$(DOC_MODULES),--target $(m)) --output-path $(DOCS_DIR) --warnings-as-errors

corpora: corpora/shakespeare.txt corpora/tinyshakespeare.txt

corpora/shakespeare.txt corpora/tinyshakespeare.txt: corpora/make_corpora.py
	python3 corpora/make_corpora.py --outdir corpora

# Language identification (issue 24): fortunes of Debian's fortunes-* packages in eight
# Latin-script languages, one `lang<TAB>text` line each (scripts/make-langid.sh says how).
# Installs the packages when missing (as root), else prints the command.
corpora/langid.tsv: scripts/make-langid.sh
	@missing=$$(scripts/make-langid.sh --missing); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "corpora/langid.tsv needs: $$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $$missing"; exit 1; \
	  fi; \
	fi
	scripts/make-langid.sh $@

# Pairs for the encoder-decoder (issue 25; docs/pairs.md), made by Examples/MakePairs from a seed:
# every number of 0-99,999 once with its German words (ICU spell-out), in a random order, so that a
# seeded 80/10/10 split tests on numbers never seen; and 20,000 distinct dates of Géron's exercise.
MAKEPAIRS := .build/release/MakePairs
$(MAKEPAIRS): deps
	$(SWIFT) build -c release --product MakePairs

corpora/numbers-de.tsv: $(MAKEPAIRS)
	$(MAKEPAIRS) numbers --locale de --max 99999 --seed 42 > $@.part && mv $@.part $@

corpora/dates.tsv: $(MAKEPAIRS)
	$(MAKEPAIRS) dates --count 20000 --seed 42 > $@.part && mv $@.part $@

# A first hour: data, a short training run with a progress bar, samples.
DEMO_TIME ?= 3m
demo: build corpora
	$(BIN) train $(CORPUS) --max-time $(DEMO_TIME) --eval-every 100 --checkpoint-dir checkpoints/demo --overwrite
	@for t in 0.5 0.8 1.0; do echo; echo "──── temperature $$t ────"; $(BIN) sample --checkpoint checkpoints/demo --temp $$t --length 300 --seed 1 --prime "ROMEO:"; done
	$(BIN) plot checkpoints/demo -o checkpoints/demo/loss.svg
	tail -c 4000 $(CORPUS) > checkpoints/demo/unseen.txt
	$(BIN) viz --checkpoint checkpoints/demo --text checkpoints/demo/unseen.txt -o checkpoints/demo/viz.html
	@echo
	@echo "Open checkpoints/demo/loss.svg (the loss curve) and checkpoints/demo/viz.html (what each hidden unit tracks) in a browser."
	@echo "Next: train longer and bigger (charrnn train $(CORPUS) --hidden 256 --seq-length 100 --max-time 30m),"
	@echo "      continue this run (charrnn train $(CORPUS) --checkpoint-dir checkpoints/demo --resume --max-time 10m),"
	@echo "      or train on your own text (charrnn train your.txt)."

# charrnn's engine as a library: Géron's synthetic series (Hands-On ML, chapter 15) forecast by
# the chapter's baselines and RNNs at the book's size (10,000 series, 20 epochs); prints the
# validation MSE table. TIMESERIES_ARGS="--series 2000 --epochs 5" for a shorter run.
TIMESERIES_ARGS ?=
timeseries: deps
	$(SWIFT) build -c release --product TimeSeriesForecast
	.build/release/TimeSeriesForecast $(TIMESERIES_ARGS)

# Every workload beside PyTorch and numpy (two alternating rounds, best kept; ~8 minutes).
# BENCH_ARGS="--only train --seconds 20" to choose; results appended to bench-results/bench.jsonl.
BENCH_ARGS ?= --repeat 2
bench: build
	$(BIN) bench $(BENCH_ARGS)

# The CPU build of PyTorch, for `make bench` comparisons and the interop tests.
torch-venv:
	python3 -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install -q torch==2.13.0 numpy safetensors psutil

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/charrnn
	CHARRNN=$(BIN) DESTDIR=$(DESTDIR) scripts/install-extras.sh $(PREFIX)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/charrnn $(DESTDIR)$(PREFIX)/share/bash-completion/completions/charrnn \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_charrnn $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/charrnn.fish \
	  $(DESTDIR)$(PREFIX)/share/man/man1/charrnn.1 $(DESTDIR)$(PREFIX)/share/man/man1/charrnn.*.1

check-viz: build
	CHARRNN=$(BIN) scripts/check_viz_chromium.sh

clean:
	rm -rf .build
