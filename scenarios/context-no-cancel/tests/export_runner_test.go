package main

// Hidden tests for the context-no-cancel scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly.

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
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
	probe := httptest.NewRequest("POST", "/tenants/probe/exports", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the export routes were not registered within 5s of starting main")
}

type exportJSON struct {
	ID       string `json:"id"`
	Tenant   string `json:"tenant"`
	Dataset  string `json:"dataset"`
	State    string `json:"state"`
	Months   int    `json:"months"`
	Rows     int64  `json:"rows"`
	Bytes    int64  `json:"bytes"`
	Checksum string `json:"checksum"`
	Error    string `json:"error"`
}

func call(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) exportJSON {
	t.Helper()
	var v exportJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %d is not an export: %v: %s", rec.Code, err, rec.Body.String())
	}
	return v
}

func submit(t *testing.T, tenant, dataset, from, to, wait string) (int, exportJSON) {
	t.Helper()
	path := "/tenants/" + tenant + "/exports"
	if wait != "" {
		path += "?wait=" + wait
	}
	rec := call("POST", path, fmt.Sprintf(`{"dataset":%q,"from":%q,"to":%q}`, dataset, from, to))
	if rec.Code != http.StatusOK && rec.Code != http.StatusAccepted {
		t.Fatalf("export %s %s %s..%s: status %d: %s", tenant, dataset, from, to, rec.Code, rec.Body.String())
	}
	return rec.Code, decode(t, rec)
}

// expected computes an export's totals the way the warehouse pages them out.
func expected(tenant, dataset string, months ...string) (rows, bytes int64, checksum string) {
	sizes := map[string][2]int64{"orders": {1_200, 96}, "invoices": {300, 160}, "events": {250_000, 64}}
	var sum uint64
	for _, m := range months {
		month, _ := time.Parse("2006-01", m)
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%s/%s", tenant, dataset, m)
		days := int64(month.AddDate(0, 1, -1).Day())
		n := days * sizes[dataset][0] * int64(90+h.Sum64()%21) / 100
		rows += n
		bytes += n * sizes[dataset][1]
		sum = sum*1099511628211 ^ h.Sum64()
	}
	return rows, bytes, fmt.Sprintf("%016x", sum)
}

func TestExportTotals(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		tenant, dataset string
		months          []string
	}{
		{"acme", "orders", []string{"2026-10"}},
		{"acme", "invoices", []string{"2026-01", "2026-02", "2026-03"}},
		{"initech", "orders", []string{"2025-11", "2025-12", "2026-01", "2026-02"}},
		{"umbrella", "invoices", []string{"2025-01"}},
	} {
		first, last := tc.months[0], tc.months[len(tc.months)-1]
		code, v := submit(t, tc.tenant, tc.dataset, first, last, "10s")
		rows, bytes, sum := expected(tc.tenant, tc.dataset, tc.months...)
		if code != http.StatusOK || v.State != "done" {
			t.Errorf("%s %s %s..%s: %d %+v, want 200 done", tc.tenant, tc.dataset, first, last, code, v)
			continue
		}
		if v.Tenant != tc.tenant || v.Dataset != tc.dataset || v.Months != len(tc.months) ||
			v.Rows != rows || v.Bytes != bytes || v.Checksum != sum || !strings.HasPrefix(v.ID, "exp-") {
			t.Errorf("%s %s %s..%s: got %+v, want %d months, %d rows, %d bytes, checksum %s",
				tc.tenant, tc.dataset, first, last, v, len(tc.months), rows, bytes, sum)
		}
		rec := call("GET", "/exports/"+v.ID, "")
		if got := decode(t, rec); rec.Code != http.StatusOK || got != v {
			t.Errorf("GET /exports/%s: %d %+v, want the finished export %+v", v.ID, rec.Code, got, v)
		}
	}
}

func TestArchivedMonthStopsTheOtherMonths(t *testing.T) {
	startService(t)
	start := time.Now()
	code, v := submit(t, "acme", "events", "2024-12", "2025-04", "10s")
	if took := time.Since(start); code != http.StatusOK || v.State != "failed" || took > 3*time.Second {
		t.Fatalf("export over an archived month: %d %+v after %v, want it failed at once", code, v, took)
	}
	if !strings.Contains(v.Error, "partition 2024-12 of events is archived") || v.Rows != 0 || v.Checksum != "" {
		t.Errorf("failed export: %+v, want the archived partition named and no totals", v)
	}
}

func TestSuspendStopsTheTenantsRunningExports(t *testing.T) {
	startService(t)
	var ids []string
	for i := range 3 {
		code, v := submit(t, "hooli", "events", "2026-0"+fmt.Sprint(i+1), "2026-09", "")
		if code != http.StatusAccepted || v.State != "running" {
			t.Fatalf("long export %d: %d %+v, want 202 running", i, code, v)
		}
		ids = append(ids, v.ID)
	}
	_, other := submit(t, "pied-piper", "events", "2026-01", "2026-06", "")

	start := time.Now()
	rec := call("POST", "/tenants/hooli/suspend", "")
	var got struct {
		Stopped      int  `json:"stopped"`
		StillRunning int  `json:"still_running"`
		Suspended    bool `json:"suspended"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("suspend: %d %s", rec.Code, rec.Body.String())
	}
	if got.Stopped != 3 || got.StillRunning != 0 || !got.Suspended || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("suspend: %+v after %v, want all 3 running exports stopped at once", got, time.Since(start))
	}
	for _, id := range ids {
		if v := decode(t, call("GET", "/exports/"+id+"?wait=2s", "")); v.State != "cancelled" {
			t.Errorf("export %s of the suspended tenant: state %q, want cancelled", id, v.State)
		}
	}
	if rec := call("POST", "/tenants/hooli/exports", `{"dataset":"orders","from":"2026-01","to":"2026-01"}`); rec.Code != http.StatusConflict ||
		!strings.Contains(rec.Body.String(), "suspended") {
		t.Errorf("export for a suspended tenant: %d %s, want 409 suspended", rec.Code, rec.Body.String())
	}
	if v := decode(t, call("GET", "/exports/"+other.ID, "")); v.State != "running" {
		t.Errorf("another tenant's export: state %q after the suspension, want running", v.State)
	}
	if v := decode(t, call("DELETE", "/exports/"+other.ID+"?wait=2s", "")); v.State != "cancelled" {
		t.Errorf("DELETE of a running export: state %q, want cancelled", v.State)
	}
}

func TestDeleteCancelsOnlyThatExport(t *testing.T) {
	startService(t)
	_, a := submit(t, "globex", "events", "2026-01", "2026-03", "")
	_, b := submit(t, "globex", "events", "2026-04", "2026-06", "")
	rec := call("DELETE", "/exports/"+a.ID+"?wait=2s", "")
	if v := decode(t, rec); rec.Code != http.StatusOK || v.State != "cancelled" || v.Rows != 0 {
		t.Errorf("DELETE /exports/%s: %d %+v, want 200 cancelled", a.ID, rec.Code, v)
	}
	if v := decode(t, call("GET", "/exports/"+b.ID, "")); v.State != "running" {
		t.Errorf("the other export of the tenant: state %q, want running", v.State)
	}
	call("DELETE", "/exports/"+b.ID+"?wait=2s", "")
	code, v := submit(t, "globex", "orders", "2026-10", "2026-10", "10s")
	if code != http.StatusOK || v.State != "done" {
		t.Errorf("export after a cancellation: %d %+v, want done", code, v)
	}
}

func TestInvalidRequests(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/tenants/acme/exports", `{"dataset":"payroll","from":"2026-01","to":"2026-01"}`, 400, "orders, invoices or events"},
		{"POST", "/tenants/acme/exports", `{"dataset":"orders","from":"2026-05","to":"2026-01"}`, 400, "at most 24 months"},
		{"POST", "/tenants/acme/exports", `{"dataset":"orders","from":"2024-01","to":"2026-01"}`, 400, "at most 24 months"},
		{"POST", "/tenants/acme/exports", `{"dataset":`, 400, "malformed export"},
		{"GET", "/exports/exp-9999999", "", 404, "no such export"},
	} {
		rec := call(tc.method, tc.path, tc.body)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s %s: %d %s, want %d containing %q", tc.method, tc.path, tc.body, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
}

func TestFinishedExportsLeaveNoGoroutines(t *testing.T) {
	startService(t)
	settle := func() int {
		n := runtime.NumGoroutine()
		for range 50 {
			time.Sleep(10 * time.Millisecond)
			if m := runtime.NumGoroutine(); m == n {
				return m
			} else {
				n = m
			}
		}
		return n
	}
	base := settle()
	for i := range 100 {
		if code, v := submit(t, fmt.Sprintf("tenant-%d", i%7), "orders", "2026-08", "2026-09", "10s"); code != http.StatusOK || v.State != "done" {
			t.Fatalf("export %d: %d %+v", i, code, v)
		}
	}
	if now := settle(); now > base+2 {
		t.Errorf("100 finished exports left %d goroutines behind (%d before, %d after)", now-base, base, now)
	}
}
