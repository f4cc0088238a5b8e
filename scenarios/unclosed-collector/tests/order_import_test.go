package main

// Hidden tests for the unclosed-collector scenario. They start the real
// service once (main registers its routes on http.DefaultServeMux) and call
// the mux directly, so no network goroutines muddy the goroutine counts.

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
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
	probe := httptest.NewRequest("POST", "/imports", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the import route was not registered within 5s of starting main")
}

type line struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type lineErr struct {
	Line   int    `json:"line"`
	SKU    string `json:"sku"`
	Reason string `json:"reason"`
}

type summary struct {
	Account    string    `json:"account"`
	Lines      int       `json:"lines"`
	Imported   int       `json:"imported"`
	Rejected   int       `json:"rejected"`
	TotalCents int64     `json:"total_cents"`
	Errors     []lineErr `json:"errors"`
}

func post(body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/imports", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

func importBatch(t *testing.T, account string, lines []line) summary {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"account": account, "lines": lines})
	rec := post(string(body))
	if rec.Code != http.StatusOK {
		t.Fatalf("import for %s: status %d: %s", account, rec.Code, rec.Body.String())
	}
	var s summary
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatalf("import for %s: %v: %s", account, err, rec.Body.String())
	}
	if s.Errors == nil {
		t.Errorf("import for %s: errors is null, want a list: %s", account, rec.Body.String())
	}
	return s
}

// expected prices a batch the way the catalogue does.
func expected(account string, lines []line) summary {
	s := summary{Account: account, Lines: len(lines), Errors: []lineErr{}}
	for i, l := range lines {
		code, isSKU := strings.CutPrefix(l.SKU, "SKU-")
		_, err := strconv.ParseUint(code, 10, 32)
		switch {
		case !isSKU || err != nil:
			s.Rejected++
			s.Errors = append(s.Errors, lineErr{i + 1, l.SKU, "unknown sku format"})
		case l.Qty < 1 || l.Qty > 1000:
			s.Rejected++
			s.Errors = append(s.Errors, lineErr{i + 1, l.SKU, "quantity must be between 1 and 1000"})
		default:
			h := fnv.New32a()
			h.Write([]byte(l.SKU))
			s.Imported++
			s.TotalCents += (99 + int64(h.Sum32()%20_000)) * int64(l.Qty)
		}
	}
	return s
}

func compare(t *testing.T, got, want summary) {
	t.Helper()
	if got.Account != want.Account || got.Lines != want.Lines || got.Imported != want.Imported ||
		got.Rejected != want.Rejected || got.TotalCents != want.TotalCents {
		t.Errorf("summary for %s: got %d lines, %d imported, %d rejected, %d cents; want %d, %d, %d, %d",
			want.Account, got.Lines, got.Imported, got.Rejected, got.TotalCents,
			want.Lines, want.Imported, want.Rejected, want.TotalCents)
	}
	if len(got.Errors) != len(want.Errors) {
		t.Fatalf("summary for %s: %d line errors, want %d: %+v", want.Account, len(got.Errors), len(want.Errors), got.Errors)
	}
	for i := range want.Errors {
		if got.Errors[i] != want.Errors[i] {
			t.Errorf("summary for %s: error %d is %+v, want %+v (errors in line order)", want.Account, i, got.Errors[i], want.Errors[i])
		}
	}
}

func TestCleanBatchIsTotalled(t *testing.T) {
	startService(t)
	lines := []line{{"SKU-1001", 2}, {"SKU-2002", 5}}
	got := importBatch(t, "acme", lines)
	if got.TotalCents != 19652 {
		t.Errorf("total %d cents, want 19652", got.TotalCents)
	}
	compare(t, got, expected("acme", lines))
}

func TestRejectedLinesAreReported(t *testing.T) {
	startService(t)
	lines := []line{{"SKU-1001", 2}, {"BOLT-7", 1}, {"SKU-3003", 0}, {"SKU-4004", 1001}, {"SKU-x", 1}, {"SKU-5005", 1000}}
	got := importBatch(t, "acme", lines)
	compare(t, got, expected("acme", lines))
	if len(got.Errors) > 0 && got.Errors[0] != (lineErr{2, "BOLT-7", "unknown sku format"}) {
		t.Errorf("first error %+v, want line 2 BOLT-7 unknown sku format", got.Errors[0])
	}
}

func TestLargeBatch(t *testing.T) {
	startService(t)
	var lines []line
	for i := range 500 {
		l := line{fmt.Sprintf("SKU-%d", 10_000+i*37), 1 + i%9}
		if i%11 == 4 {
			l.SKU = fmt.Sprintf("PART-%d", i)
		}
		if i%13 == 6 {
			l.Qty = 0
		}
		lines = append(lines, l)
	}
	compare(t, importBatch(t, "bulk", lines), expected("bulk", lines))
}

func TestConcurrentBatchesStaySeparate(t *testing.T) {
	startService(t)
	var wg sync.WaitGroup
	for b := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lines []line
			for i := range 3 + b*5 {
				lines = append(lines, line{fmt.Sprintf("SKU-%d", b*1000+i), 1 + (i+b)%4})
			}
			lines = append(lines, line{fmt.Sprintf("bad-%d", b), 1})
			account := fmt.Sprintf("acct-%d", b)
			compare(t, importBatch(t, account, lines), expected(account, lines))
		}()
	}
	wg.Wait()
}

func TestInvalidBatchesAreRefused(t *testing.T) {
	startService(t)
	many := make([]string, 501)
	for i := range many {
		many[i] = `{"sku":"SKU-1","qty":1}`
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"empty", `{"account":"acme","lines":[]}`, "1 to 500 lines"},
		{"no account", `{"lines":[{"sku":"SKU-1","qty":1}]}`, "1 to 500 lines"},
		{"too many lines", `{"account":"acme","lines":[` + strings.Join(many, ",") + `]}`, "1 to 500 lines"},
		{"malformed", `{"account":"acme","lines":[`, "malformed batch"},
	} {
		rec := post(tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s batch: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func TestImportsLeaveNoGoroutines(t *testing.T) {
	startService(t)
	settle := func() int {
		n := runtime.NumGoroutine()
		for range 40 {
			time.Sleep(10 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				return m
			}
			n = m
		}
		return n
	}
	base := settle()
	const batches = 50
	for b := range batches {
		lines := []line{{fmt.Sprintf("SKU-%d", b), 3}, {fmt.Sprintf("SKU-%d", b+1), 1}, {"X-1", 2}}
		importBatch(t, "acct-leak", lines)
	}
	now := runtime.NumGoroutine()
	for deadline := time.Now().Add(500 * time.Millisecond); time.Now().Before(deadline); {
		if now = runtime.NumGoroutine(); now <= base+2 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d imports left %d goroutines behind (%d before, %d after 500 ms)", batches, now-base, base, now)
}
