package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment/libjpeg"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// jpegDir holds package segment's test JPEGs, one of each subsampling, each beside
// djpeg's RGB (.libjpeg.png) and grayscale (.libjpeg-gray.png) decodes of it.
var jpegDir = filepath.Join("..", "..", "segment", "testdata", "jpeg")

// needLibjpeg skips the test where libjpeg-turbo does not load: always in a build that
// does not load it, on a machine without it unless libjpeg.EnvRequire says it must.
func needLibjpeg(t *testing.T) {
	t.Helper()
	if _, err := libjpeg.Load(); err != nil {
		if libjpeg.Loadable && os.Getenv(libjpeg.EnvRequire) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// decoderDoc is the part of the JSON document that these tests read.
type decoderDoc struct {
	Decoder    string
	Iterations []map[string]any
}

// runDoc runs gmmseg --json with args and returns its document.
func runDoc(t *testing.T, args ...string) decoderDoc {
	t.Helper()
	r := runCmd(t, append(args, "--json", "--out="+filepath.Join(t.TempDir(), "seg.png"))...)
	if r.Code != 0 {
		t.Fatalf("gmmseg %s: exit %d: %s", strings.Join(args, " "), r.Code, r.Stderr)
	}
	var d decoderDoc
	if err := json.Unmarshal([]byte(r.Stdout), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// --decoder chooses the JPEG decoder, and the document and --version name it: Go's for
// other formats, and for JPEGs when asked.
func TestDecoderFlag(t *testing.T) {
	jpg := filepath.Join(jpegDir, "s2x2.jpg")
	if d := runDoc(t, "--decoder=go", "--first-image="+jpg); d.Decoder != "go" {
		t.Errorf("--decoder=go: the document names %q", d.Decoder)
	}
	if d := runDoc(t); d.Decoder != "go" {
		t.Errorf("the example PNG: the document names %q", d.Decoder)
	}
	if r := runCmd(t, "--decoder=djpeg"); r.Code != exitUsage || !strings.Contains(r.Stderr, "--decoder=djpeg") {
		t.Errorf("--decoder=djpeg: exit %d, %q", r.Code, r.Stderr)
	}
	r := runCmd(t, "--version", "--decoder=go")
	if !strings.Contains(r.Stdout, "JPEG decoder: go (Go's image/jpeg; --decoder=go)") {
		t.Errorf("--version --decoder=go: %q", r.Stdout)
	}
	if _, err := libjpeg.Load(); err != nil {
		r := runCmd(t, "--decoder=libjpeg", "--first-image="+jpg)
		if r.Code != exitUsage || !strings.Contains(r.Stderr, "libturbojpeg.so.0") {
			t.Errorf("--decoder=libjpeg without the library: exit %d, %q", r.Code, r.Stderr)
		}
	}
	needLibjpeg(t)
	if d := runDoc(t, "--decoder=libjpeg", "--first-image="+jpg); d.Decoder != "libjpeg-turbo" {
		t.Errorf("--decoder=libjpeg: the document names %q", d.Decoder)
	}
	if r := runCmd(t, "--version", "--decoder=libjpeg"); !strings.Contains(r.Stdout, "JPEG decoder: libjpeg-turbo (libturbojpeg.so.0)") {
		t.Errorf("--version: %q", r.Stdout)
	}
}

// With libjpeg-turbo, a JPEG is fitted on the pixels that djpeg, Pillow and OpenCV (the
// reference program's reader) decode: every iteration is the same, bit for bit, as the fit
// of those pixels saved losslessly, whose parity with the reference program
// TestParityWithTheReferenceProgram holds. Blue as the reference read it, and luma.
func TestJPEGFitIsTheFitOfLibjpegsPixels(t *testing.T) {
	needLibjpeg(t)
	for _, name := range []string{"s1x1", "s2x1", "s2x2", "s1x2"} {
		jpg := filepath.Join(jpegDir, name+".jpg")
		for _, c := range [][2]string{{"blue", ".libjpeg.png"}, {"luma", ".libjpeg-gray.png"}} {
			args := []string{"--channel=" + c[0], "--components=3", "--iterations=8", "--method=pixels"}
			got := runDoc(t, append(args, "--decoder=libjpeg", "--first-image="+jpg)...)
			want := runDoc(t, append(args, "--first-image="+filepath.Join(jpegDir, name+c[1]))...)
			if !reflect.DeepEqual(got.Iterations, want.Iterations) {
				t.Errorf("%s, %s: the fit differs from that of djpeg's pixels", name, c[0])
			}
		}
	}
}

// The same, on the test photos where the machine has Pillow: each is decoded by Pillow
// and saved as PNG, and the JPEG's fit with libjpeg-turbo is that PNG's, bit for bit.
func TestPhotoFitIsTheFitOfPillowsPixels(t *testing.T) {
	needLibjpeg(t)
	py := imagetest.Pillow()
	if py == "" {
		t.Skip("no Python with Pillow (python3-pil): TestJPEGFitIsTheFitOfLibjpegsPixels holds the committed JPEGs to djpeg's pixels")
	}
	jpg := filepath.Join(sharedtest.Dir(t), "testdata", "images", "retina.jpg")
	png := filepath.Join(t.TempDir(), "retina.png")
	if out, err := exec.Command(py, "-c", "import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2])", jpg, png).CombinedOutput(); err != nil {
		t.Fatalf("Pillow: %v: %s", err, out)
	}
	for _, method := range []string{"histogram", "pixels"} {
		args := []string{"--channel=blue", "--components=3", "--iterations=8", "--method=" + method}
		got := runDoc(t, append(args, "--decoder=libjpeg", "--first-image="+jpg)...)
		want := runDoc(t, append(args, "--first-image="+png)...)
		if !reflect.DeepEqual(got.Iterations, want.Iterations) {
			t.Errorf("--method=%s: retina.jpg's fit differs from that of Pillow's pixels", method)
		}
	}
}
