//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// buildCommand builds gmmseg into a new folder and returns the binary's path.
func buildCommand(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatal("no go command to build gmmseg with:", err)
		}
	}
	bin := filepath.Join(t.TempDir(), "gmmseg")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// signalRun is one run of the binary, ended by sig after delay (or finished first).
type signalRun struct {
	sig            syscall.Signal
	delay          time.Duration
	status         syscall.WaitStatus
	stdout, stderr string
	dir            string // its working folder, where its outputs go
}

// runAndSignal runs bin with args in a new folder under base, which holds three copies
// of the example image and a folder o for the outputs, and sends sig after delay.
func runAndSignal(t *testing.T, bin, base string, args []string, sig syscall.Signal, delay time.Duration) signalRun {
	t.Helper()
	dir, err := os.MkdirTemp(base, "run")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		if err := os.WriteFile(filepath.Join(dir, name), exampleImage, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "o"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	cmd.Process.Signal(sig)
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return signalRun{sig, delay, cmd.ProcessState.Sys().(syscall.WaitStatus), stdout.String(), stderr.String(), dir}
}

// The outputs of the runs below, in their working folders.
var (
	imageOutputs = []string{"o/seg.png", "o/labels.png", "o/m.json", "o/seg_strip.png", "o/seg_sheet.png", "o/seg_sheet.svg", "o/seg_curves.png"}
	batchImages  = []string{"a", "b", "c"}
)

// batchOutputs are the files a batch writes for the image called name.
func batchOutputs(name string) []string {
	var out []string
	for _, s := range []string{"", "_strip", "_sheet", "_curves"} {
		out = append(out, "o/"+name+"_segmented"+s+".png")
	}
	return append(out, "o/"+name+"_segmented_sheet.svg")
}

// SIGTERM, SIGINT and SIGHUP end a run of the built command at any moment the same way:
// exit 128 + the signal (or 0 if the run finished first, or killed by the signal before
// the runtime catches it, with nothing written), one line saying what was left, each
// image's outputs all there or none, and no temporary file. For one image with seven
// outputs, and for a batch of three, which says how many finished.
func TestSignalsEndRunsCleanly(t *testing.T) {
	if race.Enabled {
		t.Skip("the binary is built without the race detector: the plain run checks it")
	}
	bin := buildCommand(t)
	base := t.TempDir()
	// One thread a run, as many runs at once as cores: a run takes as long as alone.
	slow := []string{"-q", "--threads=1", "--kernel=generic", "--method=pixels", "--components=4", "--visualization=1"}
	modes := map[string][]string{
		"one image": append([]string{"--first-image=a.png", "--out=o/seg.png", "--labels=o/labels.png", "--save-model=o/m.json", "--iterations=10"}, slow...),
		"batch":     append([]string{"--out-dir=o", "--jobs=1", "--iterations=2", "a.png", "b.png", "c.png"}, slow...),
	}
	moments := 6
	if testing.Short() {
		moments = 2
	}
	signals := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP}
	for name, args := range modes {
		t.Run(name, func(t *testing.T) {
			took := wholeRuns(t, bin, base, args, name)
			var wg sync.WaitGroup
			limit := make(chan struct{}, runtime.NumCPU())
			counts := map[string]int{}
			var mu sync.Mutex
			for i := range moments {
				for j, sig := range signals {
					// The moments spread over the whole run, from its start to a little
					// after its end, closer together towards the end, where the outputs
					// are written; each signal at its own.
					frac := (float64(i) + float64(j)/float64(len(signals))) / float64(moments)
					delay := time.Duration(float64(took) * 1.15 * math.Sqrt(frac))
					wg.Go(func() {
						limit <- struct{}{}
						r := runAndSignal(t, bin, base, args, sig, delay)
						<-limit
						outcome := checkLeft(t, r, name)
						mu.Lock()
						counts[outcome]++
						mu.Unlock()
					})
				}
			}
			wg.Wait()
			t.Logf("a whole run took %v; the %d signalled: %v", took, moments*len(signals), counts)
		})
	}
}

// wholeRuns runs bin with args to the end (signal 0: none), as many runs at once as the
// signalled ones run, checks what they leave, and returns how long the longest took: what
// sets the moments of the signals.
func wholeRuns(t *testing.T, bin, base string, args []string, mode string) time.Duration {
	t.Helper()
	var took time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			start := time.Now()
			whole := runAndSignal(t, bin, base, args, 0, 0)
			mu.Lock()
			took = max(took, time.Since(start))
			mu.Unlock()
			if whole.status.ExitStatus() != 0 {
				t.Errorf("an uninterrupted run: %v, %s", whole.status, whole.stderr)
			}
			checkLeft(t, whole, mode)
		})
	}
	wg.Wait()
	return took
}

// checkLeft fails unless the run r of mode ended as TestSignalsEndRunsCleanly says, and
// returns what it left: how many images finished, of how many.
func checkLeft(t *testing.T, r signalRun, mode string) string {
	t.Helper()
	what := fmt.Sprintf("%s, %v after %v", mode, r.sig, r.delay)
	filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("%s: a temporary file is left: %s", what, path)
		}
		return err
	})
	groups := map[string][]string{"": imageOutputs}
	if mode == "batch" {
		groups = map[string][]string{}
		for _, name := range batchImages {
			groups[name] = batchOutputs(name)
		}
	}
	finished := 0
	for name, files := range groups {
		n := 0
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
				n++
			}
		}
		switch n {
		case len(files):
			finished++
			if mode == "batch" && !strings.Contains(r.stdout, name+".png: ") {
				t.Errorf("%s: %s finished, without its line: %q", what, name, r.stdout)
			}
		case 0:
		default:
			t.Errorf("%s: %d of the %d outputs of %q are there", what, n, len(files), name)
		}
	}
	checkStatus(t, what, r, finished, len(groups))
	return fmt.Sprintf("%d of %d finished", finished, len(groups))
}

// checkStatus fails unless r's exit status and stderr agree with the images finished, of
// total.
func checkStatus(t *testing.T, what string, r signalRun, finished, total int) {
	t.Helper()
	switch {
	case r.status.Signaled(): // before the runtime caught it: nothing can have run
		if r.status.Signal() != r.sig || finished > 0 {
			t.Errorf("%s: killed by %v with %d images finished", what, r.status.Signal(), finished)
		}
	case r.status.ExitStatus() == 0:
		if finished != total || r.stderr != "" {
			t.Errorf("%s: exit 0 with %d of %d images finished, stderr %q", what, finished, total, r.stderr)
		}
	case r.status.ExitStatus() != 128+int(r.sig):
		t.Errorf("%s: exit %d, want %d (stderr %q)", what, r.status.ExitStatus(), 128+int(r.sig), r.stderr)
	default:
		want := "nothing was written"
		switch {
		case total > 1:
			want = fmt.Sprintf("%d of %d images finished", finished, total)
		case finished == 1:
			want = "every output was written"
		}
		prefix := "gmmseg: interrupted (" + r.sig.String() + "): "
		if !strings.HasPrefix(r.stderr, prefix) || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: stderr %q, want one line %q...%q", what, r.stderr, prefix, want)
		}
	}
}
