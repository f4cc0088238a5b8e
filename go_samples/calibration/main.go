// Command calibration is a small work service with a known, configurable cost per request.
// Each GET /work does ordinary request churn and then keeps LEAKKIT_CAL_BYTES bytes and
// LEAKKIT_CAL_GOROUTINES parked goroutines, on every request or, with LEAKKIT_CAL_EVERY=N,
// on every N-th one (by id), so a leak detector can be checked against growth of an exact size.
package main

import (
	"bytes"
	"encoding/json"
	_ "expvar"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type workResult struct {
	ID       int64     `json:"id"`
	Checksum uint32    `json:"checksum"`
	Items    []string  `json:"items"`
	Served   time.Time `json:"served"`
}

type ledger struct {
	mu      sync.Mutex
	entries [][]byte
}

func (l *ledger) record(b []byte) {
	l.mu.Lock()
	l.entries = append(l.entries, b)
	l.mu.Unlock()
}

var (
	history        ledger
	keepBytes      = envInt("LEAKKIT_CAL_BYTES")
	keepGoroutines = envInt("LEAKKIT_CAL_GOROUTINES")
	keepEvery      = max(1, envInt("LEAKKIT_CAL_EVERY"))
)

func envInt(name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		log.Fatalf("%s=%q: want a whole number >= 0", name, v)
	}
	return n
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil {
		http.Error(w, "id must be an integer", http.StatusBadRequest)
		return
	}

	// Scratch work: a few KiB of buffers that live only for this request.
	var scratch bytes.Buffer
	for k := 0; k < 64; k++ {
		fmt.Fprintf(&scratch, "item-%d-%d;", id, k)
	}
	block := make([]byte, 4096)
	copy(block, scratch.Bytes())
	var sum uint32
	for _, c := range block {
		sum = sum*31 + uint32(c)
	}
	res := workResult{
		ID:       id,
		Checksum: sum,
		Items:    strings.SplitN(scratch.String(), ";", 5)[:4],
		Served:   time.Now().UTC(),
	}

	if id%int64(keepEvery) == 0 {
		if keepBytes > 0 {
			history.record(make([]byte, keepBytes))
		}
		for k := 0; k < keepGoroutines; k++ {
			wake := make(chan struct{})
			go func() { <-wake }()
		}
	}

	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(res); err != nil {
		log.Printf("work %d: %v", id, err)
	}
}

func main() {
	http.HandleFunc("GET /work", handleWork)

	addr := os.Getenv("LEAKKIT_LISTEN")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	network := "tcp"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}
