package kernel

// The assembly comes from the avo programs in ../../asm, one per kernel family; `make
// generate` runs these lines and `make check-generate` fails if the output changes.
//go:generate go run -C ../../asm ./vmath -out ../internal/kernel/vmath_amd64.s -stubs ../internal/kernel/vmath_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./lognormal -out ../internal/kernel/lognormal_amd64.s -stubs ../internal/kernel/lognormal_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./expsum -out ../internal/kernel/expsum_amd64.s -stubs ../internal/kernel/expsum_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./estep -out ../internal/kernel/estep_amd64.s -stubs ../internal/kernel/estep_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./classify -out ../internal/kernel/classify_amd64.s -stubs ../internal/kernel/classify_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./multi -out ../internal/kernel/multi_amd64.s -stubs ../internal/kernel/multi_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./blocked -out ../internal/kernel/blocked_amd64.s -stubs ../internal/kernel/blocked_amd64.go -pkg kernel
//go:generate go run -C ../../asm ./peak -out ../internal/kernel/peak_amd64.s -stubs ../internal/kernel/peak_amd64.go -pkg kernel
