package main

// Hidden tests for the rss-after-spike scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly, and check that the three views of the ledger agree with each other.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
	probe := httptest.NewRequest("GET", "/companies/1/journal?date=2025-01-01", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the journal route was not registered within 5s of starting main")
}

func get(path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

type dayJournal struct {
	Company int    `json:"company"`
	Date    string `json:"date"`
	Entries []struct {
		Memo   string `json:"memo"`
		Debit  int    `json:"debit_account"`
		Credit int    `json:"credit_account"`
		Cents  int64  `json:"amount_cents"`
	} `json:"entries"`
	TotalCents int64 `json:"total_cents"`
}

func journal(t *testing.T, company int, date string) dayJournal {
	t.Helper()
	rec := get("/companies/" + strconv.Itoa(company) + "/journal?date=" + date)
	if rec.Code != http.StatusOK {
		t.Fatalf("journal %d %s: status %d: %s", company, date, rec.Code, rec.Body.String())
	}
	var j dayJournal
	if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil {
		t.Fatalf("journal %d %s: not the journal JSON: %v", company, date, err)
	}
	return j
}

func TestDayJournal(t *testing.T) {
	startService(t)
	j := journal(t, 42, "2025-10-14")
	if j.Company != 42 || j.Date != "2025-10-14" || len(j.Entries) != 200 {
		t.Fatalf("company %d date %q with %d entries, want 42, 2025-10-14, 200", j.Company, j.Date, len(j.Entries))
	}
	var total int64
	for i, e := range j.Entries {
		if e.Debit == e.Credit || e.Cents <= 0 || e.Memo == "" {
			t.Errorf("entry %d is not a balanced posting: %+v", i+1, e)
		}
		total += e.Cents
	}
	if total != j.TotalCents || total != 25835637 {
		t.Errorf("entries add up to %d, total says %d, want 25835637", total, j.TotalCents)
	}
	if again := journal(t, 42, "2025-10-14"); again.TotalCents != j.TotalCents {
		t.Errorf("the same day's journal changed between two reads")
	}
}

func TestMonthSummaryMatchesTheJournals(t *testing.T) {
	startService(t)
	rec := get("/companies/7/accounts/1100/summary?month=2024-02")
	if rec.Code != http.StatusOK {
		t.Fatalf("summary: status %d: %s", rec.Code, rec.Body.String())
	}
	var s struct {
		Debit    int64 `json:"debit_cents"`
		Credit   int64 `json:"credit_cents"`
		Net      int64 `json:"net_cents"`
		Postings int   `json:"postings"`
		Name     string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	var debit, credit int64
	postings := 0
	for d := 1; d <= 29; d++ {
		for _, e := range journal(t, 7, "2024-02-"+strconv.Itoa(100 + d)[1:]).Entries {
			if e.Debit == 1100 {
				debit, postings = debit+e.Cents, postings+1
			}
			if e.Credit == 1100 {
				credit, postings = credit+e.Cents, postings+1
			}
		}
	}
	if s.Debit != debit || s.Credit != credit || s.Net != debit-credit || s.Postings != postings {
		t.Errorf("summary %+v; the 29 day journals say debit %d credit %d over %d postings", s, debit, credit, postings)
	}
	if s.Name != "Accounts receivable" {
		t.Errorf("account 1100 is called %q", s.Name)
	}
}

func TestYearlyExportIsComplete(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		company, year, days int
	}{{42, 2025, 365}, {9001, 2024, 366}} {
		path := "/companies/" + strconv.Itoa(tc.company) + "/exports/journal.csv?year=" + strconv.Itoa(tc.year)
		rec := get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body.String())
		}
		body := rec.Body.Bytes()
		want := tc.days * 200 * 2
		if got := rec.Header().Get("X-Journal-Lines"); got != strconv.Itoa(want) {
			t.Errorf("%s: X-Journal-Lines %q, want %d", path, got, want)
		}
		if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %q for a body of %d bytes", path, got, len(body))
		}
		sum := sha256.Sum256(body)
		if got := rec.Header().Get("Digest"); got != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: Digest %q does not match the body", path, got)
		}
		lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
		if len(lines) != want+2 || lines[0] != "date,entry,line,account,account_name,debit,credit,memo" {
			t.Fatalf("%s: %d lines starting %q, want a header, %d lines and the control totals", path, len(lines), lines[0], want)
		}
		y := strconv.Itoa(tc.year)
		if !strings.HasPrefix(lines[1], y+"-01-01,JE-"+y+"0101-0001,1,") ||
			!strings.HasPrefix(lines[want], y+"-12-31,JE-"+y+"1231-0200,2,") {
			t.Errorf("%s: runs from %q to %q", path, lines[1], lines[want])
		}
		var debits, credits int64
		for _, l := range lines[1 : want+1] {
			f := strings.Split(l, ",")
			if len(f) != 8 {
				t.Fatalf("%s: line %q has %d fields", path, l, len(f))
			}
			debits += cents(t, f[5])
			credits += cents(t, f[6])
		}
		if debits != credits || debits == 0 {
			t.Errorf("%s: debits %d and credits %d do not balance", path, debits, credits)
		}
		total := strings.Split(lines[want+1], ",")
		if len(total) != 8 || total[0] != "TOTAL" || total[2] != strconv.Itoa(want) ||
			cents(t, total[5]) != debits || cents(t, total[6]) != credits {
			t.Errorf("%s: control totals %q, want %d lines, debit %d and credit %d cents", path, lines[want+1], want, debits, credits)
		}
	}
	oct := journal(t, 42, "2025-10-14")
	rec := get("/companies/42/exports/journal.csv?year=2025")
	if !bytes.Contains(rec.Body.Bytes(), []byte("2025-10-14,JE-20251014-0200,1,"+strconv.Itoa(oct.Entries[199].Debit)+",")) {
		t.Errorf("the export's 14 October does not end with the day journal's last entry")
	}
}

func cents(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	whole, frac, ok := strings.Cut(s, ".")
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || len(frac) != 2 || err1 != nil || err2 != nil {
		t.Fatalf("amount %q is not in units.cents", s)
	}
	return w*100 + f
}

func TestBadRequests(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/companies/42/journal?date=2025-13-01", http.StatusBadRequest, "date must be YYYY-MM-DD"},
		{"/companies/0/journal?date=2025-10-14", http.StatusBadRequest, "invalid company id"},
		{"/companies/42/accounts/9999/summary?month=2025-10", http.StatusNotFound, "no such account"},
		{"/companies/42/accounts/4010/summary?month=October", http.StatusBadRequest, "month must be YYYY-MM"},
		{"/companies/42/exports/journal.csv?year=1999", http.StatusBadRequest, "year must be between 2000 and 2099"},
		{"/companies/abc/exports/journal.csv?year=2025", http.StatusBadRequest, "invalid company id"},
	} {
		rec := get(tc.path)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
	}
}

// heapAlloc reads HeapAlloc from the heap profile handler, which collects
// garbage before it reads the runtime's statistics.
func heapAlloc(t *testing.T) uint64 {
	t.Helper()
	rec := get("/debug/pprof/heap?gc=1&debug=1")
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

func TestLiveHeapStaysFlat(t *testing.T) {
	startService(t)
	traffic := func(first int) {
		for c := first; c < first+500; c++ {
			if rec := get("/companies/" + strconv.Itoa(c) + "/journal?date=2025-03-31"); rec.Code != http.StatusOK {
				t.Fatalf("journal of company %d: status %d", c, rec.Code)
			}
		}
		if rec := get("/companies/" + strconv.Itoa(first) + "/exports/journal.csv?year=2025"); rec.Code != http.StatusOK {
			t.Fatalf("export of company %d: status %d", first, rec.Code)
		}
	}
	traffic(100_000)
	before := heapAlloc(t)
	traffic(200_000)
	after := heapAlloc(t)
	t.Logf("live heap after the first round %d bytes, after the second %d bytes", before, after)
	const limit = 4 << 20
	if after > before && after-before > limit {
		t.Errorf("the live heap grew by %.1f MiB over 500 journals and one export (limit %d MiB)",
			float64(after-before)/(1<<20), limit>>20)
	}
}
