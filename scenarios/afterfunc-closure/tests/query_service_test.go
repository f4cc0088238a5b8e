package main

// Hidden tests for the afterfunc-closure scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly. They check what the service promises: the answers, the time limit
// that aborts a runaway query, and the list of running queries.

import (
	"encoding/json"
	"fmt"
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
	probe := httptest.NewRequest("POST", "/queries", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the query route was not registered within 5s of starting main")
}

func callMux(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

type queryAnswer struct {
	ID     string           `json:"id"`
	Shop   string           `json:"shop"`
	Metric string           `json:"metric"`
	Days   int              `json:"days"`
	Groups map[string]int64 `json:"groups"`
	Error  string           `json:"error"`
}

func postQuery(t *testing.T, body string) (int, queryAnswer) {
	t.Helper()
	rec := callMux("POST", "/queries", body)
	var a queryAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("response to %s is not JSON: %v\n%s", body, err, rec.Body.String())
	}
	return rec.Code, a
}

func listRunning(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	rec := callMux("GET", "/queries/running", "")
	var out struct {
		Running map[string]json.RawMessage `json:"running"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("GET /queries/running: %d %s", rec.Code, rec.Body.String())
	}
	return out.Running
}

func TestAnswersAreComplete(t *testing.T) {
	startService(t)
	code, a := postQuery(t, `{"shop":"shop-42","metric":"revenue","from":"2026-10-01","to":"2026-10-03","group_by":"day"}`)
	want := map[string]int64{"2026-10-01": 3927518, "2026-10-02": 1130193, "2026-10-03": 2387963}
	if code != http.StatusOK || a.Days != 3 || fmt.Sprint(a.Groups) != fmt.Sprint(want) {
		t.Errorf("daily revenue of shop-42: %d %+v, want 200 with %v", code, a, want)
	}
	if a.Shop != "shop-42" || a.Metric != "revenue" || !strings.HasPrefix(a.ID, "q-") {
		t.Errorf("queryAnswer does not say what it answers: %+v", a)
	}

	// The orders by region over a month are the sum of the orders of its days.
	_, month := postQuery(t, `{"shop":"shop-9","metric":"orders","from":"2026-10-01","to":"2026-10-31","group_by":"region"}`)
	_, days := postQuery(t, `{"shop":"shop-9","metric":"orders","from":"2026-10-01","to":"2026-10-31","group_by":"day"}`)
	var byRegion, byDay int64
	for _, v := range month.Groups {
		byRegion += v
	}
	for _, v := range days.Groups {
		byDay += v
	}
	if len(month.Groups) != 8 || len(days.Groups) != 31 || byRegion != byDay || byRegion == 0 {
		t.Errorf("orders of shop-9 in October: %d regions totalling %d, %d days totalling %d; want 8 regions, 31 days, equal totals",
			len(month.Groups), byRegion, len(days.Groups), byDay)
	}
}

func TestArchiveQueryWithinItsLimitIsAnswered(t *testing.T) {
	startService(t)
	start := time.Now()
	code, a := postQuery(t, `{"shop":"shop-7","metric":"revenue","from":"2025-12-01","to":"2025-12-31","group_by":"region"}`)
	if code != http.StatusOK || a.Days != 31 || a.Groups["apac"] == 0 {
		t.Errorf("a month of archived days with the default limit: %d %+v, want 200 with 31 days", code, a)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("31 archived days answered in %v: the archive tier was not read", took)
	}
}

func TestRunawayQueryIsAbortedAndUnlisted(t *testing.T) {
	startService(t)
	type result struct {
		code int
		a    queryAnswer
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		code, a := postQuery(t, `{"shop":"shop-13","metric":"orders","from":"2020-01-01","to":"2025-12-31","group_by":"day","time_limit_ms":400}`)
		done <- result{code, a}
	}()
	time.Sleep(150 * time.Millisecond)
	listed := false
	for id, entry := range listRunning(t) {
		if strings.Contains(string(entry), `"shop":"shop-13"`) && strings.HasPrefix(id, "q-") {
			listed = true
		}
	}
	if !listed {
		t.Errorf("a query scanning the archive is not listed as running")
	}
	select {
	case r := <-done:
		if r.code != http.StatusGatewayTimeout || !strings.Contains(r.a.Error, "exceeded its time limit of 400ms") {
			t.Errorf("runaway query: %d %+v, want 504 exceeded its time limit of 400ms", r.code, r.a)
		}
		if took := time.Since(start); took < 350*time.Millisecond || took > 1500*time.Millisecond {
			t.Errorf("runaway query with a 400ms limit answered after %v", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a query with a 400ms time limit was still running after 5s")
	}
	for _, entry := range listRunning(t) {
		if strings.Contains(string(entry), `"shop":"shop-13"`) {
			t.Errorf("the aborted query is still listed as running: %s", entry)
		}
	}
}

func TestFinishedQueriesAreUnlisted(t *testing.T) {
	startService(t)
	for i := range 20 {
		if code, a := postQuery(t, fmt.Sprintf(`{"shop":"shop-list-%d","metric":"orders","from":"2026-06-01","to":"2026-06-30","group_by":"region","time_limit_ms":60000}`, i)); code != http.StatusOK {
			t.Fatalf("query %d: %d %+v", i, code, a)
		}
	}
	for _, entry := range listRunning(t) {
		if strings.Contains(string(entry), "shop-list-") {
			t.Errorf("a finished query is still listed as running: %s", entry)
		}
	}
}

func TestInvalidQueriesAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ name, body, want string }{
		{"unknown metric", `{"shop":"s","metric":"profit","from":"2026-10-01","to":"2026-10-02","group_by":"day"}`, "revenue or orders"},
		{"no shop", `{"metric":"orders","from":"2026-10-01","to":"2026-10-02","group_by":"day"}`, "needs a shop"},
		{"bad grouping", `{"shop":"s","metric":"orders","from":"2026-10-01","to":"2026-10-02","group_by":"week"}`, "day or region"},
		{"reversed dates", `{"shop":"s","metric":"orders","from":"2026-10-02","to":"2026-10-01","group_by":"day"}`, "from and to"},
		{"before the history", `{"shop":"s","metric":"orders","from":"2019-12-31","to":"2020-01-02","group_by":"day"}`, "from and to"},
		{"limit too long", `{"shop":"s","metric":"orders","from":"2026-10-01","to":"2026-10-02","group_by":"day","time_limit_ms":1800001}`, "time_limit_ms"},
		{"malformed", `{"shop":`, "malformed query"},
	} {
		code, a := postQuery(t, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(a.Error, tc.want) {
			t.Errorf("%s: %d %q, want 400 containing %q", tc.name, code, a.Error, tc.want)
		}
	}
}
