package main

// Hidden tests for the lock-error-path scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly. Batches are written in the background, so the tests poll the
// tenant's totals until the ledger has caught up.

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
	probe := httptest.NewRequest("POST", "/usage/probe", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the usage route was not registered within 5s of starting main")
}

type totals struct {
	Tenant      string           `json:"tenant"`
	Batches     uint64           `json:"batches"`
	Units       map[string]int64 `json:"units"`
	AmountCents int64            `json:"amount_cents"`
}

func do(method, path, body string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec, time.Since(start)
}

func record(t *testing.T, tenant, batch string, events string) {
	t.Helper()
	rec, took := do("POST", "/usage/"+tenant, fmt.Sprintf(`{"batch":%q,"events":%s}`, batch, events))
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"batch":%q`, batch)) {
		t.Errorf("batch %s of %s: %d %s, want 202", batch, tenant, rec.Code, rec.Body.String())
	}
	if took > 50*time.Millisecond {
		t.Errorf("batch %s of %s: accepting it took %v", batch, tenant, took)
	}
}

// waitFor polls the tenant's totals until the ledger holds want batches.
func waitFor(t *testing.T, tenant string, want uint64) totals {
	t.Helper()
	var got totals
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		rec, _ := do("GET", "/usage/"+tenant, "")
		if rec.Code != http.StatusOK {
			continue
		}
		got = totals{}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("totals of %s: %v: %s", tenant, err, rec.Body.String())
		}
		if got.Batches >= want {
			break
		}
	}
	if got.Batches != want {
		t.Fatalf("totals of %s: %d batches in the ledger after 3s, want %d (%+v)", tenant, got.Batches, want, got)
	}
	return got
}

func TestBatchesAreRatedAndTotalled(t *testing.T) {
	startService(t)
	record(t, "t-alpha", "a-1", `[{"meter":"api_calls","quantity":1200},{"meter":"seats","quantity":4}]`)
	record(t, "t-alpha", "a-2", `[{"meter":"egress_gb","quantity":7},{"meter":"api_calls","quantity":300}]`)
	record(t, "t-alpha", "a-3", `[{"meter":"build_minutes","quantity":90},{"meter":"storage_gb_hours","quantity":24}]`)
	got := waitFor(t, "t-alpha", 3)
	want := map[string]int64{"api_calls": 1500, "seats": 4, "egress_gb": 7, "build_minutes": 90, "storage_gb_hours": 24}
	if len(got.Units) != len(want) {
		t.Errorf("units of t-alpha: %v, want %v", got.Units, want)
	}
	for meter, n := range want {
		if got.Units[meter] != n {
			t.Errorf("units of t-alpha: %s = %d, want %d", meter, got.Units[meter], n)
		}
	}
	// 1500*2 + 4*150 + 7*9 + 90*4 + 24*3
	if got.AmountCents != 4095 || got.Tenant != "t-alpha" {
		t.Errorf("totals of t-alpha: %+v, want 4095 cents", got)
	}
}

func TestConcurrentBatchesAreAllWritten(t *testing.T) {
	startService(t)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			record(t, "t-beta", fmt.Sprintf("b-%d", i), fmt.Sprintf(`[{"meter":"api_calls","quantity":%d}]`, i+1))
		}()
	}
	wg.Wait()
	got := waitFor(t, "t-beta", n)
	if got.Units["api_calls"] != n*(n+1)/2 || got.AmountCents != n*(n+1) {
		t.Errorf("totals of t-beta after %d concurrent batches: %+v, want %d calls and %d cents", n, got, n*(n+1)/2, n*(n+1))
	}
}

func TestAcceptingNeverWaitsForTheLedger(t *testing.T) {
	startService(t)
	// A batch the price book cannot rate is accepted and fails in the
	// background; the tenant's next batches are still accepted at once.
	record(t, "t-lab", "l-1", `[{"meter":"gpu_seconds","quantity":30}]`)
	time.Sleep(20 * time.Millisecond)
	for i := range 5 {
		record(t, "t-lab", fmt.Sprintf("l-%d", i+2), `[{"meter":"api_calls","quantity":10}]`)
	}
}

func TestBadBatchesAreRefused(t *testing.T) {
	startService(t)
	many := strings.TrimSuffix(strings.Repeat(`{"meter":"api_calls","quantity":1},`, 501), ",")
	for _, tc := range []struct{ name, body, want string }{
		{"no events", `{"batch":"x","events":[]}`, "1 to 500 events"},
		{"no id", `{"events":[{"meter":"api_calls","quantity":1}]}`, "1 to 500 events"},
		{"too many events", `{"batch":"x","events":[` + many + `]}`, "1 to 500 events"},
		{"zero quantity", `{"batch":"x","events":[{"meter":"api_calls","quantity":0}]}`, "quantity from 1 to 1000000000"},
		{"no meter", `{"batch":"x","events":[{"quantity":3}]}`, "quantity from 1 to 1000000000"},
		{"malformed", `{"batch":"x","events":[`, "malformed batch"},
	} {
		rec, _ := do("POST", "/usage/t-gamma", tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
	if rec, _ := do("GET", "/usage/t-gamma", ""); rec.Code != http.StatusNotFound {
		t.Errorf("totals of a tenant whose batches were all refused: %d %s, want 404", rec.Code, rec.Body.String())
	}
}
