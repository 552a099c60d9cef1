package gmm

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Exec says where the passes over the data run: Fit, SelectComponents, CountLevels, the
// scoring functions and Predict take it (Options embeds it). The zero value runs each call
// on one worker per physical core, with the fastest kernels this CPU has, started for the
// call and stopped after it.
type Exec struct {
	// Threads is the number of workers that share every pass, at most MaxThreads; 0 means
	// one per physical core the process may use. Results are bit-for-bit the same for
	// any value.
	Threads int
	// Pin locks each worker to its own CPU (Linux only; elsewhere it is an error).
	Pin bool
	// Kernel is the kernel implementation: the zero value (or "auto") is the fastest this
	// binary holds and this CPU runs.
	Kernel Kernel
	// Pool, when set, runs the passes on its workers, which outlive the call: a service
	// that fits or labels one frame after another starts them once. Threads, Pin and
	// Kernel must then be zero: the pool was made with its own.
	Pool *Pool
}

// Kernel names an implementation of the kernels, the passes over the samples: Exec.Kernel
// chooses one; Result.Kernel and Pool.Kernel say which ran. Every implementation gives the
// same fits to rounding (the tests hold them to 1e-10 of the pure-Go one in float64).
type Kernel string

// The implementations. Asking for one this binary does not hold (a build without
// assembly, another architecture) or this CPU does not run is an error that says so.
const (
	// KernelGeneric is pure Go, on every platform: the reference the others are tested
	// against.
	KernelGeneric Kernel = "generic"
	// KernelAVX2 is amd64 assembly for CPUs with AVX2 and FMA.
	KernelAVX2 Kernel = "avx2"
	// KernelAVX512 is amd64 assembly for CPUs with AVX-512F, AVX2 and FMA.
	KernelAVX512 Kernel = "avx512"
)

// ErrClosed is returned by the calls that run on a Pool that was closed.
var ErrClosed = errors.New("gmm: the pool is closed")

// A Pool keeps workers alive across calls: pass it in Exec.Pool. It is safe for
// concurrent use; calls that share it take turns, each with every worker. Close it when
// done.
type Pool struct {
	mu sync.Mutex
	d  *drive.Driver // nil once closed
}

// NewPool starts the workers that e describes (e.Pool must be nil).
func NewPool(e Exec) (*Pool, error) {
	if e.Pool != nil {
		return nil, fmt.Errorf("gmm: %w: NewPool of an Exec that already has a Pool", ErrInvalidOptions)
	}
	d, err := e.start()
	if err != nil {
		return nil, err
	}
	return &Pool{d: d}, nil
}

// Close stops the workers. Calls after it that use the pool return ErrClosed; closing
// twice, or a nil Pool, is harmless.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d != nil {
		p.d.Close()
		p.d = nil
	}
}

// Kernel returns the kernel implementation the pool runs ("" once closed, or for a nil
// Pool).
func (p *Pool) Kernel() Kernel {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == nil {
		return ""
	}
	return Kernel(p.d.Kernels().Name)
}

// Threads returns the number of workers (0 once closed, or for a nil Pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == nil {
		return 0
	}
	return p.d.Threads()
}

// MaxComponents is the most components a model may have: labels are uint16.
const MaxComponents = kernel.MaxComponents

// MaxThreads is the most workers an Exec may ask for: more is an error, not clamped.
// Workers beyond the cores gain nothing, and a worker's buffers are made only when it
// takes part in a pass.
const MaxThreads = drive.MaxThreads

// Validate reports whether e can run: Threads not negative, a Kernel this binary holds
// and this CPU runs, and no other setting beside a Pool. It starts no worker.
func (e Exec) Validate() error {
	_, err := e.kernels()
	return err
}

// kernels checks e's fields and returns the kernels it names (none with a Pool, whose
// kernels are its own).
func (e *Exec) kernels() (*kernel.Kernels, error) {
	switch {
	case e.Threads < 0 || e.Threads > MaxThreads:
		return nil, fmt.Errorf("gmm: %w: Threads is %d, want 0 (automatic) to %d", ErrInvalidOptions, e.Threads, MaxThreads)
	case e.Pool != nil && (e.Threads != 0 || e.Pin || e.Kernel != ""):
		return nil, fmt.Errorf("gmm: %w: Threads, Pin and Kernel are the Pool's; leave them zero with a Pool", ErrInvalidOptions)
	case e.Pool != nil:
		return nil, nil
	}
	k, err := kernel.Lookup(string(e.Kernel))
	if err != nil {
		return nil, fmt.Errorf("gmm: %w: %w", ErrInvalidOptions, err)
	}
	return k, nil
}

// start returns a driver with the workers e describes, started.
func (e *Exec) start() (*drive.Driver, error) {
	k, err := e.kernels()
	if err != nil {
		return nil, err
	}
	d, err := drive.New(k, drive.Config{Threads: e.Threads, Pin: e.Pin})
	if err != nil {
		return nil, fmt.Errorf("gmm: %w: %w", ErrInvalidOptions, err)
	}
	return d, nil
}

// run runs f on the workers e asks for: the Pool's, held for the call, or workers started
// for the call and stopped after it. Its passes stop within a tile of ctx's cancellation
// (see drive.Driver.Interruptible): f checks ctx after each pass.
func (e *Exec) run(ctx context.Context, f func(d *drive.Driver) error) error {
	run := func(d *drive.Driver) error {
		defer d.Interruptible(ctx)()
		return f(d)
	}
	if p := e.Pool; p != nil {
		if _, err := e.kernels(); err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.d == nil {
			return ErrClosed
		}
		return run(p.d)
	}
	d, err := e.start()
	if err != nil {
		return err
	}
	defer d.Close()
	return run(d)
}

// stopped returns nil, or if ctx is done, the error of a call it stopped: one that wraps
// ctx.Err(), after which the call returns no result.
func stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gmm: stopped: %w", err)
	}
	return nil
}
