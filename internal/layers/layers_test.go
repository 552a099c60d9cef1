package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The two modules' paths.
const (
	rootModule = "github.com/gmmsimd/gmmsimd"
	beamModule = rootModule + "/beam"
)

// beamLayer is the layer of beam/'s packages, the top one.
const beamLayer = 4

// layer returns the layer of the package path p (see the package doc), and false for a
// path outside the two modules or in none of the layers.
func layer(p string) (int, bool) {
	if p == beamModule || strings.HasPrefix(p, beamModule+"/") {
		return beamLayer, true
	}
	rel, ok := strings.CutPrefix(p, rootModule+"/")
	if !ok {
		return 0, false
	}
	top, _, _ := strings.Cut(rel, "/")
	switch top {
	case "internal", "gen", "interrupt", "sharedtest", "imagetest":
		return 0, true
	case "gmm":
		return 1, true
	case "segment":
		return 2, true
	case "cmd", "tools":
		return 3, true
	}
	return 0, false
}

// inProject reports whether p is a package path of the project, in either module or
// none of them (a package that does not exist yet).
func inProject(p string) bool { return p == rootModule || strings.HasPrefix(p, rootModule+"/") }

// internal reports whether the package path p has an element "internal": only packages
// under its parent may import it.
func internal(p string) bool {
	return slices.Contains(strings.Split(p, "/"), "internal")
}

// pkg is what go list says of a package: its path, and what it, its tests and its
// external tests import.
type pkg struct {
	Path    string
	Imports []string
}

// violations returns the broken rules of pkgs, one line each: a package in no layer, an
// import of a package in no layer or of a higher layer, and a beam/ package importing an
// internal package of the root module.
func violations(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		lp, ok := layer(p.Path)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s is in no layer: give it one in layer (layers_test.go) and the package doc", p.Path))
			continue
		}
		for _, imp := range p.Imports {
			if !inProject(imp) {
				continue
			}
			li, ok := layer(imp)
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("%s imports %s, which is in no layer", p.Path, imp))
			case li > lp:
				bad = append(bad, fmt.Sprintf("%s (layer %d) imports %s (layer %d), a layer above it", p.Path, lp, imp, li))
			case lp == beamLayer && li != beamLayer && internal(imp):
				bad = append(bad, fmt.Sprintf("%s imports %s, an internal package of the root module: beam/ must build against a published version", p.Path, imp))
			}
		}
	}
	return bad
}

// imagePackage reports whether p decodes, encodes or holds images: the standard
// library's image packages, golang.org/x/image's and the project's image application.
func imagePackage(p string) bool {
	for _, prefix := range []string{"image", "golang.org/x/image", rootModule + "/segment"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// A config is a build that go list reads the imports of: build constraints choose the
// files, and so the imports.
type config struct {
	name  string
	env   []string
	flags []string
}

var configs = []config{
	{"the default build", nil, nil},
	{"-tags purego", nil, []string{"-tags", "purego"}},
	{"linux/arm64", []string{"GOOS=linux", "GOARCH=arm64"}, nil},
	{"windows/amd64", []string{"GOOS=windows", "GOARCH=amd64"}, nil},
	{"js/wasm", []string{"GOOS=js", "GOARCH=wasm"}, nil},
}

// moduleRoot returns the root module's folder, two above this package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(mod), "\n"); first != "module "+rootModule {
		t.Fatalf("%s/go.mod starts %q, want module %s", dir, first, rootModule)
	}
	return dir
}

// goList runs go list -e in dir under cfg with extra environment env and returns the
// JSON objects it prints, one per package, and the errors go list gave.
func goList[T any](t *testing.T, dir string, cfg config, env []string, args ...string) (out []T, errs []string) {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"list", "-e"}, cfg.flags...), args...)...)
	cmd.Dir = dir
	// GOWORK=off: a go.work beside the checkout must not change what the modules import.
	cmd.Env = append(append(append(os.Environ(), "GOWORK=off"), cfg.env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		errs = append(errs, fmt.Sprintf("go list: %v: %s", err, strings.TrimSpace(stderr.String())))
	}
	dec := json.NewDecoder(&stdout)
	for {
		var v T
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: go list %s: %v", dir, strings.Join(args, " "), err)
		}
		out = append(out, v)
	}
	return out, errs
}

// listed is go list's JSON of a package, the fields asked for.
type listed struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
	Error                              *struct{ Err string }
}

// dep is go list -deps's JSON of a package, the fields asked for.
type dep struct {
	ImportPath string
	Imports    []string
}

// packages returns every package of the module in dir as go list sees it under cfg,
// with its tests' imports, and the errors met.
func packages(t *testing.T, dir string, cfg config, env ...string) ([]pkg, []string) {
	t.Helper()
	ls, errs := goList[listed](t, dir, cfg, env, "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	var pkgs []pkg
	for _, l := range ls {
		if l.Error != nil {
			errs = append(errs, l.ImportPath+": "+l.Error.Err)
		}
		pkgs = append(pkgs, pkg{l.ImportPath, slices.Concat(l.Imports, l.TestImports, l.XTestImports)})
	}
	return pkgs, errs
}

// need fails unless pkgs holds every one of paths: a listing that missed them would
// pass for the wrong reason.
func need(t *testing.T, what string, pkgs []pkg, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if !slices.ContainsFunc(pkgs, func(q pkg) bool { return q.Path == p }) {
			t.Fatalf("%s: go list gave no %s (%d packages)", what, p, len(pkgs))
		}
	}
}

// pkgsOf returns the packages of a go list -deps.
func pkgsOf(deps []dep) []pkg {
	var pkgs []pkg
	for _, d := range deps {
		pkgs = append(pkgs, pkg{d.ImportPath, d.Imports})
	}
	return pkgs
}

func TestNoPackageImportsAHigherLayer(t *testing.T) {
	root := moduleRoot(t)
	for _, cfg := range configs {
		pkgs, errs := packages(t, root, cfg)
		if len(errs) > 0 {
			t.Fatalf("%s: go list: %s", cfg.name, strings.Join(errs, "\n"))
		}
		need(t, cfg.name, pkgs, rootModule+"/gmm", rootModule+"/segment", rootModule+"/internal/kernel", rootModule+"/cmd/gmmseg")
		for _, v := range violations(pkgs) {
			t.Errorf("%s: %s", cfg.name, v)
		}
	}
}

func TestBeamImportsOnlyExportedPackages(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "beam")
	for _, cfg := range configs {
		// GOPROXY=off: the imports are read from beam/'s own files, and a machine that has
		// not downloaded Apache Beam yet must not fetch it for this. Its packages missing
		// are errors that change none of those imports.
		pkgs, errs := packages(t, dir, cfg, "GOPROXY=off")
		need(t, cfg.name, pkgs, beamModule+"/gmmbeam", beamModule+"/cmd/gmmbeam")
		if len(errs) > 0 {
			t.Logf("%s: go list's errors in beam/ (a module cache without Apache Beam): %s", cfg.name, strings.Join(errs, "\n"))
		}
		for _, v := range violations(pkgs) {
			t.Errorf("%s: beam/: %s", cfg.name, v)
		}
	}
}

func TestTheLibraryDependsOnNoImagePackage(t *testing.T) {
	root := moduleRoot(t)
	for _, cfg := range configs {
		deps, errs := goList[dep](t, root, cfg, nil, "-deps", "-json=ImportPath,Imports", "./gmm/...")
		if len(errs) > 0 {
			t.Fatalf("%s: %s", cfg.name, strings.Join(errs, "\n"))
		}
		need(t, cfg.name, pkgsOf(deps), rootModule+"/gmm", rootModule+"/internal/kernel")
		// Where a package that is not one of them brings an image package in.
		for _, d := range deps {
			for _, imp := range d.Imports {
				if imagePackage(imp) && !imagePackage(d.ImportPath) {
					t.Errorf("%s: %s imports %s: gmm/... depends on an image package", cfg.name, d.ImportPath, imp)
				}
			}
		}
	}
}

// TestTheRulesCatchWhatTheyForbid holds violations and imagePackage to every kind of
// edge they must refuse, and to the edges that are allowed.
func TestTheRulesCatchWhatTheyForbid(t *testing.T) {
	m := func(rel string) string { return rootModule + "/" + rel }
	b := func(rel string) string { return beamModule + "/" + rel }
	cases := []struct {
		from, to string
		bad      bool
	}{
		{m("internal/modelfile"), m("gmm"), true},
		{m("internal/parallel"), m("segment"), true},
		{m("internal/kernel"), m("cmd/gmmseg"), true},
		{m("internal/kernel"), b("gmmbeam"), true},
		{m("interrupt"), m("gmm"), true},
		{m("sharedtest"), m("cmd/internal/cmdtest"), true},
		{m("gmm"), m("segment"), true},
		{m("gmm/modelfile"), m("segment/inputs"), true},
		{m("gmm"), m("cmd/internal/figure"), true},
		{m("segment"), m("cmd/internal/fileid"), true},
		{m("cmd/gmmseg"), b("gmmbeam"), true},
		{b("gmmbeam"), m("internal/atomicfile"), true},
		{b("cmd/gmmbeam"), m("segment/internal/bigmem"), true},
		{b("cmd/gmmbeam"), m("cmd/internal/figure"), true},
		{m("gmm"), m("newtop"), true},
		{m("newtop/x"), m("gmm"), true},
		// Allowed: down or across, std and third-party packages, beam's own internals.
		{m("gmm"), m("internal/kernel"), false},
		{m("gmm/modelfile"), m("gmm"), false},
		{m("segment"), m("gmm"), false},
		{m("segment/libjpeg"), m("segment/internal/bigmem"), false},
		{m("cmd/gmmseg"), m("segment/inputs"), false},
		{m("internal/kernel"), m("gen/vmath"), false},
		{m("tools/peers"), m("gmm"), false},
		{b("cmd/gmmbeam"), m("interrupt"), false},
		{b("cmd/gmmbeam"), m("gmm/modelfile"), false},
		{b("cmd/gmmbeam"), b("internal/x"), false},
		{m("gmm"), "golang.org/x/sys/cpu", false},
	}
	for _, c := range cases {
		got := violations([]pkg{{c.from, []string{c.to}}})
		if bad := len(got) > 0; bad != c.bad {
			t.Errorf("%s importing %s: violations %q, want bad = %v", c.from, c.to, got, c.bad)
		}
	}
	for p, want := range map[string]bool{
		"image": true, "image/png": true, "golang.org/x/image/webp": true, m("segment"): true,
		m("segment/libjpeg"): true, "imagery": false, m("gmm"): false, m("imagetest"): false,
	} {
		if imagePackage(p) != want {
			t.Errorf("imagePackage(%q) = %v", p, !want)
		}
	}
}
