//go:build amd64 && gc && !purego && !noasm

package kernel

// AVX512 is AVX2 with the fused E-step on 512-bit registers: the same operations as
// AVX2's in eight float64 or sixteen float32 lanes, so the per-sample terms are the same
// bits, added up across twice the lanes. It is for CPUs with AVX-512F that run 512-bit
// instructions at full speed; the rest of its kernels are AVX2's.
var AVX512 = func() *Kernels {
	k := *AVX2
	k.Name = "avx512"
	k.F64.EStep = avx512EStep.f64.run
	k.F32.EStep = avx512EStep.f32.run
	avx512Multi.f64.install(&k.F64)
	avx512Multi.f32.install(&k.F32)
	k.peak64 = fmaLoop{run: func(n int) { fmaPeakAVX512F64(n, make([]float64, 1)) }, lanes: 8}
	k.peak32 = fmaLoop{run: func(n int) { fmaPeakAVX512F32(n, make([]float32, 1)) }, lanes: 16}
	return &k
}()

// avx512Bytes is the width of an AVX-512 register.
const avx512Bytes = 64

var avx512EStep = &estepSet{
	f64: estepTable[float64]{
		bytes:    avx512Bytes,
		plain:    [5]estepFunc[float64]{estepAVX512F64, nil, estepAVX512F64K2, estepAVX512F64K3, estepAVX512F64K4},
		weighted: [5]estepFuncW[float64]{estepAVX512F64W, nil, estepAVX512F64K2W, estepAVX512F64K3W, estepAVX512F64K4W},
	},
	f32: estepTable[float32]{
		bytes:    avx512Bytes,
		plain:    [5]estepFunc[float32]{estepAVX512F32, nil, estepAVX512F32K2, estepAVX512F32K3, estepAVX512F32K4},
		weighted: [5]estepFuncW[float32]{estepAVX512F32W, nil, estepAVX512F32K2W, estepAVX512F32K3W, estepAVX512F32K4W},
	},
}

// avx512Multi is AVX512's multichannel E-step in both precisions.
var avx512Multi = struct {
	f64 *multiTable[float64]
	f32 *multiTable[float32]
}{
	f64: &multiTable[float64]{
		bytes:     avx512Bytes,
		transpose: [5]multiTranspose[float64]{nil, nil, multiTransposeAVX512F64D2, multiTransposeAVX512F64D3, multiTransposeAVX512F64D4},
		full:      [5]multiShape[float64]{{}, {}, {resp: multiRespAVX512F64D2Full, respW: multiRespAVX512F64D2FullW, moments: multiMomentsAVX512F64D2Full, classify: multiClassifyAVX512F64D2Full}, {resp: multiRespAVX512F64D3Full, respW: multiRespAVX512F64D3FullW, moments: multiMomentsAVX512F64D3Full, classify: multiClassifyAVX512F64D3Full}, {resp: multiRespAVX512F64D4Full, respW: multiRespAVX512F64D4FullW, moments: multiMomentsAVX512F64D4Full, classify: multiClassifyAVX512F64D4Full}},
		diag:      [5]multiShape[float64]{{}, {}, {resp: multiRespAVX512F64D2Diag, respW: multiRespAVX512F64D2DiagW, moments: multiMomentsAVX512F64D2Diag, classify: multiClassifyAVX512F64D2Diag}, {resp: multiRespAVX512F64D3Diag, respW: multiRespAVX512F64D3DiagW, moments: multiMomentsAVX512F64D3Diag, classify: multiClassifyAVX512F64D3Diag}, {resp: multiRespAVX512F64D4Diag, respW: multiRespAVX512F64D4DiagW, moments: multiMomentsAVX512F64D4Diag, classify: multiClassifyAVX512F64D4Diag}},
		blocked:   blockedFuncs[float64]{joints: blockedJointsAVX512F64, weigh: blockedWeighAVX512F64, moments: blockedMomentsAVX512F64, jointsDiag: blockedJointsDiagAVX512F64, momentsDiag: blockedMomentsDiagAVX512F64, given: multiRespAVX512F64Given, givenW: multiRespAVX512F64GivenW, transpose: blockedTransposeAVX512F64},
	},
	f32: &multiTable[float32]{
		bytes:     avx512Bytes,
		transpose: [5]multiTranspose[float32]{nil, nil, multiTransposeAVX512F32D2, multiTransposeAVX512F32D3, multiTransposeAVX512F32D4},
		full:      [5]multiShape[float32]{{}, {}, {resp: multiRespAVX512F32D2Full, respW: multiRespAVX512F32D2FullW, moments: multiMomentsAVX512F32D2Full, classify: multiClassifyAVX512F32D2Full}, {resp: multiRespAVX512F32D3Full, respW: multiRespAVX512F32D3FullW, moments: multiMomentsAVX512F32D3Full, classify: multiClassifyAVX512F32D3Full}, {resp: multiRespAVX512F32D4Full, respW: multiRespAVX512F32D4FullW, moments: multiMomentsAVX512F32D4Full, classify: multiClassifyAVX512F32D4Full}},
		diag:      [5]multiShape[float32]{{}, {}, {resp: multiRespAVX512F32D2Diag, respW: multiRespAVX512F32D2DiagW, moments: multiMomentsAVX512F32D2Diag, classify: multiClassifyAVX512F32D2Diag}, {resp: multiRespAVX512F32D3Diag, respW: multiRespAVX512F32D3DiagW, moments: multiMomentsAVX512F32D3Diag, classify: multiClassifyAVX512F32D3Diag}, {resp: multiRespAVX512F32D4Diag, respW: multiRespAVX512F32D4DiagW, moments: multiMomentsAVX512F32D4Diag, classify: multiClassifyAVX512F32D4Diag}},
		blocked:   blockedFuncs[float32]{joints: blockedJointsAVX512F32, weigh: blockedWeighAVX512F32, moments: blockedMomentsAVX512F32, jointsDiag: blockedJointsDiagAVX512F32, momentsDiag: blockedMomentsDiagAVX512F32, given: multiRespAVX512F32Given, givenW: multiRespAVX512F32GivenW, transpose: blockedTransposeAVX512F32},
	},
}
