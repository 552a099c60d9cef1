package kernel

import (
	"fmt"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Info describes the CPU as cpuid sees it and the kernels this binary runs on it.
type Info struct {
	Vendor, Brand               string
	Family, Model               int
	PhysicalCores, LogicalCores int
	// L1D, L2 and L3 are the data cache sizes in bytes, -1 where unknown.
	L1D, L2, L3 int
	// Features are those of the features the kernels care about that the CPU has.
	Features []string
	// Available names the kernels this binary holds and this CPU runs, fastest first.
	Available []string
	// Chosen is what "auto" resolves to, unless a command set it otherwise ("" with the
	// error in ChoiceErr when the command's choice is not available).
	Chosen    string
	ChoiceErr error
}

// reportedFeatures are the features Info lists when the CPU has them.
var reportedFeatures = []cpuid.FeatureID{
	cpuid.SSE42, cpuid.AVX, cpuid.AVX2, cpuid.FMA3,
	cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL,
}

// CPU returns the Info of this machine.
func CPU() Info {
	c := &cpuid.CPU
	i := Info{
		Vendor: c.VendorString, Brand: c.BrandName, Family: c.Family, Model: c.Model,
		PhysicalCores: c.PhysicalCores, LogicalCores: c.LogicalCores,
		L1D: c.Cache.L1D, L2: c.Cache.L2, L3: c.Cache.L3,
		Available: Available(),
	}
	for _, f := range reportedFeatures {
		if c.Supports(f) {
			i.Features = append(i.Features, f.String())
		}
	}
	if k, err := Lookup("auto"); err != nil {
		i.ChoiceErr = err
	} else {
		i.Chosen = k.Name
	}
	return i
}

// String prints the Info on a few lines.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cpu: %s (%s, family %d model %d), %d physical / %d logical cores\n",
		i.Brand, i.Vendor, i.Family, i.Model, i.PhysicalCores, i.LogicalCores)
	fmt.Fprintf(&b, "caches: L1d %s, L2 %s, L3 %s\n", size(i.L1D), size(i.L2), size(i.L3))
	fmt.Fprintf(&b, "features: %s\n", strings.Join(i.Features, " "))
	chosen := i.Chosen
	if i.ChoiceErr != nil {
		chosen = "none (" + i.ChoiceErr.Error() + ")"
	}
	fmt.Fprintf(&b, "kernels: %s; auto: %s\n", strings.Join(i.Available, ", "), chosen)
	return b.String()
}

func size(n int) string {
	switch {
	case n < 0:
		return "unknown"
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
