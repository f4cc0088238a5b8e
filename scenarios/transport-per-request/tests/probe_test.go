package main

// Hidden tests for the transport-per-request scenario. They start the real
// service once (main starts the fleet API on its own loopback port and
// registers the exporter's routes on http.DefaultServeMux) and call the mux
// directly; the exporter still talks to the fleet API over loopback HTTP.

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var startOnce sync.Once

func startService(t *testing.T) {
	t.Helper()
	startOnce.Do(func() {
		os.Setenv("LEAKKIT_LISTEN", "127.0.0.1:0")
		go main()
	})
	probe := httptest.NewRequest("GET", "/probe?node=node-1", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the probe route was not registered within 5s of starting main")
}

func probe(node, scrapeTimeout string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/probe?node="+node, nil)
	if scrapeTimeout != "" {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", scrapeTimeout)
	}
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

// expectedLines are the samples the fleet API's figures for a node turn into.
func expectedLines(name string, n int) []string {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	lines := []string{
		fmt.Sprintf(`fleet_node_up{node=%q,zone="zone-%c"} 1`, name, 'a'+n%3),
		fmt.Sprintf(`fleet_node_uptime_seconds{node=%q} %d`, name, seed%5_000_000),
		fmt.Sprintf(`fleet_node_load1{node=%q} %g`, name, float64(seed%800)/100),
	}
	for i := range 2 + n%3 {
		size := int64(4+i*4) << 40
		used := size / 1000 * int64((seed>>(8*i))%1000)
		lines = append(lines,
			fmt.Sprintf(`fleet_disk_used_bytes{node=%q,device="nvme%dn1"} %d`, name, i, used),
			fmt.Sprintf(`fleet_disk_used_ratio{node=%q,device="nvme%dn1"} %.4f`, name, i, float64(used)/float64(size)))
	}
	return lines
}

func TestProbeRendersTheNode(t *testing.T) {
	startService(t)
	for _, n := range []int{42, 7, 100_001, 2_500_000} {
		name := fmt.Sprintf("node-%d", n)
		rec := probe(name, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("probe of %s: status %d: %s", name, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("probe of %s: Content-Type %q, want the text exposition format", name, ct)
		}
		body := rec.Body.String()
		for _, line := range expectedLines(name, n) {
			if !strings.Contains(body, line+"\n") {
				t.Errorf("probe of %s: missing %q in:\n%s", name, line, body)
			}
		}
		if !strings.Contains(body, "# TYPE fleet_node_uptime_seconds counter\n") || !strings.Contains(body, "\nfleet_probe_duration_seconds ") {
			t.Errorf("probe of %s: metadata or duration missing:\n%s", name, body)
		}
	}
}

func TestUnknownAndMalformedNodes(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		node string
		code int
		want string
	}{
		{"node-26", http.StatusNotFound, "unknown node node-26"},
		{"node-0", http.StatusNotFound, "unknown node node-0"},
		{"node-x1", http.StatusNotFound, "unknown node node-x1"},
		{"web-1", http.StatusBadRequest, "like node-42"},
		{"", http.StatusBadRequest, "like node-42"},
	} {
		rec := probe(tc.node, "")
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("probe of %q: %d %q, want %d containing %q", tc.node, rec.Code, rec.Body.String(), tc.code, tc.want)
		}
	}
}

// Prometheus gives up on a scrape after its scrape timeout, so the exporter
// must answer before then, even when the fleet API is slow.
func TestScrapeTimeoutIsHonoured(t *testing.T) {
	startService(t)
	start := time.Now()
	rec := probe("node-19999", "1")
	took := time.Since(start)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "fleet API unavailable") {
		t.Errorf("slow node with a 1s scrape timeout: %d %q, want 502 fleet API unavailable", rec.Code, rec.Body.String())
	}
	if took < 300*time.Millisecond || took > 1300*time.Millisecond {
		t.Errorf("slow node with a 1s scrape timeout answered after %v, want about 0.5s", took)
	}
	start = time.Now()
	rec = probe("node-19999", "4")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `fleet_node_up{node="node-19999",zone="zone-b"} 1`) {
		t.Errorf("slow node with a 4s scrape timeout: %d %q, want 200", rec.Code, rec.Body.String())
	}
	if took := time.Since(start); took < 1400*time.Millisecond {
		t.Errorf("slow node answered after %v, before the fleet API could", took)
	}
}
