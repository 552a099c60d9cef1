package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// entries returns the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// commit writes data to path through Create and Commit.
func commit(t *testing.T, path, data string) {
	t.Helper()
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestCommitPutsTheFileInPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	f.Write([]byte("new"))
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("before Commit the path holds %q", got)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("after Commit: %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file's mode is %v, want its own 0600", fi.Mode())
	}
	if err := f.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("entries %v, want out.txt alone", names)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	if names := entries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %v", names)
	}
	if _, err := Create(filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
	if _, err := Create(dir); err == nil {
		t.Error("Create of a directory succeeded")
	}
}

// A symbolic link's final target is replaced, through a chain of links, and the links
// stay; a link to no file yet creates its target.
func TestLinksAreFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.png")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	if err := os.Symlink("target.png", second); err != nil { // relative, as ln -s makes it
		t.Fatal(err)
	}
	if err := os.Symlink(second, first); err != nil {
		t.Fatal(err)
	}
	commit(t, first, "new")
	for _, link := range []string{first, second} {
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link: %v, %v", link, fi, err)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("the target holds %q", got)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("made.png", dangling); err != nil {
		t.Fatal(err)
	}
	commit(t, dangling, "made")
	if got, _ := os.ReadFile(filepath.Join(dir, "made.png")); string(got) != "made" {
		t.Errorf("the dangling link's target holds %q", got)
	}
	if got, err := Target(first); err != nil || got != target {
		t.Errorf("Target(%s) = %s, %v; want %s", first, got, err, target)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(loop); err == nil {
		t.Error("a link to itself was written")
	}
	if names := entries(t, dir); len(names) != 6 {
		t.Errorf("entries %v: a temporary file left?", names)
	}
}

// A Set commits all its files or none, and stops with its context.
func TestSetCommitsAllOrNone(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "sub", "b")
	if err := os.Mkdir(filepath.Dir(b), 0o755); err != nil {
		t.Fatal(err)
	}
	s := NewSet(t.Context())
	for _, p := range []string{a, b} {
		if err := s.Write(p, func(w io.Writer) error { _, err := io.WriteString(w, p); return err }); err != nil {
			t.Fatal(err)
		}
	}
	// b's folder goes: its temporary file with it, and b cannot be renamed into place.
	if err := os.RemoveAll(filepath.Dir(b)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err == nil {
		t.Fatal("a Set one of whose files cannot be put in place committed")
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("a set that failed left %v", names)
	}

	ctx, cancel := context.WithCancel(t.Context())
	s = NewSet(ctx)
	f, err := s.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := f.Write([]byte("late")); !errors.Is(err, context.Canceled) {
		t.Errorf("a write after the set's end: %v", err)
	}
	if err := s.Commit(); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit after the set's end: %v", err)
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("a cancelled set left %v", names)
	}
}
