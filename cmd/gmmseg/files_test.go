package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot returns every file under dir (links as their targets' names) with its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			to, err := os.Readlink(path)
			files[path] = "-> " + to
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// An output that is an input, or another output, is refused before anything runs, on
// one line, exit 2, and nothing changes: by path, through ".." or a link, as a hard link
// (the same inode), for one image and for a batch.
func TestOutputsNeverOverwriteInputs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for name, data := range map[string][]byte{"a.png": exampleImage, "a_segmented.png": exampleImage, "m.json": []byte(`{"weights": [0.5, 0.5], "means": [0.25, 0.75], "stdevs": [0.1, 0.1]}`)} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.png", "link.png"); err != nil {
		t.Fatal(err)
	}
	if err := os.Link("a.png", "hard.png"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--first-image=a.png", "--out=a.png"}, "--first-image a.png and --out a.png"},
		{[]string{"--first-image=a.png", "--save-model=a.png"}, "--save-model a.png"},
		{[]string{"--first-image=a.png", "--out=sub/../a.png"}, "--out sub/../a.png"},
		{[]string{"--first-image=a.png", "--out=link.png"}, "--out link.png"},
		{[]string{"--first-image=a.png", "--labels=hard.png"}, "--labels hard.png"},
		{[]string{"--first-image=a.png", "--second-image=a.png", "--components=2", "--out=" + filepath.Join(dir, "a.png")}, "--out " + filepath.Join(dir, "a.png")},
		{[]string{"--out=x.png", "--labels=x.png"}, "--out x.png and --labels x.png"},
		{[]string{"--out=x.png", "--save-model=./x.png"}, "--save-model ./x.png"},
		{[]string{"--visualization=1", "--out=x.png", "--labels=x_strip.png"}, "--labels x_strip.png"},
		{[]string{"--init-model=m.json", "--save-model=m.json"}, "--init-model m.json and --save-model m.json"},
		{[]string{"--model=m.json", "--out=m.json"}, "--out m.json"},
		{[]string{"--cpuprofile=a.png", "--first-image=a.png"}, "--cpuprofile a.png"},
		{[]string{"--memprofile=p", "--cpuprofile=p"}, "--memprofile p"},
		{[]string{"a.png", "a_segmented.png"}, "the image a_segmented.png and the segmentation of a.png"},
		{[]string{"--out-dir=.", "a.png", "sub/../a_segmented.png", "--visualization=1"}, "the image sub/../a_segmented.png and the segmentation of a.png"},
		{[]string{"--cpuprofile=a_segmented.png", "a.png"}, "--cpuprofile a_segmented.png"},
	} {
		r := runCmd(t, c.args...)
		if r.Code != exitUsage || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, c.says) || !strings.Contains(r.Stderr, "one file") || r.Stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %q", c.args, r.Code, r.Stderr, c.says)
		}
		after := snapshot(t, dir)
		if len(after) != len(before) {
			t.Fatalf("%v: the files are now %d, were %d", c.args, len(after), len(before))
		}
		for path, data := range before {
			if after[path] != data {
				t.Fatalf("%v: %s changed", c.args, path)
			}
		}
	}
}
