package main

// Hidden tests for the timeout-leak scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly, so no network goroutines muddy the goroutine counts.

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
	probe := httptest.NewRequest("GET", "/quotes/1", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the quote route was not registered within 5s of starting main")
}

func get(path string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest("GET", path, nil)
	rec := httptest.NewRecorder()
	start := time.Now()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec, time.Since(start)
}

// dealerInstruments are instruments the service routes to the RFQ desk
// whose dealer answers take 100 ms or more, well past the 40 ms deadline.
func dealerInstruments(n int) []int {
	var ids []int
	for id := 0; len(ids) < n; id++ {
		h := fnv.New64a()
		h.Write([]byte("instrument:" + strconv.Itoa(id)))
		if sum := h.Sum64(); sum%5 == 0 && sum%40 >= 30 {
			ids = append(ids, id)
		}
	}
	return ids
}

// settle waits until the goroutine count has stopped changing, so that
// workers from earlier tests are not counted as this test's leftovers.
func settle() int {
	n := runtime.NumGoroutine()
	for range 40 {
		time.Sleep(25 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return m
		}
		n = m
	}
	return n
}

func TestOrderBookInstrumentsAreQuoted(t *testing.T) {
	startService(t)
	want := map[int][3]int64{ // bid, ask, size
		2:  {56006, 56064, 1600},
		3:  {23321, 23345, 2200},
		5:  {88692, 88782, 1000},
		7:  {154064, 154220, 4800},
		11: {381069, 381451, 900},
	}
	for id, w := range want {
		rec, took := get(fmt.Sprintf("/quotes/%d", id))
		if rec.Code != http.StatusOK {
			t.Errorf("instrument %d: status %d, want 200: %s", id, rec.Code, rec.Body.String())
			continue
		}
		var q struct {
			Instrument int    `json:"instrument"`
			Venue      string `json:"venue"`
			BidCents   int64  `json:"bid_cents"`
			AskCents   int64  `json:"ask_cents"`
			Size       int64  `json:"size"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &q); err != nil {
			t.Fatalf("instrument %d: %v: %s", id, err, rec.Body.String())
		}
		if q.Instrument != id || q.Venue != "book" || q.BidCents != w[0] || q.AskCents != w[1] || q.Size != w[2] {
			t.Errorf("instrument %d: got %+v, want book quote bid %d ask %d size %d", id, q, w[0], w[1], w[2])
		}
		if took > 35*time.Millisecond {
			t.Errorf("instrument %d: an order-book quote took %v", id, took)
		}
	}
}

func TestDealerQuoteTimesOutOnTime(t *testing.T) {
	startService(t)
	ids := dealerInstruments(6) // 4, 14, 35, 44, 53, 72
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, took := get(fmt.Sprintf("/quotes/%d", id))
			body := rec.Body.String()
			if rec.Code != http.StatusGatewayTimeout || !strings.Contains(body, "quote timed out") {
				t.Errorf("instrument %d: %d %s, want 504 quote timed out", id, rec.Code, body)
			}
			if !strings.Contains(body, `"venue":"rfq"`) || !strings.Contains(body, fmt.Sprintf(`"instrument":%d`, id)) {
				t.Errorf("instrument %d: the 504 body lacks the instrument or its venue: %s", id, body)
			}
			// The deadline is 40 ms and these dealers need 100 ms or more.
			if took < 35*time.Millisecond || took > 75*time.Millisecond {
				t.Errorf("instrument %d: answered after %v, want the 504 at the 40 ms deadline", id, took)
			}
		}()
	}
	wg.Wait()
}

func TestMalformedInstrumentID(t *testing.T) {
	startService(t)
	for _, path := range []string{"/quotes/abc", "/quotes/-1"} {
		rec, _ := get(path)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "invalid instrument id") {
			t.Errorf("GET %s: %d %s, want 400 invalid instrument id", path, rec.Code, rec.Body.String())
		}
	}
}

func TestTimedOutQuotesLeaveNoGoroutines(t *testing.T) {
	startService(t)
	base := settle()
	ids := dealerInstruments(20)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rec, _ := get(fmt.Sprintf("/quotes/%d", id)); rec.Code != http.StatusGatewayTimeout {
				t.Errorf("instrument %d: status %d, want 504", id, rec.Code)
			}
		}()
	}
	wg.Wait()
	// Every dealer has answered 110 ms after the requests started; give the
	// workers that long and more to hand over their late quotes and exit.
	now := runtime.NumGoroutine()
	for deadline := time.Now().Add(600 * time.Millisecond); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if now = runtime.NumGoroutine(); now <= base+2 {
			return
		}
	}
	t.Errorf("%d timed-out quotes left %d goroutines behind (%d before, %d after 600 ms)", len(ids), now-base, base, now)
}
