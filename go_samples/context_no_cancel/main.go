// Command context_no_cancel runs data exports for the tenants of an analytics
// platform. An export copies one dataset over a range of months out of the
// warehouse, one shard per month in parallel, and reports the rows, bytes and
// checksum of the result. Exports run in the background; clients poll them,
// and suspending a tenant stops every export it has running.
package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"
)

const (
	historySize = 1024
	stopGrace   = 2 * time.Second
)

var stats = expvar.NewMap("exports")

type exportKey struct{}

type exportView struct {
	ID       string `json:"id"`
	Tenant   string `json:"tenant"`
	Dataset  string `json:"dataset"`
	State    string `json:"state"`
	Months   int    `json:"months"`
	Rows     int64  `json:"rows"`
	Bytes    int64  `json:"bytes"`
	Checksum string `json:"checksum,omitempty"`
	Error    string `json:"error,omitempty"`
}

type export struct {
	mu     sync.Mutex
	view   exportView
	months []time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func (e *export) snapshot() exportView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.view
}

type tenant struct {
	name      string
	ctx       context.Context
	stop      context.CancelFunc
	suspended bool
	running   map[string]*export
}

type runner struct {
	root    context.Context
	mu      sync.Mutex
	tenants map[string]*tenant
	exports map[string]*export // running, and the last historySize finished
	history [historySize]string
	pos     int
	next    int
}

func (r *runner) tenant(name string) *tenant {
	t, ok := r.tenants[name]
	if !ok {
		t = &tenant{name: name, running: make(map[string]*export)}
		t.ctx, t.stop = context.WithCancel(r.root)
		r.tenants[name] = t
	}
	return t
}

// Submit starts an export of the dataset for the given months.
func (r *runner) Submit(tenantName, dataset string, months []time.Time) (*export, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tenant(tenantName)
	if t.suspended {
		return nil, errors.New("tenant is suspended")
	}
	r.next++
	e := &export{months: months, done: make(chan struct{})}
	e.view = exportView{ID: fmt.Sprintf("exp-%07d", r.next), Tenant: t.name, Dataset: dataset, State: "running", Months: len(months)}
	ctx, cancel := context.WithCancel(context.WithValue(t.ctx, exportKey{}, e))
	e.cancel = cancel
	t.running[e.view.ID] = e
	r.exports[e.view.ID] = e
	go r.run(ctx, t, e)
	return e, nil
}

func (r *runner) run(ctx context.Context, t *tenant, e *export) {
	shards := make([]shard, len(e.months))
	errs := make(chan error, len(e.months))
	var wg sync.WaitGroup
	for i, month := range e.months {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := scan(ctx, e.view.Tenant, e.view.Dataset, month)
			if err != nil {
				errs <- err
				e.cancel() // no point finishing the other months
				return
			}
			shards[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	err := <-errs

	e.mu.Lock()
	switch {
	case errors.Is(err, context.Canceled):
		e.view.State = "cancelled"
	case err != nil:
		e.view.State, e.view.Error = "failed", err.Error()
	default:
		var sum uint64
		for _, s := range shards {
			e.view.Rows, e.view.Bytes, sum = e.view.Rows+s.rows, e.view.Bytes+s.bytes, sum*1099511628211^s.sum
		}
		e.view.State, e.view.Checksum = "done", fmt.Sprintf("%016x", sum)
	}
	state := e.view.State
	e.mu.Unlock()

	r.mu.Lock()
	delete(t.running, e.view.ID)
	if old := r.history[r.pos]; old != "" {
		delete(r.exports, old)
	}
	r.history[r.pos], r.pos = e.view.ID, (r.pos+1)%historySize
	r.mu.Unlock()
	stats.Add(state, 1)
	close(e.done)
}

// Suspend stops the tenant's running exports and refuses new ones. It waits
// up to stopGrace for the exports to stop and reports how many did.
func (r *runner) Suspend(name string) (stopped, running int) {
	r.mu.Lock()
	t := r.tenant(name)
	t.suspended = true
	t.stop()
	var pending []*export
	for _, e := range t.running {
		pending = append(pending, e)
	}
	r.mu.Unlock()
	deadline := time.After(stopGrace)
	for _, e := range pending {
		select {
		case <-e.done:
			stopped++
		case <-deadline:
			return stopped, len(pending) - stopped
		}
	}
	return stopped, 0
}

func main() {
	root, shutdown := context.WithCancel(context.Background())
	defer shutdown()
	r := &runner{root: root, tenants: make(map[string]*tenant), exports: make(map[string]*export)}
	r.routes(http.DefaultServeMux)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
