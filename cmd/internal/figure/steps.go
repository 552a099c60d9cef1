package figure

import "github.com/gmmsimd/gmmsimd/gmm"

// Steps keeps the iterations of a fit that a strip and the curves can show, however many
// the fit runs: every one up to 2 maxPanels, then every other one of those, and so on
// (every 2^j-th iteration), and always the last. It holds at most 2 maxPanels + 1
// models, evenly spaced, so that figures of a million iterations take no more memory
// than figures of a hundred.
type Steps struct {
	kept   []gmm.Step
	stride int
	last   gmm.Step // the latest, kept whatever its number
	any    bool
}

// MaxSteps is the most models a Steps holds.
const MaxSteps = 2*maxPanels + 1

// Add takes the next iteration's step, keeping a copy of its model if it is one to show.
func (s *Steps) Add(step gmm.Step) {
	step.Model = step.Model.Clone()
	s.last, s.any = step, true
	if s.stride == 0 {
		s.stride = 1
	}
	if step.Iter%s.stride != 0 {
		return
	}
	if len(s.kept) == 2*maxPanels {
		s.stride *= 2
		thin := s.kept[:0]
		for _, k := range s.kept {
			if k.Iter%s.stride == 0 {
				thin = append(thin, k)
			}
		}
		s.kept = thin
		if step.Iter%s.stride != 0 {
			return
		}
	}
	s.kept = append(s.kept, step)
}

// List returns the steps kept, in order, the last iteration's last (nil before any).
func (s *Steps) List() []gmm.Step {
	if !s.any {
		return nil
	}
	if n := len(s.kept); n > 0 && s.kept[n-1].Iter == s.last.Iter {
		return s.kept
	}
	return append(s.kept[:len(s.kept):len(s.kept)], s.last)
}
