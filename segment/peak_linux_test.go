package segment

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// peakOf is the environment variable that makes TestPeakOf, in a process of its own,
// decode the file it names into a luma plane and print the process's peak memory: "plane"
// through Decoding.OpenPlane, "whole" through Open and NewPlane.
const peakOf = "SEGMENT_PEAK_OF"

// TestPeakOf is the child of TestOpenPlaneHoldsThePlane (skipped otherwise).
func TestPeakOf(t *testing.T) {
	how, path, ok := strings.Cut(os.Getenv(peakOf), ":")
	if !ok {
		t.Skip("run by TestOpenPlaneHoldsThePlane")
	}
	var err error
	if how == "plane" {
		_, _, err = Decoding{}.OpenPlane(t.Context(), path)
	} else {
		var img image.Image
		if img, err = Open(path, 0); err == nil {
			_, err = NewPlane(img, Luma)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			os.Stdout.WriteString("peak " + strings.TrimSpace(v) + "\n")
		}
	}
}

// peak returns the peak memory, in bytes, of a process decoding path as how says.
func peak(t *testing.T, how, path string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPeakOf$", "-test.v")
	cmd.Env = append(os.Environ(), peakOf+"="+how+":"+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", how, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "peak "); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("%s: no peak in\n%s", how, out)
	return 0
}

// A 16-bit RGBA PNG of 4096x2048 pixels read into a luma plane: the process's peak memory
// is about the plane's 16 MiB, where decoding it whole takes its 64 MiB of pixels and
// the plane besides.
func TestOpenPlaneHoldsThePlane(t *testing.T) {
	if race.Enabled || testing.Short() {
		t.Skip("the race detector's memory is counted; an emulator's is not the process's")
	}
	img := image.NewNRGBA64(image.Rect(0, 0, 4096, 2048))
	for y := range 2048 {
		for x := range 4096 {
			v := uint16(x*16 + y*3 + (x*y)%251)
			img.SetNRGBA64(x, y, color.NRGBA64{v, v / 2, 65535 - v, 65535})
		}
	}
	path := filepath.Join(t.TempDir(), "wide.png")
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	const plane = 2 * 4096 * 2048
	got, whole := peak(t, "plane", path), peak(t, "whole", path)
	t.Logf("peak %d MiB through OpenPlane, %d MiB decoding the image whole (the plane: %d MiB)", got>>20, whole>>20, plane>>20)
	if got > 2*plane+24<<20 || 3*got > 2*whole {
		t.Errorf("OpenPlane's process peaked at %d MiB for a plane of %d MiB; Open and NewPlane's at %d MiB", got>>20, plane>>20, whole>>20)
	}
}
