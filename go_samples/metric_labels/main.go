// Command metric_labels serves customer profiles and order history to the
// storefront. Every request is counted and timed for the dashboards, which
// scrape /metrics in the Prometheus text format.
package main

import (
	"cmp"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const customers = 5_000_000

var (
	durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	sizeBuckets     = []float64{128, 256, 512, 1024, 2048, 4096, 8192, 16384}
)

type seriesKey struct {
	method string
	code   int
	path   string
}

type series struct {
	requests  uint64
	seconds   float64
	durations [12]uint64
	bytes     float64
	sizes     [9]uint64
}

// registry holds the request metrics of the service.
type registry struct {
	mu     sync.Mutex
	series map[seriesKey]*series
}

func (r *registry) observe(method, path string, code, size int, took time.Duration) {
	k := seriesKey{method: method, code: code, path: path}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.series[k]
	if !ok {
		s = &series{}
		r.series[k] = s
	}
	s.requests++
	s.seconds += took.Seconds()
	s.durations[sort.SearchFloat64s(durationBuckets, took.Seconds())]++
	s.bytes += float64(size)
	s.sizes[sort.SearchFloat64s(sizeBuckets, float64(size))]++
}

// writeText writes every series in the Prometheus text exposition format.
func (r *registry) writeText(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]seriesKey, 0, len(r.series))
	for k := range r.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(strings.Compare(a.path, b.path), strings.Compare(a.method, b.method), a.code-b.code)
	})
	labels := make([]string, len(keys))
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	for i, k := range keys {
		labels[i] = fmt.Sprintf("method=%q,code=\"%d\",path=%q", k.method, k.code, k.path)
		fmt.Fprintf(w, "http_requests_total{%s} %d\n", labels[i], r.series[k].requests)
	}
	fmt.Fprintln(w, "# TYPE http_request_duration_seconds histogram")
	for i, k := range keys {
		writeHistogram(w, "http_request_duration_seconds", labels[i], durationBuckets, r.series[k].durations[:], r.series[k].seconds)
	}
	fmt.Fprintln(w, "# TYPE http_response_size_bytes histogram")
	for i, k := range keys {
		writeHistogram(w, "http_response_size_bytes", labels[i], sizeBuckets, r.series[k].sizes[:], r.series[k].bytes)
	}
}

func writeHistogram(w io.Writer, name, labels string, bounds []float64, counts []uint64, sum float64) {
	var cum uint64
	for i, n := range counts {
		cum += n
		le := "+Inf"
		if i < len(bounds) {
			le = strconv.FormatFloat(bounds[i], 'g', -1, 64)
		}
		fmt.Fprintf(w, "%s_bucket{%s,le=%q} %d\n", name, labels, le, cum)
	}
	fmt.Fprintf(w, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, sum, name, labels, cum)
}

type statusRecorder struct {
	http.ResponseWriter
	code, size int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	n, err := s.ResponseWriter.Write(p)
	s.size += n
	return n, err
}

// instrument counts and times every request that next serves.
func (r *registry) instrument(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next(rec, req)
		r.observe(req.Method, req.URL.Path, rec.code, rec.size, time.Since(start))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

// customer looks a customer up by the id in the path.
func customer(w http.ResponseWriter, req *http.Request) (int, uint64, bool) {
	id, err := strconv.Atoi(req.PathValue("id"))
	if err != nil || id < 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "customer ids are positive numbers"})
		return 0, 0, false
	}
	if id > customers {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such customer"})
		return 0, 0, false
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "customer:%d", id)
	return id, h.Sum64(), true
}

func handleProfile(w http.ResponseWriter, req *http.Request) {
	id, seed, ok := customer(w, req)
	if !ok {
		return
	}
	tiers := []string{"basic", "silver", "gold", "platinum"}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "name": fmt.Sprintf("Customer %d", id), "tier": tiers[seed%4],
		"since": time.Date(2015+int(seed>>8%10), time.Month(1+seed>>16%12), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
	})
}

func handleOrders(w http.ResponseWriter, req *http.Request) {
	id, seed, ok := customer(w, req)
	if !ok {
		return
	}
	orders := make([]map[string]any, 0, 5)
	for i := range int(1 + seed%5) {
		orders = append(orders, map[string]any{"order": fmt.Sprintf("ord-%d-%d", id, i+1), "total_cents": 500 + (seed>>(8*i))%40_000})
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": id, "orders": orders})
}

func main() {
	m := &registry{series: make(map[seriesKey]*series)}
	expvar.Publish("http_series", expvar.Func(func() any {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.series)
	}))
	http.HandleFunc("GET /users/{id}", m.instrument(handleProfile))
	http.HandleFunc("GET /users/{id}/orders", m.instrument(handleOrders))
	http.HandleFunc("GET /metrics", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		m.writeText(w)
	})
	http.HandleFunc("/", m.instrument(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}))
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
