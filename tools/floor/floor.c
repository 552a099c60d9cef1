// floor: what the E-step's transcendental functions alone cost on one core, K exps and
// one log a sample, with glibc's vector math library (libmvec) in the loop a compiler
// vectorises: s = sum_k exp(x_k), then log s, for every sample, in float64 and float32.
// A fused E-step computes these and more (log-joints, responsibilities, moments), so this
// is a floor under it: `make floor` builds it for AVX2 and AVX-512 and runs both.
// Build: gcc -O3 -mavx2 -mfma -ffast-math -fopenmp-simd floor.c -o floor -lmvec -lm
//        (AVX-512: -mavx512f -mavx512dq -mprefer-vector-width=512)
// Run:   ./floor [K, default 5] [samples, default 16384: in L2, as a tile is] [repetitions, default 500]
// Prints the best time a sample of each precision, then the FMA peak (multiply-adds of
// elements a nanosecond, one core). Measure it in the same run as the kernel it is
// compared with: the machine is noisy.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

// block is how many samples a pass takes at a time: their sums stay in L1 while the K
// exps are added into them, a component at a time, each loop one the compiler vectorises.
#define block 1024

// PASS defines name(x, y, n, k), which sets y[i] to log sum_k exp(x[k*n+i]) for i < n in
// type T with the functions EXP and LOG: the float64 and float32 passes, one body.
#define PASS(name, T, EXP, LOG)                                                 \
	static void name(const T *x, T *y, long n, int k) {                      \
		T s[block];                                                     \
		for (long lo = 0; lo < n; lo += block) {                        \
			long m = n - lo < block ? n - lo : block;                \
			_Pragma("omp simd") for (long i = 0; i < m; i++) s[i] = EXP(x[lo + i]); \
			for (int j = 1; j < k; j++) {                            \
				const T *xj = x + j * n + lo;                    \
				_Pragma("omp simd") for (long i = 0; i < m; i++) s[i] += EXP(xj[i]); \
			}                                                        \
			_Pragma("omp simd") for (long i = 0; i < m; i++) y[lo + i] = LOG(s[i]); \
		}                                                                \
	}

PASS(pass64, double, exp, log)
PASS(pass32, float, expf, logf)

// vecBytes is the width of the build's vectors: AVX-512's where the build has it.
#ifdef __AVX512F__
#define vecBytes 64
#else
#define vecBytes 32
#endif

// FMAS defines name(turns, a, b), which runs turns of 12 independent fused multiply-adds
// of whole vectors and returns one lane of their total: the FMA peak that the blocked
// kernels' speed is set beside (gmmbench measures the same with a loop of its own). a and
// b come from the caller, so that no algebra folds the loop away.
#define FMAS(name, T)                                                            \
	static T name(long turns, T a0, T b0) {                                  \
		typedef T vec __attribute__((vector_size(vecBytes)));           \
		vec s[12] = {0}, a = s[0] + a0, b = s[0] + b0;                  \
		for (int i = 0; i < 12; i++) s[i] += i * b0; /* unalike: nothing to share */ \
		for (long t = 0; t < turns; t++) {                              \
			_Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) s[i] = s[i] * a + b; \
		}                                                                \
		for (int i = 1; i < 12; i++) s[0] += s[i];                       \
		return s[0][0];                                                  \
	}

FMAS(fmas64, double)
FMAS(fmas32, float)

int main(int argc, char **argv) {
	int k = argc > 1 ? atoi(argv[1]) : 5;
	long n = argc > 2 ? atol(argv[2]) : 16384;
	int reps = argc > 3 ? atoi(argv[3]) : 500;
	if (k < 1 || k > 64 || n < 1 || n > (1L << 28) || reps < 1) {
		fprintf(stderr, "floor: K in 1..64, samples in 1..2^28, repetitions at least 1\n");
		return 2;
	}
	double *x = aligned_alloc(64, k * n * sizeof(double)), *y = aligned_alloc(64, n * sizeof(double));
	float *xf = aligned_alloc(64, k * n * sizeof(float)), *yf = aligned_alloc(64, n * sizeof(float));
	if (!x || !y || !xf || !yf) {
		fprintf(stderr, "floor: out of memory\n");
		return 1;
	}
	srand(1);
	for (long i = 0; i < k * n; i++) {
		x[i] = -20.0 * rand() / RAND_MAX; // the arguments of a stable exp-sum: P_k - max <= 0
		xf[i] = (float)x[i];
	}
	double best64 = 1e9, best32 = 1e9;
	volatile double sink = 0;
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		pass64(x, y, n, k);
		double t1 = now();
		pass32(xf, yf, n, k);
		double t2 = now();
		if (t1 - t0 < best64) best64 = t1 - t0;
		if (t2 - t1 < best32) best32 = t2 - t1;
		sink += y[n / 2] + yf[n / 3];
	}
	printf("K=%d n=%ld: %d exps and a log a sample: float64 %.3f ns, float32 %.3f ns (best of %d, one core)\n",
		k, n, k, best64 / n * 1e9, best32 / n * 1e9, reps);
	const long turns = 1L << 22;
	volatile double a = 0.999999, b = 1e-7;
	double fma64 = 0, fma32 = 0;
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		sink += fmas64(turns, a, b);
		double t1 = now();
		sink += fmas32(turns, (float)a, (float)b);
		double t2 = now();
		double n64 = 12.0 * vecBytes / 8 * turns, n32 = 12.0 * vecBytes / 4 * turns;
		if (n64 / (t1 - t0) > fma64) fma64 = n64 / (t1 - t0);
		if (n32 / (t2 - t1) > fma32) fma32 = n32 / (t2 - t1);
	}
	printf("FMA peak: float64 %.1f, float32 %.1f multiply-adds a ns (best of 5, one core)\n", fma64 * 1e-9, fma32 * 1e-9);
	return 0;
}
