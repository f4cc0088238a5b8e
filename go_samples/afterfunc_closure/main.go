// Command afterfunc_closure answers ad-hoc analytics queries over the order
// history of the platform's shops. Days before 2026 live in the archive tier,
// which is slow to read, so every query has a time limit after which it is
// aborted: one careless dashboard must not tie up the service.
package main

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	defaultLimit = 10 * time.Minute
	maxLimit     = 30 * time.Minute
	maxOrders    = 160 // orders a shop takes on its busiest day
)

var (
	firstDay     = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDay      = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	archiveUntil = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	regions      = []string{"us-east", "us-west", "eu-west", "eu-central", "uk", "apac", "latam", "mea"}
	stats        = expvar.NewMap("queries")
)

type queryRequest struct {
	Shop        string `json:"shop"`
	Metric      string `json:"metric"` // revenue (in cents) or orders
	From        string `json:"from"`
	To          string `json:"to"`
	GroupBy     string `json:"group_by"` // day or region
	TimeLimitMS int64  `json:"time_limit_ms"`
}

type order struct {
	region string
	cents  int64
}

type query struct {
	id       string
	req      queryRequest
	from, to time.Time
	started  time.Time
	scanned  atomic.Int64
	aborted  atomic.Pointer[string]
	batch    []order
	groups   map[string]int64
}

type queryService struct {
	mu      sync.Mutex
	running map[string]*query
	seq     atomic.Uint64
}

// readDay decodes one day of a shop's orders into q.batch.
func (q *query) readDay(day time.Time) {
	if day.Before(archiveUntil) {
		time.Sleep(20 * time.Millisecond)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", q.req.Shop, day.Format(time.DateOnly))
	seed := h.Sum64()
	q.batch = q.batch[:0]
	for i := range int(seed % maxOrders) {
		x := seed*6364136223846793005 + uint64(i)*1442695040888963407
		q.batch = append(q.batch, order{regions[x>>61], 500 + int64((x>>40)%50_000)})
	}
}

func (s *queryService) begin(req queryRequest, from, to time.Time, limit time.Duration) *query {
	q := &query{
		id:      fmt.Sprintf("q-%07d", s.seq.Add(1)),
		req:     req,
		from:    from,
		to:      to,
		started: time.Now(),
		batch:   make([]order, 0, maxOrders),
		groups:  make(map[string]int64),
	}
	s.mu.Lock()
	s.running[q.id] = q
	s.mu.Unlock()
	time.AfterFunc(limit, func() {
		s.abort(q, fmt.Sprintf("query %s exceeded its time limit of %v", q.id, limit))
	})
	return q
}

// abort stops a query at its next day and takes it off the running list.
func (s *queryService) abort(q *query, reason string) {
	if q.aborted.CompareAndSwap(nil, &reason) {
		stats.Add("aborted", 1)
	}
	s.finish(q)
}

func (s *queryService) finish(q *query) {
	s.mu.Lock()
	delete(s.running, q.id)
	s.mu.Unlock()
}

// run scans the days of the query one at a time and aggregates them.
func (s *queryService) run(q *query) error {
	for day := q.from; !day.After(q.to); day = day.AddDate(0, 0, 1) {
		if reason := q.aborted.Load(); reason != nil {
			return errors.New(*reason)
		}
		q.readDay(day)
		for _, o := range q.batch {
			key := o.region
			if q.req.GroupBy == "day" {
				key = day.Format(time.DateOnly)
			}
			if q.req.Metric == "orders" {
				q.groups[key]++
			} else {
				q.groups[key] += o.cents
			}
		}
		q.scanned.Add(1)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (s *queryService) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed query: " + err.Error()})
		return
	}
	from, err1 := time.Parse(time.DateOnly, req.From)
	to, err2 := time.Parse(time.DateOnly, req.To)
	limit := time.Duration(req.TimeLimitMS) * time.Millisecond
	if req.TimeLimitMS == 0 {
		limit = defaultLimit
	}
	var problem string
	switch {
	case req.Shop == "" || (req.Metric != "revenue" && req.Metric != "orders"):
		problem = "a query needs a shop and a metric, revenue or orders"
	case req.GroupBy != "day" && req.GroupBy != "region":
		problem = "group_by must be day or region"
	case err1 != nil || err2 != nil || from.Before(firstDay) || to.After(lastDay) || to.Before(from):
		problem = "from and to must be dates from 2020-01-01 to 2026-10-31, from first"
	case limit <= 0 || limit > maxLimit:
		problem = "time_limit_ms must be from 1 to 1800000"
	}
	if problem != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": problem})
		return
	}
	q := s.begin(req, from, to, limit)
	if err := s.run(q); err != nil {
		writeJSON(w, http.StatusGatewayTimeout, map[string]string{"error": err.Error()})
		return
	}
	s.finish(q)
	stats.Add("answered", 1)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": q.id, "shop": req.Shop, "metric": req.Metric, "days": q.scanned.Load(), "groups": q.groups,
	})
}

func (s *queryService) handleRunning(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	s.mu.Lock()
	for id, q := range s.running {
		out[id] = map[string]any{"shop": q.req.Shop, "days_scanned": q.scanned.Load(), "elapsed_ms": time.Since(q.started).Milliseconds()}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"running": out})
}

func main() {
	s := &queryService{running: make(map[string]*query)}
	http.HandleFunc("POST /queries", s.handleQuery)
	http.HandleFunc("GET /queries/running", s.handleRunning)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
