# reel's two commands: `make run` starts the server on embedded defaults,
# `make test` runs every test. Both install what is missing first.

GO    ?= go
BIN   := bin/reel
# apt-get needs root; use sudo when not root and sudo exists.
SUDO  := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

include ui.mk

.PHONY: run build test check deps test-deps bench bench-quick bench-deps fuzz clean

## run: install what is missing, build, and start `reel serve` on ./data.
## Settings come from REEL_* variables (make run REEL_ADDR=127.0.0.1:9000)
## or flags in ARGS (make run ARGS="--workers 0 --log-level debug").
run: deps build
	./$(BIN) serve $(ARGS)

# The commit `reel version` names when Go records none (a git worktree,
# GOFLAGS=-buildvcs=false), with -dirty for uncommitted changes.
COMMIT = $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

## build: the reel binary in bin/, with the web page embedded
build: ui
	$(GO) build -ldflags "-X main.commit=$(COMMIT)" -o $(BIN) ./cmd/reel

## deps: ffmpeg and ffprobe from Debian, when missing
deps:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
		echo "installing ffmpeg"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg; }

GOBIN_DIR := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)

## test-deps: what the tests use besides ffmpeg: Debian's chromium and nginx, versitygw (a real S3 server)
test-deps: deps
	@command -v chromium >/dev/null || { \
		echo "installing chromium"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
		echo "installing nginx"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx; }
	@command -v versitygw >/dev/null || [ -x "$(GOBIN_DIR)/versitygw" ] || { \
		echo "installing versitygw"; \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0; }

## test: static checks, Go tests (unit and end to end), a short fuzz run, the
## browser test. cmd/reel's end-to-end tests run real processes for minutes,
## near go test's default 10-minute budget on a busy 2-core machine, hence
## -timeout 40m. The short fuzz run counts executions rather than seconds: a
## time-boxed -fuzztime can fail on Go's own deadline race ("context
## deadline exceeded", golang/go#75804, fixed in Go 1.27) with no finding.
test: test-deps ui check
	REEL_REQUIRE_VERSITYGW=1 REEL_REQUIRE_NGINX=1 REEL_REQUIRE_POSTGRES=1 $(GO) test -count=1 -timeout 40m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=10000x
	./scripts/browser-test.sh

## check: gofmt and go vet
check:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$fmt" ]; then echo "gofmt would change: $$fmt"; exit 1; fi
	$(GO) vet ./...

FUZZTIME ?= 1m
## fuzz: run every fuzz target for FUZZTIME each (a duration, or a count like 10000x)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) || { echo "$$out" | tail -20; exit 1; }; \
		done; \
	done

## bench: every benchmark against its reference, interleaved, medians and
## ranges into docs/benchmarks*.md (about an hour); `go run ./bench -list`
## names them, BENCH_FLAGS passes more (-only play,tus -runs 5). Benchmarks
## need wrk, nginx, versitygw and PostgreSQL; never part of `make test`.
BENCH_FLAGS ?=
bench: test-deps build bench-deps
	$(GO) run ./bench -reel $(BIN) $(BENCH_FLAGS)

## bench-quick: the same with smaller inputs and fewer runs (figures flagged as quick)
bench-quick: test-deps build bench-deps
	$(GO) run ./bench -reel $(BIN) -quick $(BENCH_FLAGS)

## bench-deps: wrk (Debian), the load generator of the serving benchmarks
bench-deps:
	@command -v wrk >/dev/null || { \
		echo "installing wrk"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

clean:
	rm -rf bin node_modules $(UI_VENDOR)
