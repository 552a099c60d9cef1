package machine

import (
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// $GMMSIMD_KERNEL says what auto means, and only auto: a kernel named on the command line
// wins over it.
func TestEnvironmentSaysWhatAutoMeans(t *testing.T) {
	t.Setenv(EnvKernel, "")
	for _, flag := range []string{"", "auto", "generic"} {
		if k, setting := Kernel(flag); string(k) != flag || setting != "--kernel" {
			t.Errorf("unset: Kernel(%q) = %q, %q", flag, k, setting)
		}
	}
	for _, name := range kernel.Available() {
		t.Setenv(EnvKernel, name)
		if k, setting := Kernel("auto"); string(k) != name || setting != EnvKernel+"="+name {
			t.Errorf("%s=%s: Kernel(auto) = %q, %q", EnvKernel, name, k, setting)
		}
		if !strings.Contains(Describe(), "auto: "+name+"\n") {
			t.Errorf("%s=%s: Describe() = %q", EnvKernel, name, Describe())
		}
	}
	t.Setenv(EnvKernel, "generic")
	if k, _ := Kernel("avx2"); k != "avx2" {
		t.Errorf("an explicit kernel lost to the environment: %q", k)
	}
	t.Setenv(EnvKernel, "sse9")
	if d := Describe(); !strings.Contains(d, "auto: none ("+EnvKernel+"=sse9: ") {
		t.Errorf("%s=sse9: Describe() = %q", EnvKernel, d)
	}
}
