package main

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// outputSet is where a run's outputs go, all of them or none: files put in place together
// (atomicfile.Set), or the page's files kept in memory (memoryFiles).
type outputSet interface {
	// Write adds the output named path, written by write.
	Write(path string, write func(io.Writer) error) error
	// Commit makes every output written available, or none of them.
	Commit() error
	// Abort drops every output not committed.
	Abort()
}

// outputSet returns where the run's outputs go, ended by ctx: p.store when the run keeps
// them (the page's), else files written together.
func (p *plan) outputSet(ctx context.Context) outputSet {
	if p.store != nil {
		p.store.ctx = ctx
		return p.store
	}
	return atomicfile.NewSet(ctx)
}

// memoryFiles keeps a run's outputs in memory, by name, rather than writing them: the
// page's downloads. As an atomicfile.Set does, it commits nothing once its context is
// done.
type memoryFiles struct {
	ctx     context.Context
	mu      sync.Mutex
	pending map[string][]byte
	files   map[string][]byte
}

// Write keeps what write writes under the name path until Commit.
func (m *memoryFiles) Write(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending == nil {
		m.pending = map[string][]byte{}
	}
	m.pending[path] = buf.Bytes()
	return nil
}

// Commit makes the outputs written available to Files, unless the context is done.
func (m *memoryFiles) Commit() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ctx.Err(); err != nil {
		m.pending = nil
		return err
	}
	m.files, m.pending = m.pending, nil
	return nil
}

// Abort drops the outputs not committed.
func (m *memoryFiles) Abort() {
	m.mu.Lock()
	m.pending = nil
	m.mu.Unlock()
}

// Files returns the outputs committed, by name.
func (m *memoryFiles) Files() map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.files
}
