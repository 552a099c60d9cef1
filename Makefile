# Build, test and measure gmmsimd. `make help` lists the targets.
GO ?= go
FUZZTIME ?= 3s
FUZZ_TARGETS = FuzzExpLog FuzzLogNormPDF FuzzExpSumStable FuzzEStep FuzzClassify FuzzMinU16
# The avo programs in asm/ and what each writes into internal/kernel.
ASM_PROGRAMS = vmath lognormal expsum estep classify
GENERATED = $(foreach p,$(ASM_PROGRAMS),internal/kernel/$(p)_amd64.s internal/kernel/$(p)_amd64.go)
BENCH ?= .
BENCHCOUNT ?= 6

.PHONY: help run sheet generate check-generate test test-purego test-race lint cross fuzz bench

help:
	@echo "run             segment the built-in example image"
	@echo "sheet           redraw docs/camera_segmented_sheet.png, the README's summary sheet"
	@echo "generate        rebuild the assembly from the avo programs in asm/"
	@echo "check-generate  regenerate and fail if the checked-in assembly differs"
	@echo "test            go test ./..."
	@echo "test-purego     the tests without assembly (-tags purego)"
	@echo "test-race       the tests under the race detector"
	@echo "lint            gofmt and go vet on both builds"
	@echo "cross           build for arm64, 386 and wasm (the pure-Go fallback)"
	@echo "fuzz            each kernel's fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "bench           kernel benchmarks, generic against avx2, through benchstat"

run:
	$(GO) run ./cmd/gmmseg

# The README's figure: the summary sheet of the built-in example (the other figures and
# the segmentation are drawn in a scratch directory and dropped).
sheet:
	@tmp=$$(mktemp -d); \
	$(GO) run ./cmd/gmmseg -q --visualization=1 --out "$$tmp/camera_segmented.png" >/dev/null && \
	mkdir -p docs && cp "$$tmp/camera_segmented_sheet.png" docs/; status=$$?; rm -rf "$$tmp"; exit $$status

generate:
	$(GO) generate ./internal/kernel

# Keeps a copy of the generated files, regenerates them, and fails on any difference.
check-generate:
	@tmp=$$(mktemp -d); status=0; \
	for f in $(GENERATED); do cp "$$f" "$$tmp/" 2>/dev/null || { echo "$$f is missing"; status=1; }; done; \
	$(GO) generate ./internal/kernel || status=1; \
	for f in $(GENERATED); do cmp -s "$$f" "$$tmp/$$(basename $$f)" || { echo "$$f differs from what asm/ produces"; status=1; }; done; \
	rm -rf "$$tmp"; exit $$status

test:
	$(GO) test ./...

test-purego:
	$(GO) test -tags purego ./...

test-race:
	$(GO) test -race ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	cd asm && $(GO) vet ./...

cross:
	GOARCH=arm64 $(GO) build ./...
	GOARCH=386 $(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) build ./...

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./internal/kernel || exit 1; done

# Benchmarks: every kernel benchmark once per implementation, compared by benchstat
# (installed from the module proxy on first use).
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -count $(BENCHCOUNT) ./internal/kernel | tee bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /impl bench.txt
