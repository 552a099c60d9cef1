package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment"
)

// batchDir writes three images (the example as PNG, a crop of it as PNG and as JPEG) and,
// if bad, a file that is not an image, into a new folder.
func batchDir(t *testing.T, bad bool) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.png", exampleImage)
	img, err := segment.Decode(bytes.NewReader(exampleImage), 0)
	if err != nil {
		t.Fatal(err)
	}
	crop := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(100, 50, 400, 300))
	if err := segment.WritePNG(filepath.Join(dir, "b.png"), crop); err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, crop, nil); err != nil {
		t.Fatal(err)
	}
	write("c.jpg", jpg.Bytes())
	write("notes.txt", []byte("not an image, and not taken from a folder"))
	if bad {
		write("d.png", []byte("not an image"))
	}
	return dir
}

func TestBatchSegmentsAFolder(t *testing.T) {
	in, out := batchDir(t, true), t.TempDir()
	r := runCmd(t, "--json", "--out-dir="+out, "--iterations=4", in)
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1 (one image failed): %s", r.Code, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d JSON lines, want one per image:\n%s", len(lines), r.Stdout)
	}
	ok := 0
	for _, line := range lines {
		var doc struct {
			ourDoc
			Error string
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		base := strings.TrimSuffix(filepath.Base(doc.Image.Path), filepath.Ext(doc.Image.Path))
		if base == "d" {
			if doc.Error == "" {
				t.Errorf("the bad file's line has no error: %s", line)
			}
			continue
		}
		if want := filepath.Join(out, base+"_segmented.png"); doc.Output != want || len(doc.Iterations) != 4 {
			t.Errorf("%s: output %q, %d iterations; want %q, 4", doc.Image.Path, doc.Output, len(doc.Iterations), want)
		}
		if _, err := segment.Open(doc.Output, 0); err != nil {
			t.Error(err)
		}
		ok++
	}
	if ok != 3 {
		t.Errorf("%d images segmented, want 3", ok)
	}
	stderr := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if len(stderr) != 2 || !strings.Contains(stderr[0], "d.png") || stderr[1] != "gmmseg: 1 of 4 images failed" {
		t.Errorf("stderr %q: want the bad file's error and the count", r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "d_segmented.png")); !os.IsNotExist(err) {
		t.Errorf("the bad file left an output: %v", err)
	}

	// A batch writes what a single run writes, byte for byte.
	single := filepath.Join(t.TempDir(), "a.png")
	if r := runCmd(t, "--iterations=4", "--first-image="+filepath.Join(in, "a.png"), "--out="+single); r.Code != 0 {
		t.Fatalf("single run: exit %d: %s", r.Code, r.Stderr)
	}
	if !bytes.Equal(readBytes(t, single), readBytes(t, filepath.Join(out, "a_segmented.png"))) {
		t.Error("the batch's segmentation of a.png differs from a single run's")
	}
}

func TestBatchOfPatternsAndFiles(t *testing.T) {
	in, out := batchDir(t, false), t.TempDir()
	// Flags may come after the images, and "--" ends the flags.
	r := runCmd(t, "--out-dir="+out, filepath.Join(in, "*.png"), "--iterations=2", "--jobs=1", "--", filepath.Join(in, "c.jpg"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if n := strings.Count(r.Stdout, "_segmented.png"); n != 3 {
		t.Errorf("%d images reported, want 3:\n%s", n, r.Stdout)
	}
	for _, name := range []string{"a", "b", "c"} {
		if _, err := os.Stat(filepath.Join(out, name+"_segmented.png")); err != nil {
			t.Error(err)
		}
	}
	// With a saved mixture, every image gets the same classes.
	model := filepath.Join(t.TempDir(), "m.json")
	if r := runCmd(t, "--iterations=2", "--save-model="+model, "--out="+filepath.Join(out, "x.png")); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	r = runCmd(t, "--json", "--model="+model, "--out-dir="+out, in)
	if r.Code != 0 || strings.Count(r.Stdout, `"init_method":"model-file"`) != 3 {
		t.Fatalf("exit %d, stdout:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestBatchUsageErrors(t *testing.T) {
	in := batchDir(t, false)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "a.png"), exampleImage, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{filepath.Join(in, "*.gif")}, "matches no file"},
		{[]string{t.TempDir()}, "holds no image"},
		{[]string{in, other}, "would both write"},
		{[]string{"--out=x.png", in}, "--out"},
		{[]string{"--labels=l.png", in}, "--labels"},
		{[]string{"--first-image=" + filepath.Join(in, "a.png"), in}, "--first-image"},
		{[]string{"--jobs=-1", in}, "--jobs=-1"},
		{[]string{"--memory=0", in}, "--memory=0"},
		{[]string{"--out-dir=" + other}, "--out-dir is for a batch"},
		{[]string{in, "--colour=red"}, "colour"},
	} {
		r := runCmd(t, c.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, c.says) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line about %q", c.args, r.Code, r.Stderr, c.says)
		}
	}
}

func TestBatchProgressBar(t *testing.T) {
	in, out := batchDir(t, false), t.TempDir()
	c, err := parseFlags([]string{"--out-dir=" + out, "--iterations=2", in})
	if err != nil {
		t.Fatal(err)
	}
	files, err := expandInputs(c.inputs, c.outDir)
	if err != nil {
		t.Fatal(err)
	}
	var bar, stdout bytes.Buffer
	b := &batch{c: newPlan(c), stdout: &stdout, stderr: &bytes.Buffer{}, bar: newBar(len(files), &bar)}
	b.run(t.Context(), files)
	b.bar.Finish()
	// The bar's last state: every image done, with the rate.
	if s := bar.String(); !strings.Contains(s, "(3/3, ") || !strings.Contains(s, "images/s") {
		t.Errorf("progress bar output %q", s)
	}
	if strings.Count(stdout.String(), "\n") != 3 {
		t.Errorf("stdout %q: want a line per image", stdout.String())
	}
}

func TestBudget(t *testing.T) {
	b := newBudget(10)
	var held, most atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			b.acquire(6)
			n := held.Add(6)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			held.Add(-6)
			b.release(6)
		})
	}
	wg.Wait()
	if most.Load() != 6 {
		t.Errorf("at most %d held at once, want 6 (two parts of 6 exceed 10)", most.Load())
	}
	// A part larger than the whole still runs, alone.
	done := make(chan struct{})
	go func() { b.acquire(25); b.release(25); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a part larger than the budget never ran")
	}
}

func TestDashDashEndsTheFlags(t *testing.T) {
	c, err := parseFlags([]string{"a.png", "--iterations=3", "--", "--json", "b.png"})
	if err != nil {
		t.Fatal(err)
	}
	if c.iterations != 3 || c.json || len(c.inputs) != 3 || c.inputs[1] != "--json" {
		t.Errorf("iterations %d, json %v, inputs %q", c.iterations, c.json, c.inputs)
	}
}

// A file whose header claims a huge image is one failed image of a batch, refused from its
// header, while the others are segmented.
func TestBatchRefusesAHeaderBomb(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for name, data := range map[string][]byte{"a.png": exampleImage, "bomb.bmp": imagetest.Bombs()[".bmp"]} {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runCmd(t, "--out-dir="+out, "--iterations=2", in)
	if r.Code != 1 || !strings.Contains(r.Stderr, "bomb.bmp") || !strings.Contains(r.Stderr, "image too large") ||
		!strings.Contains(r.Stderr, "1 of 2 images failed") {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "a_segmented.png")); err != nil {
		t.Errorf("the good image was not segmented: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "bomb_segmented.png")); err == nil {
		t.Error("the refused image has an output")
	}
}

// --out-dir may not exist yet (it is made, as mkdir -p would) and may be the input folder:
// the outputs of one run are not the inputs of the next.
func TestBatchOutDirMadeAndReused(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"a.png", "b.png"} {
		if err := os.WriteFile(filepath.Join(in, name), exampleImage, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nested := filepath.Join(t.TempDir(), "x", "y")
	for _, out := range []string{nested, in, in} {
		r := runCmd(t, "--out-dir="+out, "--iterations=2", "--visualization=1", in)
		if r.Code != 0 || strings.Count(r.Stdout, "\n") != 2 {
			t.Fatalf("--out-dir=%s: exit %d, stdout %q, stderr %q", out, r.Code, r.Stdout, r.Stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(nested, "a_segmented.png")); err != nil {
		t.Error(err)
	}
	entries, _ := os.ReadDir(in)
	for _, e := range entries {
		if strings.Contains(e.Name(), "_segmented_segmented") {
			t.Errorf("an output was taken as an input: %s", e.Name())
		}
	}
	// An out-dir that cannot be made is one error before any work.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	r := runCmd(t, "--out-dir="+filepath.Join(file, "sub"), in)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--out-dir") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("unmakeable --out-dir: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
