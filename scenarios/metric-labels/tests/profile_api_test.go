package main

// Hidden tests for the metric-labels scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly. The metrics tests read /metrics the way a scraper does and accept
// any path label, raw or templated, as long as every request is counted.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
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
	probe := httptest.NewRequest("GET", "/users/1", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" && pattern != "/" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the profile route was not registered within 5s of starting main")
}

func get(path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func seedOf(id int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "customer:%d", id)
	return h.Sum64()
}

func TestProfiles(t *testing.T) {
	startService(t)
	tiers := []string{"basic", "silver", "gold", "platinum"}
	for _, id := range []int{1, 42, 31337, 4_999_999, 5_000_000} {
		rec := get(fmt.Sprintf("/users/%d", id))
		var p struct {
			ID    int    `json:"id"`
			Name  string `json:"name"`
			Tier  string `json:"tier"`
			Since string `json:"since"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("profile %d: %d %s", id, rec.Code, rec.Body.String())
		}
		seed := seedOf(id)
		since := time.Date(2015+int(seed>>8%10), time.Month(1+seed>>16%12), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if p.ID != id || p.Name != fmt.Sprintf("Customer %d", id) || p.Tier != tiers[seed%4] || p.Since != since {
			t.Errorf("profile %d: got %+v, want tier %s since %s", id, p, tiers[seed%4], since)
		}
	}
}

func TestOrders(t *testing.T) {
	startService(t)
	for _, id := range []int{7, 42, 123456} {
		rec := get(fmt.Sprintf("/users/%d/orders", id))
		var o struct {
			Customer int `json:"customer"`
			Orders   []struct {
				Order      string `json:"order"`
				TotalCents uint64 `json:"total_cents"`
			} `json:"orders"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("orders of %d: %d %s", id, rec.Code, rec.Body.String())
		}
		seed := seedOf(id)
		if o.Customer != id || len(o.Orders) != int(1+seed%5) {
			t.Fatalf("orders of %d: got %+v, want %d orders", id, o, 1+seed%5)
		}
		for i, ord := range o.Orders {
			if want := 500 + (seed>>(8*i))%40_000; ord.Order != fmt.Sprintf("ord-%d-%d", id, i+1) || ord.TotalCents != want {
				t.Errorf("order %d of %d: %+v, want total %d", i+1, id, ord, want)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/users/0", 400, "customer ids are positive numbers"},
		{"/users/abc/orders", 400, "customer ids are positive numbers"},
		{"/users/5000001", 404, "no such customer"},
		{"/users/99999999/orders", 404, "no such customer"},
		{"/.env", 404, "not found"},
	} {
		if rec := get(tc.path); rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s: %d %s, want %d containing %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
}

var sample = regexp.MustCompile(`^(http_requests_total|http_request_duration_seconds_count|http_request_duration_seconds_bucket|http_response_size_bytes_count)\{method="([A-Z]+)",code="(\d+)",path="([^"]*)"(?:,le="([^"]+)")?\} (\d+)$`)

// scrape sums the request counters and histogram counts of /metrics by
// endpoint kind (profile, orders or other) and status code.
func scrape(t *testing.T) map[string]uint64 {
	t.Helper()
	rec := get("/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	sums := map[string]uint64{}
	sc := bufio.NewScanner(rec.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := sample.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, code, path, le := m[1], m[3], m[4], m[5]
		if name == "http_request_duration_seconds_bucket" && le != "+Inf" {
			continue
		}
		kind := "other"
		if strings.HasPrefix(path, "/users/") {
			kind = "profile"
			if strings.HasSuffix(path, "/orders") {
				kind = "orders"
			}
		}
		n, _ := strconv.ParseUint(m[6], 10, 64)
		sums[name+" "+kind+" "+code] += n
	}
	return sums
}

func TestMetricsCountEveryRequest(t *testing.T) {
	startService(t)
	before := scrape(t)
	const profiles, orders, probes = 4_000, 1_500, 1_000
	for i := range profiles {
		get(fmt.Sprintf("/users/%d", 2_000_000+i))
	}
	for i := range orders {
		get(fmt.Sprintf("/users/%d/orders", 3_000_000+i))
	}
	for i := range probes {
		get(fmt.Sprintf("/static/app.%08x.js", i))
	}
	get("/users/6000000")
	after := scrape(t)
	for _, tc := range []struct {
		kind, code string
		want       uint64
	}{
		{"profile", "200", profiles},
		{"orders", "200", orders},
		{"other", "404", probes},
		{"profile", "404", 1},
	} {
		for _, name := range []string{"http_requests_total", "http_request_duration_seconds_count", "http_request_duration_seconds_bucket", "http_response_size_bytes_count"} {
			key := name + " " + tc.kind + " " + tc.code
			if got := after[key] - before[key]; got != tc.want {
				t.Errorf("%s for %s requests with status %s grew by %d, want %d (every request counted once, no resets)",
					name, tc.kind, tc.code, got, tc.want)
			}
		}
	}
}
