package main

// Hidden tests for the buffer-pool scenario. They start the real service once
// (main registers its routes on http.DefaultServeMux) and call the mux
// directly. They check what the accounting tools rely on: complete exports of
// any length, with a length and a SHA-256 that match the body, also when many
// exports of different sizes run at once.

import (
	"crypto/sha256"
	"encoding/hex"
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
	probe := httptest.NewRequest("GET", "/shops/shop-1/orders.csv", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the export route was not registered within 5s of starting main")
}

func fetchExport(path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

// checkExport verifies an export against its own headers and trailer and
// returns its number of orders; it reports problems as strings so that it can
// run in any goroutine.
func checkExport(rec *httptest.ResponseRecorder, shop string, days int) (int, string) {
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		return 0, fmt.Sprintf("%s, %d days: status %d: %.200s", shop, days, rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		return 0, fmt.Sprintf("%s, %d days: Content-Type %q", shop, days, ct)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		return 0, fmt.Sprintf("%s, %d days: Content-Length %s for a body of %d bytes", shop, days, cl, len(body))
	}
	sum := sha256.Sum256([]byte(body))
	if got := rec.Header().Get("X-Content-SHA256"); got != hex.EncodeToString(sum[:]) {
		return 0, fmt.Sprintf("%s, %d days: X-Content-SHA256 %q does not match the body", shop, days, got)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) < 3 || lines[0] != "order,date,sku,qty,unit_cents,total_cents" {
		return 0, fmt.Sprintf("%s, %d days: not an order export: %.200s", shop, days, body)
	}
	rows := lines[1 : len(lines)-1]
	var total int64
	dates := map[string]bool{}
	for _, row := range rows {
		f := strings.Split(row, ",")
		if len(f) != 6 || !strings.HasPrefix(f[0], shop+"-") {
			return 0, fmt.Sprintf("%s, %d days: bad row %q", shop, days, row)
		}
		qty, _ := strconv.ParseInt(f[3], 10, 64)
		unit, _ := strconv.ParseInt(f[4], 10, 64)
		sum, _ := strconv.ParseInt(f[5], 10, 64)
		if qty < 1 || unit < 1 || sum != qty*unit {
			return 0, fmt.Sprintf("%s, %d days: row %q does not add up", shop, days, row)
		}
		total += sum
		dates[f[1]] = true
	}
	if want := fmt.Sprintf("# %d orders, total %d cents", len(rows), total); lines[len(lines)-1] != want {
		return 0, fmt.Sprintf("%s, %d days: trailer %q, want %q", shop, days, lines[len(lines)-1], want)
	}
	if rec.Header().Get("X-Export-Rows") != strconv.Itoa(len(rows)) {
		return 0, fmt.Sprintf("%s, %d days: X-Export-Rows %q for %d rows", shop, days, rec.Header().Get("X-Export-Rows"), len(rows))
	}
	if len(dates) != days || !dates["2026-10-31"] {
		return 0, fmt.Sprintf("%s, %d days: orders on %d distinct days, want %d ending 2026-10-31", shop, days, len(dates), days)
	}
	return len(rows), ""
}

func TestExportsOfEveryLength(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		path string
		days int
		rows int
	}{
		{"/shops/shop-42/orders.csv", 7, 163},
		{"/shops/shop-42/orders.csv?days=365", 365, 7851},
		{"/shops/shop-7/orders.csv?days=92", 92, 2000},
		{"/shops/shop-7/orders.csv?days=1", 1, -1},
		{"/shops/shop-7/orders.csv?days=400", 400, -1},
	} {
		shop := strings.Split(tc.path, "/")[2]
		rows, problem := checkExport(fetchExport(tc.path), shop, tc.days)
		if problem != "" {
			t.Error(problem)
		} else if tc.rows >= 0 && rows != tc.rows {
			t.Errorf("%s: %d orders, want %d", tc.path, rows, tc.rows)
		}
	}
}

func TestRepeatedExportsAreIdentical(t *testing.T) {
	startService(t)
	first := fetchExport("/shops/shop-rep/orders.csv?days=60")
	fetchExport("/shops/shop-other/orders.csv?days=300")
	fetchExport("/shops/shop-small/orders.csv?days=2")
	again := fetchExport("/shops/shop-rep/orders.csv?days=60")
	if first.Body.String() != again.Body.String() {
		t.Errorf("the same export differs between two requests (%d and %d bytes)", first.Body.Len(), again.Body.Len())
	}
}

func TestConcurrentExportsOfMixedSizes(t *testing.T) {
	startService(t)
	days := []int{7, 31, 3, 92, 7, 180, 14, 365}
	var wg sync.WaitGroup
	problems := make(chan string, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				d := days[(w+i)%len(days)]
				shop := fmt.Sprintf("shop-mix-%d-%d", w, i)
				if _, problem := checkExport(fetchExport(fmt.Sprintf("/shops/%s/orders.csv?days=%d", shop, d)), shop, d); problem != "" {
					problems <- problem
				}
			}
		}()
	}
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
}

func TestInvalidExportsAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ path, want string }{
		{"/shops/shop-42/orders.csv?days=0", "from 1 to 400"},
		{"/shops/shop-42/orders.csv?days=401", "from 1 to 400"},
		{"/shops/shop-42/orders.csv?days=week", "from 1 to 400"},
		{"/shops/ab/orders.csv", "3 to 40 characters"},
	} {
		rec := fetchExport(tc.path)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s: %d %q, want 400 containing %q", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
