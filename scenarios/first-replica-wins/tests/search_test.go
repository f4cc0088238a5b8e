package main

// Hidden tests for the first-replica-wins scenario. They start the real
// service once (main registers its routes on http.DefaultServeMux) and call
// the mux directly.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	probe := httptest.NewRequest("GET", "/search?q=chair", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the search route was not registered within 5s of starting main")
}

type hit struct {
	SKU        int    `json:"sku"`
	Title      string `json:"title"`
	PriceCents int64  `json:"price_cents"`
}

type searchResult struct {
	Query   string `json:"query"`
	Hits    []hit  `json:"hits"`
	Count   int    `json:"count"`
	Replica string `json:"replica"`
}

func get(path string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest("GET", path, nil)
	rec := httptest.NewRecorder()
	start := time.Now()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec, time.Since(start)
}

func search(t *testing.T, q string, maxPrice string) (searchResult, time.Duration) {
	t.Helper()
	path := "/search?q=" + url.QueryEscape(q)
	if maxPrice != "" {
		path += "&max_price=" + maxPrice
	}
	rec, took := get(path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body.String())
	}
	var res searchResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, rec.Body.String())
	}
	return res, took
}

func TestSearchFindsAndRanks(t *testing.T) {
	startService(t)
	res, _ := search(t, "Walnut  LEATHER chair", "")
	if res.Count != 1 || len(res.Hits) != 1 || res.Hits[0] != (hit{1190, "walnut leather chair", 45744}) {
		t.Errorf("walnut leather chair: got %+v", res)
	}
	if res.Query != "walnut leather chair" {
		t.Errorf("normalised query %q", res.Query)
	}
	res, _ = search(t, "oak lamp", "30000")
	want := []hit{{1123, "oak linen lamp", 14396}, {1143, "oak velvet lamp", 26491}, {1173, "oak wool lamp", 29482}}
	if res.Count != 3 || len(res.Hits) != 3 || res.Hits[0] != want[0] || res.Hits[1] != want[1] || res.Hits[2] != want[2] {
		t.Errorf("oak lamp under 300.00: got %+v, want %+v", res.Hits, want)
	}
	res, _ = search(t, "chair", "")
	if res.Count != 10 || len(res.Hits) != 10 {
		t.Fatalf("chair: %d hits, want the first 10 of 48", res.Count)
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i-1].PriceCents > res.Hits[i].PriceCents {
			t.Errorf("chair: hits not cheapest first: %+v", res.Hits)
		}
	}
	if res, _ = search(t, "unicorn", ""); res.Count != 0 || res.Hits == nil {
		t.Errorf("unicorn: got %+v, want an empty list", res)
	}
	switch res.Replica {
	case "search-a", "search-b", "search-c":
	default:
		t.Errorf("answer from replica %q", res.Replica)
	}
}

func TestBadSearchesAreRefused(t *testing.T) {
	startService(t)
	for path, want := range map[string]string{
		"/search?q=":                          "q needs 1 to 5 words",
		"/search?q=a+b+c+d+e+f":               "q needs 1 to 5 words",
		"/search?q=oak&max_price=cheap":       "max_price must be a price in cents",
		"/search?q=oak&max_price=-1":          "max_price must be a price in cents",
		"/search?q=walnut+leather&max_price=": "",
	} {
		rec, _ := get(path)
		if want == "" {
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s: %d %s, want 200", path, rec.Code, rec.Body.String())
			}
			continue
		}
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d %s, want 400 containing %q", path, rec.Code, rec.Body.String(), want)
		}
	}
}

func TestProducts(t *testing.T) {
	startService(t)
	if rec, _ := get("/products/1000"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"title":"black linen chair"`) {
		t.Errorf("product 1000: %d %s", rec.Code, rec.Body.String())
	}
	if rec, _ := get("/products/1480"); rec.Code != 404 {
		t.Errorf("product 1480: %d %s, want 404", rec.Code, rec.Body.String())
	}
}

// Each of these queries stalls on one or two replicas for about 60 ms, but never
// on all three, so asking every replica still answers in a few milliseconds.
func TestAStalledReplicaDoesNotSlowTheSearch(t *testing.T) {
	startService(t)
	queries := []string{
		"white rug", "oak shelf", "oak desk", "red stool", "rattan rug", "wool lamp", // search-a stalls
		"black table", "white chair", "walnut lamp", // search-b stalls
		"white shelf", "oak sofa", "grey rug", // search-c stalls
		"black stool", "grey desk", "green bed", "rattan desk", // two of them stall
	}
	for _, q := range queries {
		res, took := search(t, q, "")
		if took > 30*time.Millisecond {
			t.Errorf("%q took %v (answered by %s); a stalled replica should not hold up the search", q, took, res.Replica)
		}
		if res.Count == 0 {
			t.Errorf("%q found nothing", q)
		}
	}
}
