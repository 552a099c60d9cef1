# Build, test and measure gmmsimd. `make help` lists the targets.
GO ?= go

.PHONY: help run test test-purego lint bench

help:
	@echo "run          segment the built-in example image"
	@echo "test         go test ./..."
	@echo "test-purego  the tests without assembly (-tags purego)"
	@echo "lint         gofmt and go vet on both builds"
	@echo "bench        the kernel benchmarks"

run:
	$(GO) run ./cmd/gmmseg

test:
	$(GO) test ./...

test-purego:
	$(GO) test -tags purego ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags purego ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/kernel/
