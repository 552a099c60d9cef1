package libjpeg

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// fuzzPixels keeps the fuzzed images small, so that each input decodes quickly.
const fuzzPixels = 1 << 16

// compareDecoders decodes data with Go's decoder and with d for the channel ch and fails
// the test unless: every error is one line; where both fail, they fail with the same
// error; what Go's decoder reads, the other reads too (libjpeg-turbo may read without a
// warning what Go's refuses: a block's overlong run of coefficients, say); where both
// succeed, the images have the same size. It reports whether both succeeded. (Their pixels are compared on intact files, by TestLumaWithinOne: on
// corrupt ones that both accept, each makes up its own pixels where the data break.)
func compareDecoders(t *testing.T, d *Decoder, data []byte, ch segment.Channel) bool {
	t.Helper()
	goImg, _, goErr := segment.Decoding{MaxPixels: fuzzPixels, Channel: ch}.Decode(bytes.NewReader(data))
	ljImg, _, ljErr := segment.Decoding{MaxPixels: fuzzPixels, Channel: ch, JPEG: d}.Decode(bytes.NewReader(data))
	for _, err := range []error{goErr, ljErr} {
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("an error of more than one line: %q", err)
		}
	}
	switch {
	case goErr != nil && ljErr != nil:
		if goErr.Error() != ljErr.Error() {
			t.Fatalf("Go's decoder: %v; with libjpeg-turbo: %v", goErr, ljErr)
		}
		return false
	case ljErr != nil:
		t.Fatalf("Go's decoder reads it; with libjpeg-turbo: %v: what libjpeg-turbo refuses, Go's decoder decides", ljErr)
	case goErr != nil:
		return false // libjpeg-turbo reads, without a warning, what Go's decoder refuses
	}
	if goImg.Bounds() != ljImg.Bounds() {
		t.Fatalf("Go's decoder gives %v, libjpeg-turbo %v", goImg.Bounds(), ljImg.Bounds())
	}
	return true
}

// seeds are the committed JPEGs (one of each subsampling) and a grey one.
func seeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"s2x2", "s1x1", "t2x1", "t1x2"} {
		data, err := os.ReadFile(committedPath(name, ".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return append(out, imagetest.Bombs()[".jpg"])
}

// FuzzDecoders feeds both decoders the same bytes, in luma and in rgb: neither panics or
// crashes, and they agree as compareDecoders says.
func FuzzDecoders(f *testing.F) {
	d := decoder(f)
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareDecoders(t, d, data, segment.Luma)
		compareDecoders(t, d, data, segment.RGB)
		compareDecoders(t, d, data, segment.YCbCr)
	})
}

// Corrupt and truncated files (every committed JPEG cut at every 37th byte, and with
// bytes of its scan overwritten at random) fail with the same one-line error from either
// decoder wherever both refuse them; cut inside the scan, both refuse them as truncated.
func TestCorruptFilesFailAlike(t *testing.T) {
	d := decoder(t)
	rng := rand.New(rand.NewPCG(30, 1))
	both, cut := 0, 0
	for _, data := range seeds(t)[:4] {
		sos := bytes.Index(data, []byte{0xff, 0xda})
		for n := 2; n < len(data)-2; n += 37 {
			compareDecoders(t, d, data[:n], segment.Luma)
			_, _, err := segment.Decoding{JPEG: d}.Decode(bytes.NewReader(data[:n]))
			if n > sos+20 && (err == nil || !strings.Contains(err.Error(), "truncated")) {
				t.Errorf("cut at byte %d of %d, inside the scan: %v, want the truncated file's error", n, len(data), err)
			}
			cut++
		}
		for range 200 {
			b := bytes.Clone(data)
			for range 1 + rng.IntN(8) {
				b[sos+rng.IntN(len(b)-sos)] = byte(rng.IntN(256))
			}
			if compareDecoders(t, d, b, segment.Luma) {
				both++
			}
		}
	}
	t.Logf("%d cut files; of 800 corrupted ones, both decoders accepted %d", cut, both)
}

// On intact files, every test JPEG (baseline and progressive photos, and one of each
// subsampling), the luma of either decoder is within one level of the other's: the two
// inverse DCTs round differently, on under 2% of the pixels.
func TestLumaWithinOne(t *testing.T) {
	d := decoder(t)
	paths, _ := filepath.Glob(filepath.Join(sharedtest.Dir(t), "testdata", "images", "*.jpg"))
	if len(paths) < 3 {
		t.Fatalf("%d test photos", len(paths))
	}
	for _, name := range committed {
		paths = append(paths, committedPath(name, ".jpg"))
	}
	for _, path := range paths {
		a := levels(t, segment.Decoding{}, path)
		b := levels(t, segment.Decoding{JPEG: d}, path)
		off := 0
		for i, v := range a {
			switch dv := int(v) - int(b[i]); {
			case dv < -1 || dv > 1:
				t.Fatalf("%s: pixel %d has luma %d with Go's decoder, %d with libjpeg-turbo", filepath.Base(path), i, v, b[i])
			case dv != 0:
				off++
			}
		}
		if off*50 > len(a) {
			t.Errorf("%s: %d of %d pixels differ", filepath.Base(path), off, len(a))
		}
	}
}

// levels returns the luma plane of the image at path, decoded as dec says.
func levels(t *testing.T, dec segment.Decoding, path string) []uint16 {
	t.Helper()
	img, _, err := dec.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := segment.NewPlane(img, segment.Luma)
	if err != nil {
		t.Fatal(err)
	}
	return p.Levels
}
