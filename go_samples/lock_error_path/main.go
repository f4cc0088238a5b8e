// Command lock_error_path records metered usage for a billing platform.
// Agents POST batches of usage events per tenant; the service answers 202 at
// once and writes each batch to the billing ledger in the background, rated
// with the price book. A tenant's ledger stream only takes batches in
// sequence, so the batches of one tenant are written one at a time.
package main

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"hash/crc32"
	"log"
	"net/http"
	"sync"
	"time"
)

const maxEvents = 500

type event struct {
	Meter    string `json:"meter"`
	Quantity int64  `json:"quantity"`
}

type batch struct {
	ID     string  `json:"batch"`
	Events []event `json:"events"`
}

var (
	errAccountClosed = errors.New("ledger: billing account is closed")
	errOutOfSequence = errors.New("ledger: append out of sequence")
)

type stream struct {
	Tenant      string           `json:"tenant"`
	Batches     uint64           `json:"batches"`
	Units       map[string]int64 `json:"units"`
	AmountCents int64            `json:"amount_cents"`
}

// ledger is the client for the billing ledger: one append-only stream per
// tenant, each append a round trip.
type ledger struct {
	mu      sync.Mutex
	streams map[string]*stream
	rtt     time.Duration
}

func (l *ledger) append(tenant string, seq uint64, units map[string]int64, cents int64) error {
	time.Sleep(l.rtt)
	l.mu.Lock()
	defer l.mu.Unlock()
	if crc32.ChecksumIEEE([]byte(tenant))%12 == 0 {
		return errAccountClosed
	}
	s, ok := l.streams[tenant]
	if !ok {
		s = &stream{Tenant: tenant, Units: map[string]int64{}}
		l.streams[tenant] = s
	}
	if seq != s.Batches+1 {
		return errOutOfSequence
	}
	s.Batches = seq
	for meter, n := range units {
		s.Units[meter] += n
	}
	s.AmountCents += cents
	return nil
}

func (l *ledger) totals(tenant string) (stream, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.streams[tenant]
	if !ok {
		return stream{}, false
	}
	out := *s
	out.Units = make(map[string]int64, len(s.Units))
	for meter, n := range s.Units {
		out.Units[meter] = n
	}
	return out, true
}

type tenant struct {
	mu      sync.Mutex // serialises this tenant's appends to the ledger
	written uint64
}

type recorder struct {
	ledger  *ledger
	prices  map[string]int64 // cents per unit
	tenants sync.Map         // tenant id -> *tenant
	stats   *expvar.Map
}

func (r *recorder) tenant(id string) *tenant {
	t, _ := r.tenants.LoadOrStore(id, &tenant{})
	return t.(*tenant)
}

func (r *recorder) rate(events []event) (map[string]int64, int64, error) {
	units := make(map[string]int64)
	var cents int64
	for _, e := range events {
		price, ok := r.prices[e.Meter]
		if !ok {
			return nil, 0, fmt.Errorf("no price for meter %q", e.Meter)
		}
		units[e.Meter] += e.Quantity
		cents += e.Quantity * price
	}
	return units, cents, nil
}

// flush rates a batch and appends it to the tenant's ledger stream.
func (r *recorder) flush(id string, t *tenant, b batch) {
	t.mu.Lock()
	units, cents, err := r.rate(b.Events)
	if err != nil {
		r.stats.Add("rating_failed", 1)
		log.Printf("tenant %s batch %s: %v", id, b.ID, err)
		return
	}
	if err := r.ledger.append(id, t.written+1, units, cents); err != nil {
		r.stats.Add("append_failed", 1)
		log.Printf("tenant %s batch %s: %v", id, b.ID, err)
		return
	}
	t.written++
	t.mu.Unlock()
	r.stats.Add("batches_written", 1)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validate(b batch) string {
	if b.ID == "" || len(b.Events) == 0 || len(b.Events) > maxEvents {
		return fmt.Sprintf("a batch needs an id and 1 to %d events", maxEvents)
	}
	for i, e := range b.Events {
		if e.Meter == "" || e.Quantity < 1 || e.Quantity > 1_000_000_000 {
			return fmt.Sprintf("event %d needs a meter and a quantity from 1 to 1000000000", i+1)
		}
	}
	return ""
}

func (r *recorder) handleRecord(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("tenant")
	var b batch
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<20)).Decode(&b); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed batch: " + err.Error()})
		return
	}
	if msg := validate(b); msg != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	go r.flush(id, r.tenant(id), b)
	r.stats.Add("batches_accepted", 1)
	writeJSON(w, http.StatusAccepted, map[string]any{"tenant": id, "batch": b.ID, "accepted": len(b.Events)})
}

func (r *recorder) handleTotals(w http.ResponseWriter, req *http.Request) {
	s, ok := r.ledger.totals(req.PathValue("tenant"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no usage recorded for this tenant"})
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func main() {
	r := &recorder{
		ledger: &ledger{streams: map[string]*stream{}, rtt: time.Millisecond},
		prices: map[string]int64{"api_calls": 2, "storage_gb_hours": 3, "egress_gb": 9, "build_minutes": 4, "seats": 150},
		stats:  expvar.NewMap("usage"),
	}
	http.HandleFunc("POST /usage/{tenant}", r.handleRecord)
	http.HandleFunc("GET /usage/{tenant}", r.handleTotals)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
