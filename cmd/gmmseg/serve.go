package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// serveConfig is the command line of gmmseg serve.
type serveConfig struct {
	addr      string
	maxPixels int64
	maxUpload int64 // MiB
	jobs      int   // fits at once
	queue     int   // fits waiting, at most
	threads   int
	kernel    string
	decoder   string
	timeout   time.Duration // the longest a fit may take
}

// servePixels is serve's --max-pixels: a page's image of 64 megapixels, its samples and
// figures, takes about 1.5 GB at the peak of its fit.
const servePixels = 1 << 26

// newServeFlagSet declares serve's flags, storing into sc.
func newServeFlagSet(sc *serveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("gmmseg serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&sc.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (port 0: any free one); beyond loopback, anyone on that network can use the page")
	fs.Int64Var(&sc.maxPixels, "max-pixels", servePixels, "refuse an image of more `pixels` than this, from its header, before decoding it")
	fs.Int64Var(&sc.maxUpload, "max-upload", 64, "refuse an upload of more `MiB` than this, before decoding it")
	fs.IntVar(&sc.jobs, "jobs", 1, "fits run at once, sharing the cores; the others wait their turn")
	fs.IntVar(&sc.queue, "queue", 16, "fits that may wait their turn; more are refused until one starts")
	fs.IntVar(&sc.threads, "threads", 0, "worker threads of each fit (0: the cores shared among --jobs)")
	fs.StringVar(&sc.kernel, "kernel", "auto", "kernel implementation: auto, generic, avx2 or avx512")
	fs.StringVar(&sc.decoder, "decoder", "auto", "JPEG decoder: auto (libjpeg-turbo where the machine has it, else Go's), go or libjpeg")
	fs.DurationVar(&sc.timeout, "timeout", 10*time.Minute, "the longest a fit may take, from its start")
	return fs
}

// parseServeFlags reads serve's command line and checks it; any misuse is a usageError
// (or flag.ErrHelp for -h).
func parseServeFlags(args []string) (*serveConfig, error) {
	sc := &serveConfig{}
	fs := newServeFlagSet(sc)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageError{fmt.Sprintf("serve takes no arguments, not %q: the page uploads the images", fs.Arg(0))}
	case sc.maxUpload < 1 || sc.maxUpload > 1<<20:
		return nil, usageError{fmt.Sprintf("--max-upload=%d: want 1 to %d MiB", sc.maxUpload, 1<<20)}
	case sc.jobs < 1 || sc.jobs > gmm.MaxThreads:
		return nil, usageError{fmt.Sprintf("--jobs=%d: want 1 to %d", sc.jobs, gmm.MaxThreads)}
	case sc.queue < 0:
		return nil, usageError{fmt.Sprintf("--queue=%d: want 0 or more", sc.queue)}
	case sc.timeout <= 0:
		return nil, usageError{fmt.Sprintf("--timeout=%v: want a positive duration", sc.timeout)}
	}
	// The flags a fit takes from serve's are checked as the command checks them.
	if _, err := parseFlags(sc.fitArgs()); err != nil {
		return nil, err
	}
	return sc, nil
}

// fitArgs are the command-line flags that every fit of the page takes from serve's own.
func (sc *serveConfig) fitArgs() []string {
	return []string{
		"--threads=" + strconv.Itoa(sc.threads), "--kernel=" + sc.kernel,
		"--decoder=" + sc.decoder, "--max-pixels=" + strconv.FormatInt(sc.maxPixels, 10),
	}
}

// timeouts bound the server's requests: the header's reading, the request's with its
// upload, each write, an idle connection's wait, the server's shutdown. A fit's stream
// extends its write deadline before each event, and sends a comment when it has had
// nothing to say for keepAlive.
type timeouts struct {
	readHeader, read, write, idle, keepAlive, shutdown time.Duration
}

// serveTimeouts are the server's timeouts.
var serveTimeouts = timeouts{
	readHeader: 10 * time.Second,
	read:       2 * time.Minute,
	write:      30 * time.Second,
	idle:       2 * time.Minute,
	keepAlive:  15 * time.Second,
	shutdown:   10 * time.Second,
}

// runServe is gmmseg serve: it serves the page on --addr until a signal ends ctx, then
// stops the fits under way, waits for their requests to end and returns the exit status
// of an interrupt (130 for SIGINT), as a run of the command does.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sc, err := parseServeFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		serveUsage(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "gmmseg serve: %v (gmmseg serve -h lists the flags)\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", sc.addr)
	if err != nil {
		fmt.Fprintf(stderr, "gmmseg serve: %v\n", err)
		return exitError
	}
	s := newServer(sc, log.New(stderr, "gmmseg serve: ", log.LstdFlags), isLoopback(ln.Addr()))
	if !s.loopback {
		fmt.Fprintf(stderr, "gmmseg serve: warning: listening on %s, beyond this machine's loopback: anyone on that network can use the page, its CPUs and its memory\n", ln.Addr())
	}
	fmt.Fprintf(stdout, "gmmseg: serving the page on %s\n", pageURL(ln.Addr()))
	srv := s.httpServer(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "gmmseg serve: %v\n", err)
		return exitError
	case <-ctx.Done():
	}
	// ctx is every request's: the fits under way stop, and their streams end.
	sctx, cancel := context.WithTimeout(context.Background(), s.timeouts.shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return interrupted(ctx, stderr, "the server stopped; the fits under way were cancelled")
}

// httpServer is the server of the page, every request's context ended by ctx.
func (s *server) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: s.timeouts.readHeader,
		ReadTimeout:       s.timeouts.read,
		WriteTimeout:      s.timeouts.write,
		IdleTimeout:       s.timeouts.idle,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          s.log,
	}
}

// isLoopback reports whether addr, a listener's, is on a loopback interface only.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// pageURL is the page's address on the listener at addr: on localhost when it listens on
// every interface.
func pageURL(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("http://localhost:%d/", tcp.Port)
	}
	return "http://" + addr.String() + "/"
}

// serveUsage prints serve's flags.
func serveUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: gmmseg serve [flags]\n\nServes a page that segments an uploaded image, showing the fit as it goes.\n\nFlags:\n")
	fs := newServeFlagSet(&serveConfig{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}
