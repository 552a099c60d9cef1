package gmm

import (
	"path/filepath"
	"testing"
)

// Every kernel follows scikit-learn's fits over many features to 1e-8 at every iteration,
// for every covariance type: weights, means, covariances and the log-likelihoods before and
// after each M-step, judged as on the ill-conditioned goldens, and no safety rule acts.
// The data (testdata/wide, see make.py there): synthetic mixtures of 4, 5, 3 and 2
// clusters of correlated features at d = 8, 16, 39 and 64, and Fisher's iris with K = 3.
// Under -short (an emulator) the fastest kernel only.
func TestWideFitsMatchScikitLearn(t *testing.T) {
	kernels := kernels()
	if testing.Short() {
		kernels = kernels[:1]
	}
	for _, name := range []string{"iris4", "synth8", "synth16", "synth39", "synth64"} {
		checkGoldenFits(t, filepath.Join("testdata", "wide", name+".json"), kernels, true)
	}
}
