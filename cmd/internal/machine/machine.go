// Package machine tells the commands what this CPU is and which kernels run on it, and
// reads the environment variable that says what a command's --kernel=auto means: the
// library reads no environment.
package machine

import (
	"fmt"
	"os"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// EnvKernel is the environment variable that, when set, says what --kernel=auto means:
// a kernel name, as --kernel takes it.
const EnvKernel = "GMMSIMD_KERNEL"

// Kernel returns the kernel that a command's --kernel value names, and the setting that
// named it, for its error messages: "auto" (or "") is $GMMSIMD_KERNEL where that is set.
func Kernel(flag string) (k gmm.Kernel, setting string) {
	if env := os.Getenv(EnvKernel); (flag == "auto" || flag == "") && env != "" {
		return gmm.Kernel(env), EnvKernel + "=" + env
	}
	return gmm.Kernel(flag), "--kernel"
}

// Describe describes, on a few lines, this CPU as cpuid sees it and the kernel
// implementations this binary runs on it, fastest first, with what --kernel=auto picks.
func Describe() string {
	i := kernel.CPU()
	if k, setting := Kernel("auto"); k != "" {
		i.Chosen, i.ChoiceErr = "", nil
		chosen, err := kernel.Lookup(string(k))
		if err != nil {
			i.ChoiceErr = fmt.Errorf("%s: %w", setting, err)
		} else {
			i.Chosen = chosen.Name
		}
	}
	return i.String()
}
