package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// The causes, other than its own failure, that end a fit of the page.
var (
	errCancelled = errors.New("cancelled on the page")
	errGone      = errors.New("the page went away")
)

// fitRun is one fit of the page: it waits its turn in the queue, runs the command's
// pipeline on its image, and its stream tells the page how it goes.
type fitRun struct {
	id      string
	c       *config
	ctx     context.Context // the request's: a page that goes away ends it
	cancel  context.CancelCauseFunc
	ticket  *ticket
	live    *live
	store   memoryFiles
	doc     bytes.Buffer // the JSON document, as --json prints it
	done    chan struct{}
	created time.Time
	// stopped is when the page's Cancel came (Unix nanoseconds; 0 before it).
	stopped atomic.Int64
	// Set before done is closed: the outcome, or what ended the fit, and when.
	out   *outcome
	err   error
	ended time.Time
}

// newFit queues a fit of c's image, ended with ctx (the request's), or refuses it when the
// queue is full.
func (s *server) newFit(ctx context.Context, c *config) (*fitRun, error) {
	t, err := s.queue.join()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	f := &fitRun{id: rand.Text(), c: c, ctx: ctx, cancel: cancel, ticket: t, live: newLive(), done: make(chan struct{}), created: time.Now()}
	s.mu.Lock()
	s.fits[f.id] = f
	s.mu.Unlock()
	return f, nil
}

// forget drops the fit, which has ended, from those the page can cancel.
func (s *server) forget(f *fitRun) {
	s.mu.Lock()
	delete(s.fits, f.id)
	s.mu.Unlock()
	f.cancel(nil)
}

// stop cancels the fit at the page's Cancel, noting when.
func (f *fitRun) stop() {
	f.stopped.CompareAndSwap(0, time.Now().UnixNano())
	f.cancel(errCancelled)
}

// run waits for the fit's turn, runs it within --timeout, and gives its place up. The
// pipeline's passes check the context between tiles: a cancelled fit stops within one.
func (f *fitRun) run(s *server) {
	defer close(f.done)
	defer func() { f.ended = time.Now() }()
	defer s.queue.leave(f.ticket)
	if err := s.queue.wait(f.ctx, f.ticket); err != nil {
		f.err = err
		return
	}
	ctx, cancel := context.WithTimeoutCause(f.ctx, s.sc.timeout, fmt.Errorf("the fit took longer than --timeout=%v", s.sc.timeout))
	defer cancel()
	f.out, f.err = f.segment(ctx, s)
	if f.err != nil && ctx.Err() != nil {
		f.err = context.Cause(ctx)
	}
}

// segment runs the command's pipeline on the fit's image, its outputs kept in memory and
// its steps handed to the stream. A panic, which would be a bug, fails this fit alone:
// the server goes on serving the others.
func (f *fitRun) segment(ctx context.Context, s *server) (o *outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Printf("fit %s: panic: %v\n%s", f.id, r, debug.Stack())
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	p := newPlan(f.c)
	p.store, p.watch = &f.store, f.live
	if err := p.loadModels(ctx); err != nil {
		return nil, err
	}
	return segmentImage(ctx, p, &f.doc, io.Discard)
}

// logEnd logs how the fit ended.
func (s *server) logEnd(f *fitRun) {
	name := f.c.imageName
	switch {
	case f.err == nil:
		s.log.Printf("fit %s: %s: %d components, %d iterations, log-likelihood %.12g, %.3f s", f.id, name, f.out.res.Model.K(), len(f.out.res.History), f.out.res.LogLikelihood, f.ended.Sub(f.created).Seconds())
	case errors.Is(f.err, errCancelled):
		s.log.Printf("fit %s: %s: cancelled on the page after %d iterations; it stopped %.3f s after Cancel", f.id, name, f.live.iterations(), f.ended.Sub(time.Unix(0, f.stopped.Load())).Seconds())
	case errors.Is(f.err, context.Canceled) || errors.Is(f.err, errGone):
		s.log.Printf("fit %s: %s: the page went away; the fit stopped after %d iterations", f.id, name, f.live.iterations())
	default:
		s.log.Printf("fit %s: %s: %s", f.id, name, oneLine(f.err))
	}
}

// stream tells the page how the fit goes, in server-sent events: "fit" (its id, for
// Cancel), "queue" (its place while it waits, 0 once it runs), "frame" (the latest step,
// drawn, whenever the fit has taken one since the last frame), then "result",
// "cancelled" or "error". It returns the error of a write: the page went away.
func (s *server) stream(w http.ResponseWriter, f *fitRun) error {
	es, err := newEventStream(w, s.timeouts.write)
	if err != nil {
		return err
	}
	if err := es.send("fit", map[string]string{"id": f.id}); err != nil {
		return err
	}
	place, drawn := -1, 0
	if err := s.sendPlace(es, f, &place); err != nil {
		return err
	}
	tick := time.NewTicker(min(250*time.Millisecond, s.timeouts.keepAlive))
	defer tick.Stop()
	for {
		select {
		case <-f.done:
			if err := s.sendFrame(es, f, &drawn); err != nil {
				return err
			}
			return s.sendEnd(es, f)
		case <-f.live.changed:
			err = s.sendFrame(es, f, &drawn)
		case <-tick.C:
			err = s.sendPlace(es, f, &place)
		}
		if err != nil {
			return err
		}
	}
}

// placeEvent is the fit's place in the queue: Position 1 is next, 0 is running.
type placeEvent struct {
	Position int `json:"position"`
	Running  int `json:"running"`
	Waiting  int `json:"waiting"`
}

// sendPlace sends the fit's place in the queue when it has changed since place, the last
// sent; or, when nothing was sent for keepAlive, a comment that keeps the stream open.
func (s *server) sendPlace(es *eventStream, f *fitRun, place *int) error {
	pos, running, waiting := s.queue.place(f.ticket)
	if pos != *place {
		*place = pos
		return es.send("queue", placeEvent{pos, running, waiting})
	}
	if time.Since(es.last) >= s.timeouts.keepAlive {
		return es.comment()
	}
	return nil
}

// frameEvent is the latest step of the fit, and its drawing (figure.Progress) as a PNG
// in base64.
type frameEvent struct {
	Run           int     `json:"run"`
	Iteration     int     `json:"iteration"`
	Components    int     `json:"components"`
	LogLikelihood float64 `json:"log_likelihood"`
	Iterations    int     `json:"iterations"` // taken so far, of every run
	PNG           string  `json:"png,omitempty"`
}

// sendFrame draws and sends the fit's latest step, unless it is the one drawn already.
func (s *server) sendFrame(es *eventStream, f *fitRun, drawn *int) error {
	pv, step, history, n := f.live.latest()
	if n == *drawn {
		return nil
	}
	*drawn = n
	ev := frameEvent{step.Run, step.Iter, step.Model.K(), step.LogLikelihood, n, ""}
	if pv != nil {
		var buf bytes.Buffer
		fig, err := pv.frame(step, history)
		if err == nil {
			err = fig.PNG(&buf)
		}
		if err != nil {
			s.log.Printf("fit %s: drawing iteration %d: %v", f.id, step.Iter, err)
		} else {
			ev.PNG = base64.StdEncoding.EncodeToString(buf.Bytes())
		}
	}
	return es.send("frame", ev)
}

// fileRef is an output of a finished fit: its name and where to get it.
type fileRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// resultEvent is a finished fit: the JSON document that gmmseg --json prints, and its
// outputs, kept for the page to fetch.
type resultEvent struct {
	Document     json.RawMessage `json:"document"`
	Segmentation fileRef         `json:"segmentation"`
	Labels       fileRef         `json:"labels"`
	Model        fileRef         `json:"model"`
	Figures      []fileRef       `json:"figures"`
}

// sendEnd sends how the fit ended: its result, kept for the page to fetch, or the time
// it took to stop after Cancel, or its error.
func (s *server) sendEnd(es *eventStream, f *fitRun) error {
	switch {
	case f.err == nil:
		s.results.put(f.id, f.store.Files())
		ref := func(name string) fileRef { return fileRef{name, fileURL(f.id, name)} }
		ev := resultEvent{Document: bytes.TrimSpace(f.doc.Bytes()), Segmentation: ref(f.c.out), Labels: ref(f.c.labels), Model: ref(f.c.saveModel)}
		for _, fig := range f.out.figures {
			ev.Figures = append(ev.Figures, ref(fig))
		}
		return es.send("result", ev)
	case errors.Is(f.err, errCancelled):
		return es.send("cancelled", map[string]any{
			"iterations":    f.live.iterations(),
			"after_seconds": f.ended.Sub(time.Unix(0, f.stopped.Load())).Seconds(),
		})
	}
	return es.send("error", map[string]string{"error": oneLine(f.err)})
}

// eventStream writes server-sent events, each within its own write deadline.
type eventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	last    time.Time // of the last write
}

// newEventStream starts the stream of w. The request has been read, and net/http lifts
// its read deadline once it has (its read that watches for the page going away has
// none); its write deadline, the server's WriteTimeout from the request's start, would
// cut a long fit's stream, and so each write gets a deadline of its own.
func newEventStream(w http.ResponseWriter, timeout time.Duration) (*eventStream, error) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	es := &eventStream{w: w, rc: http.NewResponseController(w), timeout: timeout}
	return es, es.write(func() error { w.WriteHeader(http.StatusOK); return nil })
}

// write writes with write within the stream's deadline and flushes it to the page.
func (es *eventStream) write(write func() error) error {
	if err := es.rc.SetWriteDeadline(time.Now().Add(es.timeout)); err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	es.last = time.Now()
	return es.rc.Flush()
}

// send sends the event name with v as its JSON data.
func (es *eventStream) send(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return es.write(func() error {
		_, err := fmt.Fprintf(es.w, "event: %s\ndata: %s\n\n", name, data)
		return err
	})
}

// comment sends a comment, which the page ignores: it keeps the connection in use.
func (es *eventStream) comment() error {
	return es.write(func() error {
		_, err := io.WriteString(es.w, ": the fit goes on\n\n")
		return err
	})
}

// live hands a fit's steps to its stream: the fit leaves its latest step and goes on,
// and the stream draws the latest when it can, so that a fit never waits for a page.
type live struct {
	mu      sync.Mutex
	pv      *preview
	last    gmm.Step
	history []float64 // the log-likelihoods of last's run, up to it
	steps   int       // iterations taken, of every run
	changed chan struct{}
}

func newLive() *live { return &live{changed: make(chan struct{}, 1)} }

// loaded takes the preview of the fit's input.
func (l *live) loaded(pv *preview) {
	l.mu.Lock()
	l.pv = pv
	l.mu.Unlock()
}

// step takes a step of the fit: a run's start begins its history, an iteration is kept
// (a copy of its model) as the latest.
func (l *live) step(s gmm.Step) {
	l.mu.Lock()
	if s.Iter < 0 {
		l.history = nil
		l.mu.Unlock()
		return
	}
	s.Model = s.Model.Clone()
	l.last, l.history = s, append(l.history, s.LogLikelihood)
	l.steps++
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default: // the stream has yet to take the last one
	}
}

// latest returns the preview, the latest iteration, its run's log-likelihoods up to it
// and the number of iterations taken (0 before the first).
func (l *live) latest() (*preview, gmm.Step, []float64, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pv, l.last, l.history[:len(l.history):len(l.history)], l.steps
}

// iterations is the number of iterations the fit has taken, of every run.
func (l *live) iterations() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.steps
}

// queue lets at most a number of fits run at once; the others wait their turn in the
// order they came, at most limit of them.
type queue struct {
	mu      sync.Mutex
	free    int // places to run left
	limit   int
	waiting []*ticket
	running int
	peak    int // the most fits that ran at once
}

// ticket is a fit's place in the queue.
type ticket struct {
	admitted chan struct{} // closed when the fit may run
	running  bool
}

func newQueue(slots, limit int) *queue { return &queue{free: slots, limit: limit} }

// join takes a place: running at once if one is free, else at the end of the queue; or
// an error when limit fits are waiting already.
func (q *queue) join() (*ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := &ticket{admitted: make(chan struct{})}
	if q.free > 0 {
		q.free--
		q.admit(t)
		return t, nil
	}
	if len(q.waiting) >= q.limit {
		return nil, fmt.Errorf("busy: %d fits running and %d waiting, the most this server queues (--queue); try again when one has finished", q.running, len(q.waiting))
	}
	q.waiting = append(q.waiting, t)
	return t, nil
}

// admit lets t run; q.mu is held.
func (q *queue) admit(t *ticket) {
	t.running = true
	close(t.admitted)
	q.running++
	q.peak = max(q.peak, q.running)
}

// wait returns when t may run, or with the cause of ctx's end.
func (q *queue) wait(ctx context.Context, t *ticket) error {
	select {
	case <-t.admitted:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// leave gives t's place up: a running fit's to the first waiting.
func (q *queue) leave(t *ticket) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !t.running {
		for i, w := range q.waiting {
			if w == t {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				break
			}
		}
		return
	}
	t.running = false
	q.running--
	if len(q.waiting) == 0 {
		q.free++
		return
	}
	next := q.waiting[0]
	q.waiting = q.waiting[1:]
	q.admit(next)
}

// place returns t's position in the queue (1 is next; 0 once it runs) and the fits
// running and waiting.
func (q *queue) place(t *ticket) (position, running, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, w := range q.waiting {
		if w == t {
			position = i + 1
		}
	}
	return position, q.running, len(q.waiting)
}

// counts returns the fits running and waiting.
func (q *queue) counts() (running, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.waiting)
}

// Bounds of the finished fits' outputs kept for the page: the latest maxResults, within
// maxResultBytes, each for resultLife.
const (
	maxResults     = 32
	maxResultBytes = 1 << 30
	resultLife     = time.Hour
)

// results keeps the outputs of finished fits, in memory, for the page to fetch: the
// newest, within a count and a number of bytes, each for a while.
type results struct {
	mu       sync.Mutex
	max      int
	maxBytes int64
	life     time.Duration
	byID     map[string]result
	order    []string // oldest first
	bytes    int64
}

// result is one fit's outputs, by name, and when it finished.
type result struct {
	files map[string][]byte
	at    time.Time
	bytes int64
}

func newResults(max int, maxBytes int64, life time.Duration) *results {
	return &results{max: max, maxBytes: maxBytes, life: life, byID: map[string]result{}}
}

// put keeps the outputs of the fit id, dropping the oldest kept beyond the bounds.
func (r *results) put(id string, files map[string][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := result{files: files, at: time.Now()}
	for _, b := range files {
		res.bytes += int64(len(b))
	}
	r.byID[id], r.order, r.bytes = res, append(r.order, id), r.bytes+res.bytes
	r.drop(func() bool { return len(r.order) > r.max || r.bytes > r.maxBytes })
}

// get returns the output called name of the fit id, and when it was made.
func (r *results) get(id, name string) ([]byte, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop(func() bool { return false })
	res, ok := r.byID[id]
	data, found := res.files[name]
	return data, res.at, ok && found
}

// drop drops the oldest outputs while over says so, and those older than their life.
func (r *results) drop(over func() bool) {
	for len(r.order) > 0 {
		oldest := r.byID[r.order[0]]
		if !over() && time.Since(oldest.at) < r.life {
			return
		}
		delete(r.byID, r.order[0])
		r.order, r.bytes = r.order[1:], r.bytes-oldest.bytes
	}
}
