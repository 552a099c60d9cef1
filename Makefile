# Build, test and measure gmmsimd. `make help` lists the targets.
GO ?= go
# Inputs per fuzz target: a count, not a duration, so that CI's work does not depend on
# the machine's speed (a duration such as 30s works too).
FUZZTIME ?= 2000x
BENCH ?= .
BENCHCOUNT ?= 6
# The floor's components, and its repetitions (CI's smoke run takes a few).
K ?= 5
REPS ?= 500

.PHONY: help run sheet screenshot browser-deps generate check-generate layers test test-purego test-race test-go-decoder jpeg-deps test-arm64 test-wasm test-beam lint cross fuzz bench floor

help:
	@echo "run             segment the built-in example image"
	@echo "sheet           redraw docs/camera_segmented_sheet.png, the README's summary sheet"
	@echo "screenshot      redraw docs/serve.png, the README's picture of gmmseg serve's page, in Chromium"
	@echo "browser-deps    Chromium (Debian's chromium) for the page's browser test, installed if missing"
	@echo "generate        rerun every generator: the assembly (asm/) and exp/log constants (gen/vmath)"
	@echo "check-generate  regenerate everything and fail if the tree then differs from git's"
	@echo "layers          check the import graph's layers (internal/layers, from go list)"
	@echo "test            go test ./..."
	@echo "test-purego     the tests without assembly (-tags purego)"
	@echo "test-race       the tests under the race detector"
	@echo "jpeg-deps       libjpeg-turbo (libturbojpeg0), and Pillow and pngcheck for the tests that compare with them, installed if missing"
	@echo "test-go-decoder the image tests again with Go's JPEG decoder where --decoder=auto would load libjpeg-turbo"
	@echo "lint            gofmt and go vet on both builds"
	@echo "test-arm64      the library's tests on arm64 under qemu-user (-short), installed if missing"
	@echo "test-wasm       the kernels' and exp/log's tests on js/wasm under Node.js (-short)"
	@echo "test-beam       vet and test beam/, its own module (Apache Beam, on prism)"
	@echo "cross           build for arm64, 386 and wasm (the pure-Go fallback)"
	@echo "fuzz            every fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "bench           kernel benchmarks, generic against avx2, through benchstat"
	@echo "floor           K ($(K)) exps and a log a sample through glibc's vector math, AVX2 and AVX-512 (tools/floor)"

run:
	$(GO) run ./cmd/gmmseg

# The README's figure: the summary sheet of the built-in example (the other figures and
# the segmentation are drawn in a scratch directory and dropped).
sheet:
	@tmp=$$(mktemp -d); \
	$(GO) run ./cmd/gmmseg -q --visualization=1 --out "$$tmp/camera_segmented.png" >/dev/null && \
	mkdir -p docs && cp "$$tmp/camera_segmented_sheet.png" docs/; status=$$?; rm -rf "$$tmp"; exit $$status

# The README's picture of the page: the browser test's screenshot of a fit of the built-in
# example in 3 components.
screenshot:
	GMMSIMD_SCREENSHOT=$(CURDIR)/docs/serve.png GMMSIMD_REQUIRE_BROWSER=1 $(GO) test -count=1 -run '^TestPageInABrowser$$' ./cmd/gmmseg

# The page's browser test drives Debian's chromium headless (github.com/chromedp/chromedp);
# installed if missing.
browser-deps:
	@command -v chromium >/dev/null || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# go generate may visit the packages in any order: the avo programs derive exp's and
# log's constants themselves (gen/vmath) rather than read internal/vmath/coeffs.go, which
# it writes from the same derivation.
generate:
	$(GO) generate ./...

# Regenerates every generated file and fails if the tree then differs from what git holds
# (a changed file or a new one): a hand edit of generated code, or a generator changed
# without its output, cannot pass. Run it on a clean tree.
check-generate: generate
	@git diff --exit-code --stat || { echo "generated files differ from what the generators produce: run make generate"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all)" || { git status --short; echo "the generators wrote files git does not hold"; exit 1; }

# The import graph, from go list, in both modules: no package imports one of a higher
# layer (gmm none of the image application's, internal/ none of gmm's, cmd's or beam's),
# gmm/... depends on no image package, and beam/ imports no internal package of the root
# module. The layers are in internal/layers's package doc.
layers:
	$(GO) test -count=1 ./internal/layers

test:
	$(GO) test ./...

test-purego:
	$(GO) test -tags purego ./...

test-race:
	$(GO) test -race ./...

# gmmseg loads libjpeg-turbo at run time where the machine has it; the tests compare its
# pixels with Pillow's and the PNG files with Pillow's and pngcheck's reading of them.
# Debian's packages, installed if missing.
jpeg-deps:
	@{ ldconfig -p | grep -q 'libturbojpeg\.so\.0 ' && command -v pngcheck >/dev/null && \
		{ python3 -c 'import PIL.Image' 2>/dev/null || /usr/bin/python3 -c 'import PIL.Image' 2>/dev/null; }; } || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libturbojpeg0 python3-pil pngcheck >/dev/null; }

# The tests that decode images, with Go's JPEG decoder standing in for libjpeg-turbo
# wherever --decoder=auto would take it (the other run of them takes libjpeg-turbo).
test-go-decoder:
	GMMSIMD_DECODER=go $(GO) test ./segment ./segment/libjpeg ./cmd/...

# arm64 runs the pure-Go kernels, where Go may fuse a product into the next addition:
# the tests hold it to the same numbers as amd64. -short trims what an emulator makes
# slow (the full runs cover it natively); segment/internal/bigmem is left out, its test
# reading the huge-page advice that qemu-user does not pass on. Debian's qemu-user-static
# is installed first if it is missing. -tags purego: the libjpeg-turbo loader links the
# binary dynamically, and qemu-user finds no arm64 dynamic loader here; the tag builds its
# stub, and arm64 has no assembly for the tag to leave out.
test-arm64:
	@command -v qemu-aarch64-static >/dev/null || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null; }
	GOARCH=arm64 $(GO) test -short -tags purego -exec qemu-aarch64-static ./internal/kernel ./internal/vmath \
		./internal/parallel ./internal/atomicfile ./gmm/... ./segment ./segment/libjpeg \
		./segment/internal/minimum ./segment/internal/eightbit ./gen/...

# js/wasm runs the pure-Go kernels too, under Node.js (Debian's nodejs if it is missing):
# the numerical packages, -short. (386 is only built: qemu-user's i386 cannot start Go's
# runtime.)
test-wasm:
	@command -v node >/dev/null || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; }
	PATH="$$PATH:$$($(GO) env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm $(GO) test -short \
		./internal/vmath ./internal/kernel ./segment/internal/minimum ./segment/internal/eightbit

# beam/ is a module of its own, so that the library's users never download Beam: its
# tests run the pipelines on prism, in-process. Not under -race in CI: compiling Beam's
# ~800 packages again with the race detector takes 4.5 minutes on a fresh machine
# (`cd beam && go test -race ./...` passes).
test-beam:
	cd beam && $(GO) vet ./... && $(GO) test ./...
	cd beam && $(GO) test -run '^$$' -fuzz '^FuzzUnmarshalHistogram$$' -fuzztime $(FUZZTIME) ./gmmbeam

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	cd asm && $(GO) vet ./...

cross:
	GOARCH=arm64 $(GO) build ./...
	GOARCH=386 $(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) build ./...

# Every fuzz target of every package, found by go test -list.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz'); do \
			echo "$$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
		done; done

# Benchmarks: every kernel benchmark once per implementation, compared by benchstat
# (installed from the module proxy on first use).
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -count $(BENCHCOUNT) ./internal/kernel | tee bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /impl bench.txt

# The floor under the E-step's transcendental work (tools/floor): K exps and a log a
# sample through glibc's vector math (libmvec), built for AVX2 and for AVX-512, one core.
floor:
	@tmp=$$(mktemp -d); \
	gcc -O3 -mavx2 -mfma -ffast-math -fopenmp-simd tools/floor/floor.c -o "$$tmp/avx2" -lmvec -lm && \
	gcc -O3 -mavx2 -mfma -mavx512f -mavx512dq -mprefer-vector-width=512 -ffast-math -fopenmp-simd tools/floor/floor.c -o "$$tmp/avx512" -lmvec -lm && \
	echo "avx2:   $$("$$tmp/avx2" $(K) 16384 $(REPS))" && \
	if grep -qw avx512f /proc/cpuinfo; then echo "avx512: $$("$$tmp/avx512" $(K) 16384 $(REPS))"; fi; \
	status=$$?; rm -rf "$$tmp"; exit $$status
