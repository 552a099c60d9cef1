package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// webFiles are the page: plain HTML, CSS and JavaScript, served as they are.
//
//go:embed web
var webFiles embed.FS

// exampleFiles are the page's examples besides the built-in camera.png: coins.png
// (scikit-image's, BSD-3-Clause) and gophers.png (golang.org/x/image's
// blue-purple-pink-large.png, BSD-3-Clause).
//
//go:embed examples
var exampleFiles embed.FS

// example is an image the page offers.
type example struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	data  []byte
}

// examples are the page's bundled images.
var examples = func() []example {
	read := func(name string) []byte {
		b, err := exampleFiles.ReadFile("examples/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot fail
		}
		return b
	}
	return []example{
		{exampleName, "a photographer and his camera (512x512, gray)", exampleImage},
		{"coins.png", "Greek coins (384x303, gray)", read("coins.png")},
		{"gophers.png", "three plush gophers (600x400, colour)", read("gophers.png")},
	}
}()

// pageSettings are the command's flags that the page sets, by their names: the rest are
// serve's (fitArgs) or the page's own (the outputs, the figures).
var pageSettings = []string{"channel", "components", "components-range", "covariance", "iterations", "init", "seed", "n-init", "tol", "min-variance", "method", "palette"}

// server serves the page and runs its fits.
type server struct {
	sc       *serveConfig
	log      *log.Logger
	loopback bool // listening on loopback only: requests must name it (checkHost)
	queue    *queue
	results  *results
	timeouts timeouts // serveTimeouts; tests shorten them

	mu   sync.Mutex
	fits map[string]*fitRun // under way, by id
}

func newServer(sc *serveConfig, logger *log.Logger, loopback bool) *server {
	return &server{
		sc: sc, log: logger, loopback: loopback,
		queue:    newQueue(sc.jobs, sc.queue),
		results:  newResults(maxResults, maxResultBytes, resultLife),
		timeouts: serveTimeouts,
		fits:     map[string]*fitRun{},
	}
}

// handler routes the page's requests. Requests that change something (POST) from another
// origin are refused, as are, on loopback, requests for any other host (checkHost).
func (s *server) handler() http.Handler {
	web, _ := fs.Sub(webFiles, "web") // embedded: cannot fail
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(web))
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("GET /api/examples", s.listExamples)
	mux.HandleFunc("GET /examples/{name}", s.example)
	mux.HandleFunc("POST /api/fits", s.fit)
	mux.HandleFunc("POST /api/fits/{id}/cancel", s.cancel)
	mux.HandleFunc("GET /api/fits/{id}/files/{name}", s.file)
	cross := http.NewCrossOriginProtection()
	cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, http.StatusForbidden, errors.New("a request from another site's page is refused"))
	}))
	return s.secure(cross.Handler(mux))
}

// contentPolicy lets the page load only its own files, and images of its own or made in
// it (an upload shown from a blob: URL).
const contentPolicy = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// secure sets the headers every response carries and refuses, when the server listens on
// loopback, a request whose Host is not a loopback name: a page elsewhere whose name
// resolves to 127.0.0.1 (DNS rebinding) cannot reach it.
func (s *server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if s.loopback && !loopbackHost(r.Host) {
			s.refuse(w, r, http.StatusMisdirectedRequest, fmt.Errorf("this server answers for localhost only, not %q", r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether host (a request's Host, with or without a port) names
// this machine's loopback: localhost or a loopback address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refuse answers a request with an error, as JSON ({"error": ...}), and logs it.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := oneLine(err)
	s.log.Printf("%s %s: %d: %s", r.Method, r.URL.Path, status, msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// reply answers with v as JSON.
func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// statusDoc is what /api/status says: the fits running and waiting, and the bounds.
type statusDoc struct {
	Running   int   `json:"running"`
	Waiting   int   `json:"waiting"`
	Jobs      int   `json:"jobs"`
	Queue     int   `json:"queue"`
	MaxPixels int64 `json:"max_pixels"`
	MaxUpload int64 `json:"max_upload_bytes"`
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	running, waiting := s.queue.counts()
	reply(w, statusDoc{running, waiting, s.sc.jobs, s.sc.queue, s.sc.maxPixels, s.sc.maxUpload << 20})
}

func (s *server) listExamples(w http.ResponseWriter, r *http.Request) { reply(w, examples) }

// example serves a bundled image by its name.
func (s *server) example(w http.ResponseWriter, r *http.Request) {
	ex := findExample(r.PathValue("name"))
	if ex == nil {
		s.refuse(w, r, http.StatusNotFound, fmt.Errorf("no example %q", r.PathValue("name")))
		return
	}
	http.ServeContent(w, r, ex.Name, time.Time{}, bytes.NewReader(ex.data))
}

// findExample returns the bundled image called name, or nil.
func findExample(name string) *example {
	i := slices.IndexFunc(examples, func(e example) bool { return e.Name == name })
	if i < 0 {
		return nil
	}
	return &examples[i]
}

// fitConfig makes the command's config of a fit from the page's query: its settings, by
// the command's flag names, are checked as the command checks its flags, with serve's
// (fitArgs); the image is the upload (named by "name") or a bundled example ("example").
// The fit reports as --json does, draws --visualization=1's figures, and keeps the
// segmentation, the labels and the model in memory.
func (s *server) fitConfig(q url.Values) (*config, error) {
	var args []string
	name := ""
	var ex *example
	for _, key := range slices.Sorted(maps.Keys(q)) {
		v := q[key]
		switch {
		case len(v) != 1:
			return nil, fmt.Errorf("%s is given %d times", key, len(v))
		case key == "name":
			name = v[0]
		case key == "example":
			if ex = findExample(v[0]); ex == nil {
				return nil, fmt.Errorf("no example %q", v[0])
			}
		case slices.Contains(pageSettings, key):
			args = append(args, "--"+key+"="+v[0])
		default:
			return nil, fmt.Errorf("unknown setting %q", key)
		}
	}
	c, err := parseFlags(append(args, s.sc.fitArgs()...))
	if err != nil {
		return nil, err
	}
	c.json, c.compact, c.quiet, c.visualization = true, true, true, 1
	c.threads = shareCores(c.threads, s.sc.jobs)
	c.imageName = uploadName(name)
	if ex != nil {
		c.image, c.imageName = ex.data, ex.Name
	}
	stem := strings.TrimSuffix(c.imageName, path.Ext(c.imageName))
	c.out, c.labels, c.saveModel = stem+outputSuffix+".png", stem+"_labels.png", stem+"_model.json"
	return c, nil
}

// uploadName is the name an upload goes by in the outputs' names and the log: the last
// element of the name the page gave, printable characters only, at most 100 of them, or
// "upload".
func uploadName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) && r != '/' {
			return r
		}
		return -1
	}, name)
	if r := []rune(name); len(r) > 100 {
		name = string(r[len(r)-100:])
	}
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}

// readUpload reads the request's body, the image, within --max-upload.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	limit := s.sc.maxUpload << 20
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the upload has %d bytes; this server takes at most %d MiB (--max-upload)", r.ContentLength, s.sc.maxUpload)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the upload is larger than %d MiB, the most this server takes (--max-upload)", s.sc.maxUpload)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("reading the upload: %w", err)
	case len(data) == 0:
		return nil, http.StatusBadRequest, errors.New("no image: upload one, or choose an example")
	}
	return data, 0, nil
}

// fit runs a fit of the page: the query's settings, the body's image (or an example). It
// answers with a stream of server-sent events (fitStream), or an error before the stream
// starts: bad settings, an upload too large, or too many fits waiting.
func (s *server) fit(w http.ResponseWriter, r *http.Request) {
	c, err := s.fitConfig(r.URL.Query())
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	if c.image == nil {
		var status int
		if c.image, status, err = s.readUpload(w, r); err != nil {
			s.refuse(w, r, status, err)
			return
		}
	}
	f, err := s.newFit(r.Context(), c)
	if err != nil {
		s.refuse(w, r, http.StatusServiceUnavailable, err)
		return
	}
	defer s.forget(f)
	go f.run(s)
	if err := s.stream(w, f); err != nil {
		f.cancel(errGone)
		<-f.done
	}
	s.logEnd(f)
}

// cancel stops a fit under way, at the page's Cancel: its stream says when it stopped.
func (s *server) cancel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.fits[r.PathValue("id")]
	s.mu.Unlock()
	if f == nil {
		s.refuse(w, r, http.StatusNotFound, errors.New("no such fit under way"))
		return
	}
	f.stop()
	w.WriteHeader(http.StatusNoContent)
}

// file serves an output of a finished fit, kept in memory.
func (s *server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	data, at, ok := s.results.get(r.PathValue("id"), name)
	if !ok {
		s.refuse(w, r, http.StatusNotFound, fmt.Errorf("no file %q of that fit: it was never made, or has been dropped", name))
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, name, at, bytes.NewReader(data))
}

// fileURL is where the page finds the output called name of the fit id.
func fileURL(id, name string) string {
	return "/api/fits/" + id + "/files/" + url.PathEscape(name)
}
