package main

// Hidden tests for the listener-leak scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly. They check what the apps and the couriers rely on: a watch that
// is behind answers at once, a waiting watch hears the next update as soon
// as it is reported, even on a busy bus, and a quiet watch times out.

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
	probe := httptest.NewRequest("GET", "/orders/ord-1/watch", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the watch route was not registered within 5s of starting main")
}

type orderUpdate struct {
	Order   string `json:"order"`
	Version int    `json:"version"`
	Status  string `json:"status"`
}

type watchAnswer struct {
	Changed bool        `json:"changed"`
	Update  orderUpdate `json:"update"`
}

func do(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

func watch(t *testing.T, order string, since int, timeout string) watchAnswer {
	t.Helper()
	path := fmt.Sprintf("/orders/%s/watch?since=%d", order, since)
	if timeout != "" {
		path += "&timeout=" + timeout
	}
	rec := do("GET", path, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("watch %s since %d: status %d: %s", order, since, rec.Code, rec.Body.String())
	}
	var a watchAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("watch %s: %v: %s", order, err, rec.Body.String())
	}
	return a
}

type statusAnswer struct {
	Update    orderUpdate `json:"update"`
	Listeners int         `json:"listeners"`
}

func report(t *testing.T, order, status string) statusAnswer {
	t.Helper()
	rec := do("POST", "/orders/"+order+"/status", `{"status":"`+status+`"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("report %s %s: status %d: %s", order, status, rec.Code, rec.Body.String())
	}
	var a statusAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("report %s: %v: %s", order, err, rec.Body.String())
	}
	return a
}

func TestWatchBehindAnswersAtOnce(t *testing.T) {
	startService(t)
	start := time.Now()
	a := watch(t, "ord-5001", 0, "")
	if took := time.Since(start); took > time.Second {
		t.Errorf("a watch that is behind took %v", took)
	}
	want := watchAnswer{Changed: true, Update: orderUpdate{"ord-5001", 1, "placed"}}
	if a != want {
		t.Errorf("watch since 0: got %+v, want %+v", a, want)
	}
}

func TestWaitingWatchHearsTheNextUpdate(t *testing.T) {
	startService(t)
	done := make(chan watchAnswer, 1)
	go func() { done <- watch(t, "ord-5002", 1, "5s") }()
	time.Sleep(100 * time.Millisecond)
	r := report(t, "ord-5002", "picked_up")
	if r.Update != (orderUpdate{"ord-5002", 2, "picked_up"}) {
		t.Errorf("report: got %+v", r.Update)
	}
	if r.Listeners != 1 {
		t.Errorf("report reached %d listeners, want the one waiting watch", r.Listeners)
	}
	select {
	case a := <-done:
		if !a.Changed || a.Update != r.Update {
			t.Errorf("waiting watch: got %+v, want the update %+v", a, r.Update)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the waiting watch did not hear the update within 2s")
	}
	if a := watch(t, "ord-5002", 2, "20ms"); a.Changed || a.Update.Version != 2 {
		t.Errorf("watch since the latest version: got %+v, want unchanged at version 2", a)
	}
}

func TestQuietWatchTimesOut(t *testing.T) {
	startService(t)
	start := time.Now()
	a := watch(t, "ord-5003", 1, "80ms")
	took := time.Since(start)
	if a.Changed || a.Update != (orderUpdate{"ord-5003", 1, "placed"}) {
		t.Errorf("quiet watch: got %+v, want unchanged, placed at version 1", a)
	}
	if took < 80*time.Millisecond || took > 2*time.Second {
		t.Errorf("quiet watch with an 80ms timeout answered after %v", took)
	}
}

// A customer who is waiting must hear the courier even when thousands of
// other apps have watched other orders in the meantime.
func TestWaitingWatchSurvivesABusyBus(t *testing.T) {
	startService(t)
	done := make(chan watchAnswer, 1)
	go func() { done <- watch(t, "ord-5004", 1, "4s") }()
	time.Sleep(100 * time.Millisecond)
	for i := range 3000 {
		order := fmt.Sprintf("ord-6%05d", i)
		if a := watch(t, order, 0, ""); !a.Changed {
			t.Fatalf("watch of %s since 0 did not answer at once: %+v", order, a)
		}
	}
	r := report(t, "ord-5004", "out_for_delivery")
	select {
	case a := <-done:
		if !a.Changed || a.Update != r.Update {
			t.Errorf("waiting watch after a busy spell: got %+v, want the update %+v", a, r.Update)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting watch did not answer within 5s")
	}
}

func TestStatusRules(t *testing.T) {
	startService(t)
	report(t, "ord-5005", "confirmed")
	report(t, "ord-5005", "delivered")
	if rec := do("POST", "/orders/ord-5005/status", `{"status":"out_for_delivery"}`); rec.Code != http.StatusConflict ||
		!strings.Contains(rec.Body.String(), "already delivered") {
		t.Errorf("update after delivery: %d %s, want 409 already delivered", rec.Code, rec.Body.String())
	}
	if rec := do("GET", "/orders/ord-5005", ""); !strings.Contains(rec.Body.String(), `"version":3,"status":"delivered"`) {
		t.Errorf("order after delivery: %s", rec.Body.String())
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/orders/ord-5006/status", `{"status":"lost"}`, 400, "status must be one of"},
		{"POST", "/orders/parcel-1/status", `{"status":"confirmed"}`, 404, "no order parcel-1"},
		{"GET", "/orders/ord-5006/watch", "", 400, "since must be"},
		{"GET", "/orders/ord-5006/watch?since=0&timeout=5m", "", 400, "timeout must be"},
		{"GET", "/orders/box-9/watch?since=0", "", 404, "no order box-9"},
	} {
		rec := do(tc.method, tc.path, tc.body)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s: %d %s, want %d containing %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.code, tc.want)
		}
	}
}
