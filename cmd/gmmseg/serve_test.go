package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure/figuretest"
	"github.com/gmmsimd/gmmsimd/imagetest"
)

// syncBuffer is a buffer that a server's goroutines write and a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is the page's server on a loopback port, its log kept.
type testServer struct {
	*server
	url string
	log *syncBuffer
}

// startServer serves the page with serve's default flags and timeouts, changed by edit
// (if not nil), until the test ends. Every fit still under way then ends first: the
// server's Close waits for the requests it serves, and a long fit that a failed test
// left streaming to a client (a browser, a body not closed) would otherwise hold it for
// as long as the fit runs.
func startServer(t *testing.T, edit func(*serveConfig, *timeouts)) *testServer {
	t.Helper()
	sc, err := parseServeFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	tm := serveTimeouts
	if edit != nil {
		edit(sc, &tm)
	}
	logged := &syncBuffer{}
	s := newServer(sc, log.New(logged, "", 0), true)
	s.timeouts = tm
	ts := httptest.NewUnstartedServer(nil)
	served, endFits := context.WithCancel(context.Background())
	ts.Config = s.httpServer(served)
	ts.Start()
	t.Cleanup(func() {
		endFits()
		ts.Close()
	})
	return &testServer{s, ts.URL, logged}
}

// post posts body (none if nil) to path on the server, ended by ctx.
func (ts *testServer) post(t *testing.T, ctx context.Context, path string, body []byte) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// get fetches path from the server and returns the response's status, body and type.
func (ts *testServer) get(t *testing.T, path string) (int, []byte, string) {
	t.Helper()
	resp, err := http.Get(ts.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body, resp.Header.Get("Content-Type")
}

// servedEvent is one server-sent event of a fit's stream.
type servedEvent struct {
	Name string
	Data json.RawMessage
}

// readEvents reads a fit's stream, calling on with each event until on returns false or
// the stream ends, and returns the events read and the number of comments (keep-alives).
func readEvents(r io.Reader, on func(servedEvent) bool) (events []servedEvent, comments int) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var ev servedEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.Name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.Data = json.RawMessage(line[len("data: "):])
		case strings.HasPrefix(line, ":"):
			comments++
		case line == "" && ev.Name != "":
			events = append(events, ev)
			if on != nil && !on(ev) {
				return events, comments
			}
			ev = servedEvent{}
		}
	}
	return events, comments
}

// fitEvents posts a fit of body (or of the example the query names) with the settings of
// query and reads its whole stream, which must start.
func (ts *testServer) fitEvents(ctx context.Context, q url.Values, body []byte) ([]servedEvent, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	resp, err := http.Post(ts.url+"/api/fits?"+q.Encode(), "application/octet-stream", r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%v: %s %s", q, resp.Status, b)
	}
	events, _ := readEvents(resp.Body, nil)
	if len(events) < 2 || events[0].Name != "fit" {
		return nil, fmt.Errorf("%v: the stream %v does not start with the fit's id", q, names(events))
	}
	return events, nil
}

// fitQuery is fitEvents, failing the test on an error.
func (ts *testServer) fitQuery(t *testing.T, q url.Values, body []byte) []servedEvent {
	t.Helper()
	events, err := ts.fitEvents(t.Context(), q, body)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// names are the events' names.
func names(events []servedEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Name)
	}
	return out
}

// decodeEvent decodes ev's data into v.
func decodeEvent(t *testing.T, ev servedEvent, v any) {
	t.Helper()
	if err := json.Unmarshal(ev.Data, v); err != nil {
		t.Fatalf("event %s: %v: %s", ev.Name, err, ev.Data)
	}
}

// ended returns the stream's last event, which must be called name, decoded into v.
func ended(t *testing.T, events []servedEvent, name string, v any) {
	t.Helper()
	last := events[len(events)-1]
	if last.Name != name {
		t.Fatalf("the stream ended with %s %s, want %s (events %v)", last.Name, last.Data, name, names(events))
	}
	decodeEvent(t, last, v)
}

// query makes a query of key, value pairs.
func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// The page, its files and the bundled examples are served, with headers that keep the
// page to its own files; an unknown example is a 404 that says so.
func TestServePageAndExamples(t *testing.T) {
	ts := startServer(t, nil)
	for path, want := range map[string]string{"/": `<script src="app.js"`, "/app.js": "readEvents", "/style.css": "#compare"} {
		code, body, _ := ts.get(t, path)
		if code != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, %.80q", path, code, body)
		}
	}
	resp, err := http.Get(ts.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	var list []example
	_, body, _ := ts.get(t, "/api/examples")
	if err := json.Unmarshal(body, &list); err != nil || len(list) != len(examples) {
		t.Fatalf("examples %s: %v", body, err)
	}
	for _, ex := range examples {
		code, body, typ := ts.get(t, "/examples/"+ex.Name)
		if code != http.StatusOK || !bytes.Equal(body, ex.data) || typ != "image/png" {
			t.Errorf("%s: %d, %d bytes of %s", ex.Name, code, len(body), typ)
		}
		if _, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
	}
	if code, body, _ := ts.get(t, "/examples/nope.png"); code != http.StatusNotFound || !strings.Contains(string(body), "no example") {
		t.Errorf("an unknown example: %d %s", code, body)
	}
	var st statusDoc
	_, body, _ = ts.get(t, "/api/status")
	if err := json.Unmarshal(body, &st); err != nil || st.Jobs != 1 || st.MaxPixels != servePixels || st.MaxUpload != 64<<20 {
		t.Errorf("status %s: %v", body, err)
	}
}

// commandRun runs gmmseg on the image data, saved as name in a new folder, with args and
// the outputs the page's fits make, and returns its JSON document and its outputs by
// name.
func commandRun(t *testing.T, name string, data []byte, args ...string) (map[string]any, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, append([]string{"--json", "--visualization=1", "--first-image=" + in,
		"--out=" + filepath.Join(out, stem+"_segmented.png"), "--labels=" + filepath.Join(out, stem+"_labels.png"),
		"--save-model=" + filepath.Join(out, stem+"_model.json")}, args...)...)
	if r.Code != 0 {
		t.Fatalf("gmmseg %v: exit %d: %s", args, r.Code, r.Stderr)
	}
	files := map[string][]byte{}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files[e.Name()] = readBytes(t, filepath.Join(out, e.Name()))
	}
	return comparable(t, []byte(r.Stdout)), files
}

// comparable is a JSON document without what differs between the page's fit and the
// command's run of the same image: the paths, the threads and the times.
func comparable(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	for _, k := range []string{"output", "labels", "saved_model", "figures", "threads", "elapsed_seconds"} {
		delete(m, k)
	}
	delete(m["image"].(map[string]any), "path")
	return m
}

// A fit of the page is the command's run of the same image and settings: the same JSON
// document, iteration for iteration, and the same outputs byte for byte (the
// segmentation, the labels, the model and --visualization=1's figures). Its frames are
// the steps drawn, every panel holding data, the last the fit's last iteration.
func TestServeFitIsTheCommands(t *testing.T) {
	ts := startServer(t, nil)
	gophers := findExample("gophers.png")
	coins := findExample("coins.png")
	for _, c := range []struct {
		what  string
		q     url.Values
		body  []byte // nil for the example named in q
		image []byte
		name  string
		args  []string
	}{
		{"camera.png uploaded, K = 3", query("name", "camera.png", "components", "3"), exampleImage, exampleImage, "camera.png",
			[]string{"--components=3"}},
		{"the gophers in L*a*b*, diagonal", query("example", "gophers.png", "channel", "lab", "components", "4", "covariance", "diag", "iterations", "12"),
			nil, gophers.data, "gophers.png", []string{"--channel=lab", "--components=4", "--covariance=diag", "--iterations=12"}},
		{"the coins, K by BIC, k-means++", query("example", "coins.png", "components", "auto", "components-range", "2-4", "init", "kmeans++", "seed", "3", "palette", "true"),
			nil, coins.data, "coins.png", []string{"--components=auto", "--components-range=2-4", "--init=kmeans++", "--seed=3", "--palette"}},
	} {
		t.Run(c.what, func(t *testing.T) {
			events := ts.fitQuery(t, c.q, c.body)
			var res resultEvent
			ended(t, events, "result", &res)
			wantDoc, wantFiles := commandRun(t, c.name, c.image, c.args...)
			if got := comparable(t, res.Document); !reflect.DeepEqual(got, wantDoc) {
				t.Errorf("the page's document differs from the command's:\n%v\n%v", got, wantDoc)
			}
			refs := append([]fileRef{res.Segmentation, res.Labels, res.Model}, res.Figures...)
			if got, want := len(refs), len(wantFiles); got != want {
				t.Errorf("%d outputs, the command wrote %d", got, want)
			}
			for _, ref := range refs {
				code, body, _ := ts.get(t, ref.URL)
				if code != http.StatusOK || !bytes.Equal(body, wantFiles[ref.Name]) {
					t.Errorf("%s: %d, %d bytes; the command's has %d", ref.Name, code, len(body), len(wantFiles[ref.Name]))
				}
			}
			checkFrames(t, events, res.Document, c.q.Get("components") != "auto")
		})
	}
}

// checkFrames checks a finished fit's frames: at least one, every one drawn with its three
// panels holding data, the iterations counted up; and, for a fit of one number of
// components (last), the last one the document's last iteration.
func checkFrames(t *testing.T, events []servedEvent, doc json.RawMessage, last bool) {
	t.Helper()
	var frames []frameEvent
	for _, e := range events {
		if e.Name == "frame" {
			var f frameEvent
			decodeEvent(t, e, &f)
			frames = append(frames, f)
		}
	}
	if len(frames) == 0 {
		t.Fatal("no frame")
	}
	for i, f := range frames {
		b, err := base64.StdEncoding.DecodeString(f.PNG)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if blank := figuretest.BlankPanels(img, 3, 3); len(blank) > 0 {
			t.Errorf("frame %d: blank panels %v", i, blank)
		}
		if i > 0 && f.Iterations <= frames[i-1].Iterations {
			t.Errorf("frame %d after %d iterations follows one after %d", i, f.Iterations, frames[i-1].Iterations)
		}
	}
	var d struct {
		Iterations []struct {
			LogLikelihood float64 `json:"log_likelihood"`
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	f := frames[len(frames)-1]
	if n := len(d.Iterations); last && (f.Iteration != n-1 || f.LogLikelihood != d.Iterations[n-1].LogLikelihood || f.Iterations != n) {
		t.Errorf("the last frame is iteration %d of %d (log-likelihood %v), the fit's %d (%v)", f.Iteration, f.Iterations, f.LogLikelihood, n-1, d.Iterations[n-1].LogLikelihood)
	}
}

// A fit of the page writes nothing to disk: its outputs are kept in memory, for the page
// to fetch, and the working directory, the temporary one and the home stay empty.
func TestServeWritesNothing(t *testing.T) {
	dirs := map[string]string{"working": t.TempDir(), "TMPDIR": t.TempDir(), "HOME": t.TempDir(), "XDG_CACHE_HOME": t.TempDir()}
	t.Chdir(dirs["working"])
	for _, env := range []string{"TMPDIR", "HOME", "XDG_CACHE_HOME"} {
		t.Setenv(env, dirs[env])
	}
	ts := startServer(t, nil)
	for _, c := range []struct {
		q    url.Values
		body []byte
	}{
		{query("name", "camera.png", "components", "3", "iterations", "2"), exampleImage},
		{query("example", "gophers.png", "channel", "rgb", "iterations", "1"), nil},
	} {
		var res resultEvent
		ended(t, ts.fitQuery(t, c.q, c.body), "result", &res)
		for _, ref := range append([]fileRef{res.Segmentation, res.Labels, res.Model}, res.Figures...) {
			if code, body, _ := ts.get(t, ref.URL); code != http.StatusOK || len(body) == 0 {
				t.Errorf("%v: %s: %d, %d bytes", c.q, ref.Name, code, len(body))
			}
		}
	}
	for what, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) > 0 {
			t.Errorf("the %s directory holds %v (%v)", what, entries, err)
		}
	}
}

// A file of a fit that never was, or that the fit did not make, is a 404 that says so.
func TestServeFilesOfFitsUnknown(t *testing.T) {
	ts := startServer(t, nil)
	var res resultEvent
	ended(t, ts.fitQuery(t, query("example", "coins.png", "iterations", "1"), nil), "result", &res)
	id := strings.Split(res.Segmentation.URL, "/")[3]
	for _, path := range []string{"/api/fits/" + id + "/files/other.png", "/api/fits/nope/files/" + res.Segmentation.Name, "/api/fits/" + id + "/files/..%2F..%2Fetc%2Fpasswd"} {
		if code, body, _ := ts.get(t, path); code != http.StatusNotFound || !strings.Contains(string(body), "no file") {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	if code, _, _ := ts.get(t, res.Segmentation.URL); code != http.StatusOK {
		t.Errorf("GET %s: %d", res.Segmentation.URL, code)
	}
}

// The finished fits' outputs are kept within their bounds: the newest so many, within a
// number of bytes, each for a while; the oldest go first.
func TestServeKeepsResultsWithinBounds(t *testing.T) {
	files := func(n int) map[string][]byte { return map[string][]byte{"f": make([]byte, n)} }
	kept := func(r *results, ids ...string) []string {
		var out []string
		for _, id := range ids {
			if _, _, ok := r.get(id, "f"); ok {
				out = append(out, id)
			}
		}
		return out
	}
	r := newResults(2, 1000, time.Hour)
	r.put("a", files(10))
	r.put("b", files(10))
	r.put("c", files(10))
	if got := kept(r, "a", "b", "c"); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("at most 2 kept: %v", got)
	}
	r.put("d", files(995))
	if got := kept(r, "b", "c", "d"); !slices.Equal(got, []string{"d"}) || r.bytes != 995 {
		t.Errorf("at most 1000 bytes kept: %v, %d bytes", got, r.bytes)
	}
	r = newResults(2, 1000, 50*time.Millisecond)
	r.put("e", files(1))
	time.Sleep(60 * time.Millisecond)
	r.put("f", files(1))
	if got := kept(r, "e", "f"); !slices.Equal(got, []string{"f"}) {
		t.Errorf("each kept for 50 ms: %v after 60 ms", got)
	}
}

// fitWorks checks that a fit of the example runs to its result: the server still serves.
func fitWorks(t *testing.T, ts *testServer) {
	t.Helper()
	var res resultEvent
	ended(t, ts.fitQuery(t, query("example", "coins.png", "iterations", "1"), nil), "result", &res)
}

// Hostile uploads, header bombs of every format, a truncated file, text, random bytes,
// an image of no pixels, get an error on the page and in the log, and the next fit
// works.
func TestServeHostileUploads(t *testing.T) {
	ts := startServer(t, nil)
	var zero bytes.Buffer
	png.Encode(&zero, image.NewGray(image.Rect(0, 0, 2, 2)))
	copy(zero.Bytes()[16:24], make([]byte, 8)) // width and height 0
	random := make([]byte, 10_000)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	cases := map[string]struct {
		body []byte
		says string
	}{
		"cut.png":       {exampleImage[:len(exampleImage)/3], "corrupt png data: png: invalid format: not enough pixel data"},
		"cut-short.png": {exampleImage[:40], "png data end too early: the file is truncated"},
		"text.png":      {[]byte("plain text, not an image at all"), "not a PNG"},
		"random.jpg":    {random, "not a PNG"},
		"zero.png":      {zero.Bytes(), "png"},
	}
	for ext, data := range imagetest.Bombs() {
		cases["bomb"+ext] = struct {
			body []byte
			says string
		}{data, "image too large"}
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		c := cases[name]
		var e struct{ Error string }
		ended(t, ts.fitQuery(t, query("name", name), c.body), "error", &e)
		if !strings.Contains(e.Error, c.says) {
			t.Errorf("%s: %q, want it to say %q", name, e.Error, c.says)
		}
		if !strings.Contains(ts.log.String(), name+": "+e.Error) {
			t.Errorf("%s: the log does not give the error:\n%s", name, ts.log)
		}
		fitWorks(t, ts)
	}
	if !strings.Contains(ts.log.String(), "--max-pixels") {
		t.Error("the bombs' errors do not name --max-pixels")
	}
}

// An upload beyond --max-upload, whether its length is declared or not, is refused with
// 413 before it is read whole; no upload at all is a 400; both say why.
func TestServeRefusesOversizeAndEmptyUploads(t *testing.T) {
	ts := startServer(t, func(sc *serveConfig, _ *timeouts) { sc.maxUpload = 1 })
	big := bytes.Repeat([]byte{1}, 1<<20+1)
	for _, declared := range []bool{true, false} {
		req, err := http.NewRequest(http.MethodPost, ts.url+"/api/fits?name=big.png", io.MultiReader(bytes.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		if declared {
			req.ContentLength = int64(len(big))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "--max-upload") {
			t.Errorf("declared %v: %s %s", declared, resp.Status, body)
		}
	}
	resp := ts.post(t, t.Context(), "/api/fits?name=none.png", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "no image") {
		t.Errorf("no upload: %s %s", resp.Status, body)
	}
	fitWorks(t, ts)
}

// Bad settings are refused before anything is read, with the command's own messages.
func TestServeRefusesBadSettings(t *testing.T) {
	ts := startServer(t, nil)
	for q, says := range map[string]string{
		"example=camera.png&components=0":                         "--components=0: want at least 1",
		"example=camera.png&channel=infrared":                     "--channel",
		"example=camera.png&covariance=diag":                      "--covariance goes with a colour space",
		"example=camera.png&iterations=0":                         "--iterations=0",
		"example=camera.png&out=/etc/passwd":                      `unknown setting "out"`,
		"example=camera.png&components=2&components=3":            "given 2 times",
		"example=nope.png":                                        `no example "nope.png"`,
		"example=camera.png&components=auto&components-range=5-2": "--components-range=5-2",
	} {
		resp := ts.post(t, t.Context(), "/api/fits?"+q, nil)
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, says) {
			t.Errorf("%s: %s %q, want 400 saying %q", q, resp.Status, e.Error, says)
		}
	}
}

// A POST from another site's page, and any request naming a host other than loopback's
// (DNS rebinding), are refused.
func TestServeRefusesOtherOrigins(t *testing.T) {
	ts := startServer(t, nil)
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/api/fits?example=camera.png", nil)
	req.Header.Set("Origin", "http://elsewhere.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST: %s", resp.Status)
	}
	req, _ = http.NewRequest(http.MethodGet, ts.url+"/", nil)
	req.Host = "rebound.example:8080"
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host rebound.example: %s", resp.Status)
	}
	for host, ok := range map[string]bool{"localhost:1": true, "127.0.0.1": true, "[::1]:80": true, "LOCALHOST": true, "127.9.9.9:5": true, "10.0.0.1": false, "example.com": false, "": false} {
		if loopbackHost(host) != ok {
			t.Errorf("loopbackHost(%q) = %v", host, !ok)
		}
	}
}

// 20 fits at once with --jobs=2: at most two run at a time, the others wait their turn
// (and are told their place), and every one ends with the same result as the command's.
// Two iterations each: the figures of more take minutes under the race detector.
func TestServeTwentyConcurrentFits(t *testing.T) {
	ts := startServer(t, func(sc *serveConfig, _ *timeouts) { sc.jobs, sc.queue = 2, 32 })
	wantDoc, _ := commandRun(t, "camera.png", exampleImage, "--components=3", "--iterations=2")
	const n = 20
	docs := make([]json.RawMessage, n)
	waited := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			events, err := ts.fitEvents(t.Context(), query("name", "camera.png", "components", "3", "iterations", "2"), exampleImage)
			if err != nil {
				t.Error(err)
				return
			}
			var res resultEvent
			for _, e := range events {
				var p placeEvent
				if e.Name == "queue" && json.Unmarshal(e.Data, &p) == nil && p.Position > 0 {
					waited[i] = true
				}
				if e.Name == "result" && json.Unmarshal(e.Data, &res) == nil {
					docs[i] = res.Document
				}
			}
		})
	}
	wg.Wait()
	for i, d := range docs {
		if d == nil || !reflect.DeepEqual(comparable(t, d), wantDoc) {
			t.Errorf("fit %d has no result, or one that differs from the command's run: %s", i, d)
		}
	}
	if ts.queue.peak != 2 || !slices.Contains(waited, true) {
		t.Errorf("at most %d fits ran at once (want 2); some waited their turn: %v", ts.queue.peak, slices.Contains(waited, true))
	}
	if running, waiting := ts.queue.counts(); running != 0 || waiting != 0 {
		t.Errorf("%d fits running and %d waiting after all ended", running, waiting)
	}
}

// longFit is a fit of the example that runs for minutes: a million iterations over its
// pixels.
var longFit = query("example", "camera.png", "method", "pixels", "iterations", "1000000")

// startLong starts a long fit, ended with ctx, and returns its id and the stream, read up
// to its first frame (or, if it waits its turn, its first place in the queue).
func (ts *testServer) startLong(t *testing.T, ctx context.Context, untilFrame bool) (string, *http.Response) {
	t.Helper()
	resp := ts.post(t, ctx, "/api/fits?"+longFit.Encode(), nil)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s", resp.Status, b)
	}
	var id struct{ ID string }
	readEvents(resp.Body, func(e servedEvent) bool {
		switch e.Name {
		case "fit":
			decodeEvent(t, e, &id)
		case "frame":
			return false
		case "queue":
			return untilFrame
		}
		return true
	})
	return id.ID, resp
}

// waitIdle waits until no fit runs or waits, or fails the test after a while.
func (ts *testServer) waitIdle(t *testing.T, what string) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		running, waiting := ts.queue.counts()
		if running == 0 && waiting == 0 {
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: %d fits still running and %d waiting after 10 s", what, running, waiting)
		}
	}
}

// Cancel stops a fit under way: its stream ends saying so and how long it took to stop,
// its place is given up, and the log says it; a fit that has ended cannot be cancelled.
func TestServeCancel(t *testing.T) {
	ts := startServer(t, nil)
	id, resp := ts.startLong(t, t.Context(), true)
	defer resp.Body.Close()
	c := ts.post(t, t.Context(), "/api/fits/"+id+"/cancel", nil)
	c.Body.Close()
	if c.StatusCode != http.StatusNoContent {
		t.Fatalf("cancel: %s", c.Status)
	}
	events, _ := readEvents(resp.Body, nil)
	var cancelled struct {
		Iterations   int
		AfterSeconds float64 `json:"after_seconds"`
	}
	ended(t, events, "cancelled", &cancelled)
	// A tile takes well under a millisecond; the bound leaves room for a busy machine.
	if cancelled.Iterations < 1 || cancelled.AfterSeconds > 2 {
		t.Errorf("cancelled after %d iterations, stopping %v s after Cancel", cancelled.Iterations, cancelled.AfterSeconds)
	}
	ts.waitIdle(t, "after Cancel")
	if !strings.Contains(ts.log.String(), "cancelled on the page") {
		t.Errorf("the log does not say the fit was cancelled:\n%s", ts.log)
	}
	c = ts.post(t, t.Context(), "/api/fits/"+id+"/cancel", nil)
	c.Body.Close()
	if c.StatusCode != http.StatusNotFound {
		t.Errorf("cancelling an ended fit: %s", c.Status)
	}
}

// A page that goes away (a closed tab: its request ends) stops its fit.
func TestServeClientThatDisconnectsStopsItsFit(t *testing.T) {
	ts := startServer(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	_, resp := ts.startLong(t, ctx, true)
	cancel()
	resp.Body.Close()
	ts.waitIdle(t, "after the page went away")
	for start := time.Now(); !strings.Contains(ts.log.String(), "the page went away"); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the log does not say the page went away:\n%s", ts.log)
		}
	}
	fitWorks(t, ts)
}

// With --jobs=1 and --queue=1, a second fit waits its turn, told its place, a third is
// refused with 503; a fit that waits longer than the server's read and write timeouts
// (its stream kept open by comments) runs when the first ends.
func TestServeQueueAndTimeouts(t *testing.T) {
	ts := startServer(t, func(sc *serveConfig, tm *timeouts) {
		sc.queue = 1
		tm.read, tm.write, tm.keepAlive = 300*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond
	})
	first, resp := ts.startLong(t, t.Context(), true)
	defer resp.Body.Close()
	// The second's stream ends once the first is cancelled. Were the cancel lost, the
	// first (a million iterations) would hold the queue for many minutes: the second's
	// wait is bounded, and the test fails instead.
	bounded, endWait := context.WithTimeout(t.Context(), time.Minute)
	defer endWait()
	second := ts.post(t, bounded, "/api/fits?example=camera.png", nil)
	defer second.Body.Close()
	third := ts.post(t, t.Context(), "/api/fits?example=camera.png", nil)
	body, _ := io.ReadAll(third.Body)
	third.Body.Close()
	if third.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "--queue") {
		t.Errorf("a fit beyond the queue: %s %s", third.Status, body)
	}
	time.AfterFunc(1200*time.Millisecond, func() {
		c, err := http.Post(ts.url+"/api/fits/"+first+"/cancel", "", nil)
		if err != nil {
			t.Errorf("Cancel of the first fit: %v", err)
			return
		}
		c.Body.Close()
		if c.StatusCode != http.StatusNoContent {
			t.Errorf("Cancel of the first fit: %s", c.Status)
		}
	})
	events, comments := readEvents(second.Body, nil)
	var place placeEvent
	decodeEvent(t, events[1], &place)
	if events[1].Name != "queue" || place.Position != 1 || place.Running != 1 {
		t.Errorf("the second fit's place: %s %s", events[1].Name, events[1].Data)
	}
	var res resultEvent
	ended(t, events, "result", &res)
	if comments == 0 {
		t.Error("no comment kept the waiting stream open")
	}
}

// A slow request's header, a slow upload, and a fit that takes longer than --timeout,
// are cut off; the upload's error is logged.
func TestServeRequestAndFitTimeouts(t *testing.T) {
	ts := startServer(t, func(sc *serveConfig, tm *timeouts) {
		sc.timeout, tm.readHeader, tm.read = 300*time.Millisecond, 200*time.Millisecond, 300*time.Millisecond
	})
	for what, request := range map[string]string{
		"a header never finished": "GET / HTTP/1.1\r\nHost: localhost\r\n",
		"an upload never finished": "POST /api/fits?name=slow.png HTTP/1.1\r\nHost: localhost\r\n" +
			"Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n\x89PNG\r\n",
	} {
		conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", strings.TrimPrefix(ts.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, request) // and never the rest
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		if _, err := io.ReadAll(conn); err != nil || time.Since(start) > 3*time.Second {
			t.Errorf("%s: the connection ended after %v (%v)", what, time.Since(start), err)
		}
	}
	if !strings.Contains(ts.log.String(), "POST /api/fits: 400: reading the upload: ") {
		t.Errorf("the slow upload is not logged:\n%s", ts.log)
	}
	var e struct{ Error string }
	ended(t, ts.fitQuery(t, longFit, nil), "error", &e)
	if !strings.Contains(e.Error, "longer than --timeout=300ms") {
		t.Errorf("a fit beyond --timeout: %q", e.Error)
	}
}

// serving runs gmmseg serve with args until ctx ends, and returns the page's address
// once it is served, and a channel of the exit status.
func serving(t *testing.T, ctx context.Context, args ...string) (string, *syncBuffer, <-chan int) {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	status := make(chan int, 1)
	go func() { status <- run(ctx, append([]string{"serve"}, args...), stdout, stderr) }()
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		if out, ok := strings.CutPrefix(stdout.String(), "gmmseg: serving the page on "); ok && strings.HasSuffix(out, "\n") {
			return strings.TrimSpace(out), stderr, status
		}
		select {
		case code := <-status:
			t.Fatalf("gmmseg serve %v: exit %d: %s", args, code, stderr)
		default:
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("gmmseg serve %v: no address after 10 s: %s", args, stderr)
		}
	}
}

// gmmseg serve prints the page's address and serves it until its context ends, then
// stops, saying so, with an interrupt's exit status; a fit under way ends with it.
func TestServeCommandServesUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, stderr, status := serving(t, ctx, "--addr=127.0.0.1:0")
	resp, err := http.Get(addr + "api/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(stderr.String(), "warning") {
		t.Fatalf("status %s; stderr %s", resp.Status, stderr)
	}
	fit, err := http.Post(addr+"api/fits?"+longFit.Encode(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fit.Body.Close()
	readEvents(fit.Body, func(e servedEvent) bool { return e.Name != "frame" })
	cancel()
	select {
	case code := <-status:
		if code != exitCancelled || !strings.Contains(stderr.String(), "gmmseg: interrupted: the server stopped") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not stop")
	}
	events, _ := readEvents(fit.Body, nil)
	if len(events) == 0 || events[len(events)-1].Name != "error" {
		t.Errorf("the fit's stream ended with %v", names(events))
	}
}

// An address beyond loopback gets a warning, and the server answers for any host.
func TestServeWarnsBeyondLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	addr, stderr, status := serving(t, ctx, "--addr=0.0.0.0:0")
	if !strings.Contains(stderr.String(), "warning: listening on ") || !strings.Contains(stderr.String(), "anyone on that network") {
		t.Errorf("no warning: %s", stderr)
	}
	if !strings.HasPrefix(addr, "http://localhost:") {
		t.Errorf("the page's address on every interface is %s, want localhost's", addr)
	}
	req, _ := http.NewRequest(http.MethodGet, addr+"api/status", nil)
	req.Host = "segmenter.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another host's name: %s", resp.Status)
	}
	cancel()
	<-status
}

// serve's misused flags exit 2 with a line that says why; -h prints its flags.
func TestServeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--jobs=0"}, "--jobs=0"},
		{[]string{"--queue=-1"}, "--queue=-1"},
		{[]string{"--max-upload=0"}, "--max-upload=0"},
		{[]string{"--timeout=0s"}, "--timeout=0s"},
		{[]string{"--max-pixels=0"}, "--max-pixels=0"},
		{[]string{"--kernel=fastest"}, "--kernel"},
		{[]string{"--threads=-1"}, "--threads=-1"},
		{[]string{"photo.png"}, "serve takes no arguments"},
		{[]string{"--components=3"}, "flag provided but not defined: -components"},
	} {
		r := runCmd(t, append([]string{"serve"}, c.args...)...)
		if r.Code != exitUsage || !strings.Contains(r.Stderr, c.says) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("serve %v: exit %d, %q", c.args, r.Code, r.Stderr)
		}
	}
	r := runCmd(t, "serve", "-h")
	if r.Code != exitOK || !strings.Contains(r.Stdout, "-addr host:port") || !strings.Contains(r.Stdout, "-max-upload MiB") {
		t.Errorf("serve -h: exit %d: %s", r.Code, r.Stdout)
	}
	if r := runCmd(t, "-h"); !strings.Contains(r.Stdout, "gmmseg serve [flags]") {
		t.Errorf("gmmseg -h does not mention serve: %s", r.Stdout)
	}
}
