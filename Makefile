# Two commands for a fresh Debian machine: `make run` and `make test`. Each installs what is
# missing first, so both also work on a machine that already has everything.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_UPDATED := target/.apt-updated
# Installs Debian packages, updating the package lists once first.
apt_install = $(MAKE) --no-print-directory $(APT_UPDATED) && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(1)

PORTAL_ADDR ?= 127.0.0.1:3000
DATABASE_URL ?= sqlite://data/portal.db
EDGE_ADDR ?= 127.0.0.1:8080
EDGE_TLS_ADDR ?= 127.0.0.1:8443
EDGE_ADMIN_ADDR ?= 127.0.0.1:9080
ECHO_ORIGIN_ADDR ?= 127.0.0.1:8090
# Shared by the portal and its edges. Fine for a demo on one machine; set a secret of your own anywhere else.
EDGE_FEED_TOKEN ?= local-demo-edge-feed-token
# The API contract test's portal; the browser tests' servers use 3100, 3180, 3181 and 3190.
API_CONTRACT_PORT ?= 3150
API_CONTRACT_VENV := target/api-contract-venv
# The Gcore SDK test's portal; its edge, the edge's admin address and the echo origin take the next three ports.
GCORE_SDK_PORT ?= 3170
GCORE_SDK_VENV := target/gcore-sdk-venv
# The Autobahn|Testsuite run's edge; its origin and the edge's admin address take the next two ports.
AUTOBAHN_PORT ?= 3160
AUTOBAHN_VENV := target/autobahn-venv
# Autobahn|Testsuite runs on Python 2.7 only: pyenv's, which these machines have.
PYTHON27 ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)/versions/2.7.18/bin/python2.7
# The browser bundle's budget: the release wasm after brotli -q 11, in bytes (250 KB).
WASM_BROTLI_BUDGET := 250000

export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help run dev test bench build setup-build setup-test setup-postgres system-tools bench-tools test-rust test-wasm-size test-browser test-api-contract test-gcore-sdk test-autobahn clean

help:
	@echo "make run   - install what is missing, build in release mode, serve the portal on http://$(PORTAL_ADDR),"
	@echo "             a CDN edge on http://$(EDGE_ADDR) and https://$(EDGE_TLS_ADDR), and the demo echo origin on http://$(ECHO_ORIGIN_ADDR)"
	@echo "make test  - install what is missing, run every Rust test and every browser test on SQLite and again on a"
	@echo "             throwaway PostgreSQL server, then the API contract test, Gcore's Python SDK and"
	@echo "             Autobahn|Testsuite through the edge"
	@echo "make bench - install what is missing, measure the edge against nginx and the portal against bare axum,"
	@echo "             and write the figures to BENCHMARKS.md"
	@echo "make dev   - like make run, but a debug build that cargo leptos watch rebuilds on every saved change"
	@echo "make clean - delete every build and installed npm package; keeps data/ (the portal's database)"

# The echo origin and the edge (built in $(1), release or debug) run in the background and stop
# with the command after them, $(2): the portal, which takes its other settings from
# [package.metadata.leptos] in Cargo.toml.
beside_edge = ECHO_ORIGIN_LISTEN='$(ECHO_ORIGIN_ADDR)' target/$(1)/echo-origin & echo_origin=$$!; \
	EDGE_LISTEN='$(EDGE_ADDR)' EDGE_TLS_LISTEN='$(EDGE_TLS_ADDR)' EDGE_ADMIN_LISTEN='$(EDGE_ADMIN_ADDR)' EDGE_PORTAL_URL='http://$(PORTAL_ADDR)' \
	EDGE_FEED_TOKEN='$(EDGE_FEED_TOKEN)' EDGE_STATE_FILE=data/edge-config.json target/$(1)/cdn-edge & edge=$$!; \
	trap 'kill $$echo_origin $$edge 2>/dev/null' EXIT INT TERM; \
	DATABASE_URL='$(DATABASE_URL)' SEED_DEMO=true LEPTOS_SITE_ADDR='$(PORTAL_ADDR)' EDGE_FEED_TOKEN='$(EDGE_FEED_TOKEN)' $(2)

# Stops with Ctrl-C.
run: setup-build build
	@$(call beside_edge,release,target/release/cdn-portal)

# cargo leptos watch rebuilds the portal (debug) and reloads the page on every saved change to
# src/ or style/; the edge and the echo origin are built once, in debug mode.
# The compressed copies `make build` left would be served instead of the bundle being watched.
dev: setup-build
	cargo build --locked -p cdn-edge -p echo-origin
	rm -f target/site/pkg/*.br target/site/pkg/*.gz
	@$(call beside_edge,debug,cargo leptos watch)

test: setup-build setup-test test-rust build test-wasm-size test-browser test-api-contract test-gcore-sdk test-autobahn

# Figures, not pass or fail: a few minutes of load on this machine, written to BENCHMARKS.md.
bench: setup-build bench-tools setup-postgres build
	cargo build --locked --release -p ws-load -p portal-bench
	bench/run.sh

# cargo-leptos failed once in CI without saying why in what was kept of the log (a run on the
# same commit passed), so a failure is reported plainly and tried once more before it counts.
build:
	cargo leptos build --release || { echo "cargo leptos build failed (above); trying once more" >&2; df -h . >&2; cargo leptos build --release; }
	@# Compressed once here, at levels too slow for each request; the portal sends these files.
	for asset in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do \
	  brotli -q 11 -f -k "$$asset" && gzip -9 -f -k "$$asset" || exit 1; done
	cargo build --locked --release -p cdn-edge -p echo-origin

# The portal's database tests run twice: on SQLite, then on a PostgreSQL cluster made for the
# run and removed after it (scripts/test-postgres.sh sets TEST_POSTGRES_URL), which also runs the
# tests that need PostgreSQL (#[ignore]d in the SQLite pass, where they would fail).
# The gates come first: formatting, then clippy on the server build (every crate, tests included)
# and on the browser build, whose code differs by feature.
test-rust: setup-postgres
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings
	cargo test --locked --workspace
	scripts/test-postgres.sh cargo test --locked -- --include-ignored

# A size is deterministic, unlike a time: the release wasm may not grow past its budget. The
# file measured is the one the portal sends, compressed by `make build`.
test-wasm-size:
	@size=$$(wc -c < target/site/pkg/cdn-portal.wasm.br) || { echo "no compressed wasm: run make build first" >&2; exit 1; }; \
	echo "browser bundle: $$size B brotli (budget $(WASM_BROTLI_BUDGET) B)"; \
	[ "$$size" -le $(WASM_BROTLI_BUDGET) ] || { echo "the wasm grew past its budget of $(WASM_BROTLI_BUDGET) B" >&2; exit 1; }

# Playwright starts the freshly built server itself, on a fresh database (end2end/playwright.config.ts).
test-browser: setup-postgres
	cd end2end && CI=1 npx playwright test
	cd end2end && CI=1 E2E_DATABASE=postgres ../scripts/test-postgres.sh npx playwright test

# schemathesis checks every REST API answer against the OpenAPI document the portal serves, on
# a fresh database; reports go to target/api-contract (end2end/api-contract/run.sh).
test-api-contract: $(API_CONTRACT_VENV)/bin/schemathesis
	@command -v curl >/dev/null || { $(call apt_install,curl); }
	API_CONTRACT_PORT='$(API_CONTRACT_PORT)' SCHEMATHESIS=$(API_CONTRACT_VENV)/bin/schemathesis \
	  end2end/api-contract/run.sh

# Gcore's official Python SDK, unchanged, against the release build: what a Gcore user scripts
# must work here too (end2end/gcore-sdk/scenario.py); its log goes to target/gcore-sdk.
test-gcore-sdk: $(GCORE_SDK_VENV)/installed
	@command -v curl >/dev/null || { $(call apt_install,curl); }
	GCORE_SDK_PORT='$(GCORE_SDK_PORT)' GCORE_SDK_PYTHON=$(GCORE_SDK_VENV)/bin/python end2end/gcore-sdk/run.sh

# Autobahn|Testsuite's fuzzing client against its own test server, directly and through the
# edge; every case must pass both ways. Reports go to target/autobahn (end2end/autobahn/run.sh).
test-autobahn: $(AUTOBAHN_VENV)/bin/wstest
	AUTOBAHN_PORT='$(AUTOBAHN_PORT)' WSTEST=$(AUTOBAHN_VENV)/bin/wstest end2end/autobahn/run.sh

# --- installing what is missing ------------------------------------------------------------

setup-build: system-tools node_modules/.package-lock.json
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt
	@cargo leptos --version 2>/dev/null | grep -qx 'cargo-leptos $(CARGO_LEPTOS_VERSION)' || \
	  cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q '^wasm-bindgen $(WASM_BINDGEN_VERSION)$$' || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

setup-test: end2end/node_modules/.package-lock.json setup-postgres
	@command -v chromium >/dev/null || { $(call apt_install,chromium); }

# The server programs (Debian keeps them off PATH, in /usr/lib/postgresql/N/bin) and psql.
setup-postgres:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v psql; } >/dev/null 2>&1 || { $(call apt_install,postgresql); }

system-tools:
	@command -v cc >/dev/null || { $(call apt_install,build-essential); }
	@command -v brotli >/dev/null || { $(call apt_install,brotli); }
	@command -v npm >/dev/null || { $(call apt_install,nodejs npm); }

bench-tools: system-tools
	@missing=; for tool in nginx wrk brotli curl; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	  [ -z "$$missing" ] || { $(call apt_install,$$missing); }

$(APT_UPDATED):
	$(SUDO) apt-get update
	@mkdir -p $(dir $@) && touch $@

# wasm-opt from npm's binaryen: Debian's (version 108) produces wasm that fails to hydrate.
node_modules/.package-lock.json: package.json package-lock.json | system-tools
	npm ci --no-audit --no-fund

# schemathesis comes from PyPI, into a virtualenv of the project's own: Debian's Python is
# externally managed and packages no schemathesis. Installing python3-venv brings python3 too.
$(API_CONTRACT_VENV)/bin/schemathesis: end2end/api-contract/requirements.txt
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { $(call apt_install,python3-venv); }
	rm -rf $(API_CONTRACT_VENV) && python3 -m venv $(API_CONTRACT_VENV)
	$(API_CONTRACT_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

$(GCORE_SDK_VENV)/installed: end2end/gcore-sdk/requirements.txt
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { $(call apt_install,python3-venv); }
	rm -rf $(GCORE_SDK_VENV) && python3 -m venv $(GCORE_SDK_VENV)
	$(GCORE_SDK_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

# A Python 2.7 virtualenv, made by a virtualenv release that still can (before 20.22), itself
# from PyPI into a Python 3 venv of its own.
$(AUTOBAHN_VENV)/bin/wstest: end2end/autobahn/requirements.txt
	@[ -x '$(PYTHON27)' ] || { echo "Autobahn|Testsuite needs Python 2.7; none at $(PYTHON27) (set PYTHON27)" >&2; exit 1; }
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { $(call apt_install,python3-venv); }
	rm -rf $(AUTOBAHN_VENV) target/virtualenv-tool && python3 -m venv target/virtualenv-tool
	target/virtualenv-tool/bin/pip install --quiet --disable-pip-version-check 'virtualenv<20.22'
	target/virtualenv-tool/bin/virtualenv --quiet -p '$(PYTHON27)' $(AUTOBAHN_VENV)
	$(AUTOBAHN_VENV)/bin/pip install --quiet --disable-pip-version-check --no-python-version-warning -r $<
	$(AUTOBAHN_VENV)/bin/pip install --quiet --disable-pip-version-check --no-python-version-warning --no-deps autobahntestsuite==25.10.1
	@touch $@

end2end/node_modules/.package-lock.json: end2end/package.json end2end/package-lock.json | system-tools
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

# data/ holds the database of `make run` and `make dev`: a customer's accounts and resources.
clean:
	cargo clean
	rm -rf node_modules end2end/node_modules
