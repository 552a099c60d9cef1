package fileid

import (
	"os"
	"path/filepath"
	"testing"
)

// Paths of one file share a Key, through links, ".." and links to folders; others do
// not.
func TestKeysNameFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.png")
	if err := os.WriteFile(a, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"link.png": "a.png", "dirlink": "sub", "dangling.png": "new.png"}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	key := func(p string) string {
		k, err := Key(p)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	same := [][2]string{
		{a, filepath.Join(dir, "link.png")},
		{a, filepath.Join(sub, "..", "a.png")},
		{filepath.Join(sub, "x.png"), filepath.Join(dir, "dirlink", "x.png")},
		{filepath.Join(dir, "dangling.png"), filepath.Join(dir, "new.png")},
		{filepath.Join(dir, "no", "x.png"), filepath.Join(dir, "no", ".", "x.png")},
	}
	for _, p := range same {
		if k1, k2 := key(p[0]), key(p[1]); k1 != k2 {
			t.Errorf("%s and %s: keys %q and %q", p[0], p[1], k1, k2)
		}
	}
	if key(a) == key(filepath.Join(dir, "b.png")) || key(a) == key(sub) {
		t.Error("two files share a key")
	}
}
