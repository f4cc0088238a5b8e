package main

// Hidden tests for the cache-map scenario. They start the real service once
// (main registers its routes on http.DefaultServeMux) and call the mux
// directly, so they do not depend on how the cache is built or sized.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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
	probe := httptest.NewRequest("GET", "/products/1/price", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the price route was not registered within 5s of starting main")
}

func get(path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

type sheetResponse struct {
	Source string `json:"source"`
	AgeMS  int64  `json:"age_ms"`
	Sheet  struct {
		ID             int    `json:"id"`
		SKU            string `json:"sku"`
		ListPriceCents int64  `json:"list_price_cents"`
		Currency       string `json:"currency"`
		Tiers          []struct {
			MinQty    int   `json:"min_qty"`
			UnitCents int64 `json:"unit_cents"`
		} `json:"tiers"`
		Regions []struct {
			Region     string  `json:"region"`
			NetCents   int64   `json:"net_cents"`
			GrossCents int64   `json:"gross_cents"`
			TaxRate    float64 `json:"tax_rate"`
		} `json:"regions"`
		RenderedAt time.Time `json:"rendered_at"`
	} `json:"sheet"`
}

func decodeSheet(t *testing.T, rec *httptest.ResponseRecorder) sheetResponse {
	t.Helper()
	var out sheetResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response is not the usual JSON document: %v\n%s", err, rec.Body.String())
	}
	return out
}

func TestPriceSheetIsComplete(t *testing.T) {
	startService(t)
	// List prices of a few products, as the pricing rules give them.
	want := map[int]int64{0: 59850, 1: 72061, 42: 960, 1234567: 78562, 9999999: 96027}
	for id, list := range want {
		rec := get("/products/"+strconv.Itoa(id)+"/price", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("product %d: status %d, want 200: %s", id, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("product %d: Content-Type %q, want application/json", id, ct)
		}
		if rec.Header().Get("ETag") == "" {
			t.Errorf("product %d: no ETag header", id)
		}
		r := decodeSheet(t, rec)
		s := r.Sheet
		if s.ID != id || s.SKU != fmt.Sprintf("PRD-%07d", id) || s.Currency != "USD" {
			t.Errorf("product %d: got id %d, sku %q, currency %q", id, s.ID, s.SKU, s.Currency)
		}
		if s.ListPriceCents != list {
			t.Errorf("product %d: list price %d, want %d", id, s.ListPriceCents, list)
		}
		qty := []int{1, 10, 50, 250, 1000}
		if len(s.Tiers) != len(qty) {
			t.Fatalf("product %d: %d quantity tiers, want %d", id, len(s.Tiers), len(qty))
		}
		for i, tr := range s.Tiers {
			unit := list * int64(100-4*i) / 100
			if tr.MinQty != qty[i] || tr.UnitCents != unit {
				t.Errorf("product %d tier %d: %+v, want min_qty %d unit_cents %d", id, i, tr, qty[i], unit)
			}
		}
		if len(s.Regions) != 16 {
			t.Fatalf("product %d: %d regions, want 16", id, len(s.Regions))
		}
		for _, rg := range s.Regions {
			if gross := rg.NetCents + int64(float64(rg.NetCents)*rg.TaxRate); rg.GrossCents != gross {
				t.Errorf("product %d region %s: gross %d, want net plus tax %d", id, rg.Region, rg.GrossCents, gross)
			}
		}
		if us := s.Regions[0]; us.Region != "us-east" || us.NetCents != list {
			t.Errorf("product %d: first region %+v, want us-east at the list price", id, us)
		}
	}
}

func TestRepeatedLookupIsServedFromCache(t *testing.T) {
	startService(t)
	const path = "/products/7654321/price"
	first := get(path, nil)
	if first.Code != http.StatusOK {
		t.Fatalf("first lookup: status %d: %s", first.Code, first.Body.String())
	}
	a := decodeSheet(t, first)
	if a.Source != "pricing" {
		t.Errorf("first lookup of a product: source %q, want \"pricing\"", a.Source)
	}
	second := get(path, nil)
	if second.Code != http.StatusOK {
		t.Fatalf("second lookup: status %d: %s", second.Code, second.Body.String())
	}
	b := decodeSheet(t, second)
	if b.Source != "cache" {
		t.Errorf("repeated lookup: source %q, want \"cache\"", b.Source)
	}
	if !a.Sheet.RenderedAt.Equal(b.Sheet.RenderedAt) || a.Sheet.ListPriceCents != b.Sheet.ListPriceCents {
		t.Errorf("the cached sheet differs from the one priced a moment ago")
	}
	etag := first.Header().Get("ETag")
	if etag == "" || second.Header().Get("ETag") != etag {
		t.Errorf("ETag changed between lookups: %q then %q", etag, second.Header().Get("ETag"))
	}
	cond := get(path, map[string]string{"If-None-Match": etag})
	if cond.Code != http.StatusNotModified {
		t.Errorf("conditional lookup with the current ETag: status %d, want 304", cond.Code)
	}
}

func TestUnknownAndMalformedProducts(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/products/99999999/price", http.StatusNotFound, "no such product"},
		{"/products/10000000/price", http.StatusNotFound, "no such product"},
		{"/products/abc/price", http.StatusBadRequest, "invalid product id"},
		{"/products/-3/price", http.StatusBadRequest, "invalid product id"},
	} {
		rec := get(tc.path, nil)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}

// heapAlloc reads HeapAlloc from the heap profile handler, which collects
// garbage before it reads the runtime's statistics.
func heapAlloc(t *testing.T) uint64 {
	t.Helper()
	rec := get("/debug/pprof/heap?gc=1&debug=1", nil)
	sc := bufio.NewScanner(rec.Body)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatalf("heap profile: bad HeapAlloc line %q", sc.Text())
			}
			return n
		}
	}
	t.Fatal("heap profile: no HeapAlloc line")
	return 0
}

// crawl looks up n products that have not been asked for before, from
// several goroutines, the way a partner feed walks the catalogue.
func crawl(t *testing.T, first, n int) {
	t.Helper()
	const workers = 4
	var wg sync.WaitGroup
	var failed sync.Once
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := first + w; id < first+n; id += workers {
				rec := get("/products/"+strconv.Itoa(id)+"/price", nil)
				if rec.Code != http.StatusOK {
					failed.Do(func() { t.Errorf("product %d: status %d", id, rec.Code) })
				}
			}
		}()
	}
	wg.Wait()
}

func TestCrawlDoesNotGrowHeap(t *testing.T) {
	startService(t)
	// The first crawl fills whatever bounded cache the service keeps; the
	// second one, over other products, must not add to the live heap.
	crawl(t, 2_000_000, 20_000)
	before := heapAlloc(t)
	crawl(t, 3_000_000, 20_000)
	after := heapAlloc(t)
	t.Logf("live heap after the first crawl %d bytes, after the second %d bytes", before, after)
	const limit = 8 << 20
	if after > before && after-before > limit {
		t.Errorf("live heap grew by %.1f MiB over 20,000 new products (limit %d MiB): the cache keeps every sheet",
			float64(after-before)/(1<<20), limit>>20)
	}
}
