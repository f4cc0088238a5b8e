package main

// Hidden tests for the body-not-closed scenario. They start the real service
// once (main starts the archive and registers the gateway's routes on
// http.DefaultServeMux) and call the mux directly; the gateway still talks to
// its archive over loopback HTTP, which is what the goroutine counts watch.

import (
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
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
	probe := httptest.NewRequest("GET", "/statements/1", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the statement route was not registered within 5s of starting main")
}

type receipt struct {
	Account    int    `json:"account"`
	Period     string `json:"period"`
	Key        string `json:"key"`
	ETag       string `json:"etag"`
	Bytes      int64  `json:"bytes"`
	Rows       int    `json:"rows"`
	TotalCents int64  `json:"total_cents"`
}

func get(path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

var testMeters = []struct {
	name  string
	cents int64
}{
	{"api-calls", 2}, {"storage-gb", 11}, {"egress-gb", 9}, {"build-minutes", 4},
	{"seats", 150}, {"sms", 7}, {"email", 1}, {"support-tickets", 350},
}

// expectedStatement computes rows, total and size the way the billing rules do.
func expectedStatement(account int, period string) (rows int, total, size int64) {
	month, _ := time.Parse("2006-01", period)
	size = int64(len("account,day,meter,units,unit_cents,amount_cents\n"))
	for day := month; day.Month() == month.Month(); day = day.AddDate(0, 0, 1) {
		for _, m := range testMeters {
			h := fnv.New32a()
			fmt.Fprintf(h, "%d/%s/%s", account, day.Format(time.DateOnly), m.name)
			units := int64(h.Sum32() % 500)
			line := fmt.Sprintf("%d,%s,%s,%d,%d,%d\n", account, day.Format(time.DateOnly), m.name, units, m.cents, units*m.cents)
			size += int64(len(line))
			rows++
			total += units * m.cents
		}
	}
	return rows, total, size
}

var hexETag = regexp.MustCompile(`^[0-9a-f]{64}$`)

func fileStatement(t *testing.T, account int, period string) receipt {
	t.Helper()
	rec := get(fmt.Sprintf("/statements/%d?period=%s", account, period))
	if rec.Code != http.StatusCreated {
		t.Fatalf("statement %d/%s: status %d: %s", account, period, rec.Code, rec.Body.String())
	}
	var r receipt
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("statement %d/%s: %v: %s", account, period, err, rec.Body.String())
	}
	rows, total, size := expectedStatement(account, period)
	want := receipt{account, period, fmt.Sprintf("statements/%s/%d.csv", period, account), r.ETag, size, rows, total}
	if r != want {
		t.Errorf("statement %d/%s: got %+v, want %+v", account, period, r, want)
	}
	if !hexETag.MatchString(r.ETag) {
		t.Errorf("statement %d/%s: etag %q is not a sha256 in hex", account, period, r.ETag)
	}
	return r
}

func TestStatementsAreFiled(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		account int
		period  string
	}{{42, "2026-10"}, {1, "2026-02"}, {9_999_998, "2024-02"}, {1000, "2030-12"}} {
		fileStatement(t, tc.account, tc.period)
	}
	a, b := fileStatement(t, 42, "2026-10"), fileStatement(t, 42, "2026-10")
	if a.ETag != b.ETag {
		t.Errorf("the same statement filed twice has etags %s and %s", a.ETag, b.ETag)
	}
	if c := fileStatement(t, 44, "2026-10"); c.ETag == a.ETag {
		t.Errorf("statements of accounts 42 and 44 have the same etag %s", a.ETag)
	}
}

func TestHeldAccountsAreRefused(t *testing.T) {
	startService(t)
	for account, reason := range map[int]string{11: "audit", 3: "audit", 15: "litigation", 1_000_007: "litigation"} {
		rec := get(fmt.Sprintf("/statements/%d", account))
		want := fmt.Sprintf("statement for account %d not filed: account is on hold (%s)", account, reason)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("account %d: %d %s, want 409 containing %q", account, rec.Code, rec.Body.String(), want)
		}
	}
}

func TestBadRequestsAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ path, want string }{
		{"/statements/0", "account must be a number"},
		{"/statements/abc", "account must be a number"},
		{"/statements/10000000", "account must be a number"},
		{"/statements/42?period=2026-13", "period must be a month"},
		{"/statements/42?period=1999-01", "period must be a month"},
		{"/statements/42?period=october", "period must be a month"},
	} {
		rec := get(tc.path)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return m
		}
		n = m
	}
	return n
}

func expectNoGrowth(t *testing.T, what string, base int) {
	t.Helper()
	now := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		if now = runtime.NumGoroutine(); now <= base+6 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s left %d goroutines behind (%d before, %d after 1s)", what, now-base, base, now)
}

func TestHeldAccountsLeaveNoGoroutines(t *testing.T) {
	startService(t)
	get("/statements/11")
	fileStatement(t, 42, "2026-10")
	base := settledGoroutines()
	for i := range 40 {
		get(fmt.Sprintf("/statements/%d", 8*i+3))
		fileStatement(t, 8*i+1, "2026-10")
	}
	expectNoGrowth(t, "40 held and 40 filed statements", base)
}

// An archive that refuses everything, for reasons the gateway cannot know in
// advance: every answer it gets must still be released.
func TestRefusalsLeaveNoGoroutines(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		name := strings.TrimSuffix(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], ".csv")
		if account, _ := strconv.Atoi(name); account%2 == 0 {
			w.Header().Set("X-Hold-Reason", "migration")
			w.WriteHeader(http.StatusLocked)
			fmt.Fprintln(w, `{"error":"read-only while migrating"}`)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"error":"archive is draining"}`)
	}))
	defer refusing.Close()
	g := newGateway(refusing.URL, new(expvar.Map))
	call := func(account int) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", fmt.Sprintf("/statements/%d", account), nil)
		req.SetPathValue("account", fmt.Sprint(account))
		g.handleStatement(rec, req)
		return rec
	}
	call(41)
	call(42)
	base := settledGoroutines()
	for i := range 40 {
		// Accounts 8k+1 and 8k+2, which no hold rule of the real archive covers.
		account := 8*(100+i/2) + 1 + i%2
		rec := call(account)
		want := http.StatusBadGateway
		if i%2 == 1 {
			want = http.StatusConflict
		}
		if rec.Code != want {
			t.Fatalf("account %d: status %d (%s), want %d", account, rec.Code, rec.Body.String(), want)
		}
		if want == http.StatusConflict && !strings.Contains(rec.Body.String(), "account is on hold (migration)") {
			t.Errorf("account %d: %s, want the archive's hold reason", account, rec.Body.String())
		}
	}
	expectNoGrowth(t, "40 refused statements", base)
}
