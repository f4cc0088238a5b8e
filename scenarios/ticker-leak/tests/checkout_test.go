package main

// Hidden tests for the ticker-leak scenario. They start the real service once
// (main registers its routes on http.DefaultServeMux) and call the mux
// directly, so no network goroutines blur the goroutine counts.

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
	probe := httptest.NewRequest("POST", "/checkouts", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the checkout route was not registered within 5s of starting main")
}

type lineItem struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type confirmed struct {
	Order      string `json:"order"`
	Cart       string `json:"cart"`
	Items      int    `json:"items"`
	TotalCents int64  `json:"total_cents"`
	Payment    string `json:"payment"`
	Status     string `json:"status"`
}

func post(body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/checkouts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

func checkoutBody(cart, payment string, items []lineItem) string {
	b, _ := json.Marshal(map[string]any{"cart": cart, "items": items, "payment": payment})
	return string(b)
}

// total prices items the way the catalogue does.
func total(items []lineItem) int64 {
	var sum int64
	for _, it := range items {
		h := fnv.New32a()
		h.Write([]byte(it.SKU))
		sum += (199 + int64(h.Sum32()%5_000)) * int64(it.Qty)
	}
	return sum
}

func checkout(t *testing.T, cart, payment string, items []lineItem) confirmed {
	t.Helper()
	rec := post(checkoutBody(cart, payment, items))
	if rec.Code != http.StatusOK {
		t.Fatalf("checkout of %s by %s: status %d: %s", cart, payment, rec.Code, rec.Body.String())
	}
	var o confirmed
	if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil {
		t.Fatalf("checkout of %s: %v: %s", cart, err, rec.Body.String())
	}
	want := confirmed{Order: o.Order, Cart: cart, Items: len(items), TotalCents: total(items), Payment: payment, Status: "confirmed"}
	if o != want {
		t.Errorf("checkout of %s: got %+v, want %+v", cart, o, want)
	}
	if !strings.HasPrefix(o.Order, "ord-") {
		t.Errorf("checkout of %s: order id %q, want ord-NNNNNN", cart, o.Order)
	}
	return o
}

func TestCardCheckoutIsTotalled(t *testing.T) {
	startService(t)
	items := []lineItem{{"SKU-1001", 2}, {"SKU-2002", 5}}
	o := checkout(t, "cart-t1", "card", items)
	if o.TotalCents != 10352 {
		t.Errorf("total %d cents, want 10352", o.TotalCents)
	}
	a := checkout(t, "cart-t1", "card", items)
	if a.Order == o.Order {
		t.Errorf("two checkouts got the same order id %s", a.Order)
	}
}

// An invoice's credit check outlasts the hold period, so the hold must be
// renewed while it runs; meanwhile the same cart cannot be checked out again.
func TestSlowInvoiceKeepsItsHold(t *testing.T) {
	startService(t)
	items := []lineItem{{"SKU-3003", 1}, {"SKU-4004", 3}}
	done := make(chan confirmed, 1)
	start := time.Now()
	go func() { done <- checkout(t, "cart-t2", "invoice", items) }()
	time.Sleep(300 * time.Millisecond)
	if rec := post(checkoutBody("cart-t2", "card", items)); rec.Code != http.StatusConflict ||
		!strings.Contains(rec.Body.String(), "already being checked out") {
		t.Errorf("second checkout of a held cart: %d %s, want 409 already being checked out", rec.Code, rec.Body.String())
	}
	if rec := post(checkoutBody("cart-t2-other", "card", items)); rec.Code != http.StatusOK {
		t.Errorf("checkout of another cart during the invoice: %d %s, want 200", rec.Code, rec.Body.String())
	}
	select {
	case o := <-done:
		if took := time.Since(start); took < 3*time.Second {
			t.Errorf("invoice confirmed after %v, before the credit check could finish", took)
		}
		if o.Payment != "invoice" {
			t.Errorf("invoice checkout reported payment %q", o.Payment)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("invoice checkout did not answer within 10s")
	}
	checkout(t, "cart-t2", "card", items)
}

func TestInvoiceOverTheCreditLimitIsDeclined(t *testing.T) {
	startService(t)
	var big []lineItem
	for i := range 40 {
		big = append(big, lineItem{fmt.Sprintf("SKU-%d", i+1), 99})
	}
	if total(big) <= 5_000_000 {
		t.Fatalf("test cart totals only %d cents", total(big))
	}
	rec := post(checkoutBody("cart-t3", "invoice", big))
	if rec.Code != http.StatusPaymentRequired || !strings.Contains(rec.Body.String(), "credit limit") {
		t.Errorf("oversized invoice: %d %s, want 402 credit limit", rec.Code, rec.Body.String())
	}
	checkout(t, "cart-t3", "card", []lineItem{{"SKU-1", 1}})
}

func TestInvalidCheckoutsAreRefused(t *testing.T) {
	startService(t)
	many := make([]string, 51)
	for i := range many {
		many[i] = `{"sku":"SKU-1","qty":1}`
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"empty", `{"cart":"c","items":[],"payment":"card"}`, "1 to 50 items"},
		{"no cart", `{"items":[{"sku":"SKU-1","qty":1}],"payment":"card"}`, "1 to 50 items"},
		{"too many items", `{"cart":"c","items":[` + strings.Join(many, ",") + `],"payment":"card"}`, "1 to 50 items"},
		{"zero quantity", `{"cart":"c","items":[{"sku":"SKU-1","qty":0}],"payment":"card"}`, "quantity from 1 to 99"},
		{"unknown payment", `{"cart":"c","items":[{"sku":"SKU-1","qty":1}],"payment":"cash"}`, "card or invoice"},
		{"malformed", `{"cart":"c","items":[`, "malformed checkout"},
	} {
		rec := post(tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s checkout: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func TestCheckoutsLeaveNoGoroutines(t *testing.T) {
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
	const checkouts = 50
	for i := range checkouts {
		checkout(t, fmt.Sprintf("cart-leak-%d", i), "card", []lineItem{{fmt.Sprintf("SKU-%d", i), 1 + i%3}})
	}
	now := runtime.NumGoroutine()
	for deadline := time.Now().Add(500 * time.Millisecond); time.Now().Before(deadline); {
		if now = runtime.NumGoroutine(); now <= base+2 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d checkouts left %d goroutines behind (%d before, %d after 500 ms)", checkouts, now-base, base, now)
}
