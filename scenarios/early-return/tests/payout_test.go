package main

// Hidden tests for the early-return scenario. They start the real service once
// (main registers its routes on http.DefaultServeMux) and call the mux
// directly, so no network goroutines blur the picture.

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
	probe := httptest.NewRequest("POST", "/payouts", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the payout route was not registered within 5s of starting main")
}

type paid struct {
	ID           string `json:"id"`
	Wallet       string `json:"wallet"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	RiskScore    int    `json:"risk_score"`
}

func post(body string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest("POST", "/payouts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec, time.Since(start)
}

func payoutBody(wallet, iban string, cents int64) string {
	b, _ := json.Marshal(map[string]any{"wallet": wallet, "iban": iban, "amount_cents": cents})
	return string(b)
}

func pay(t *testing.T, wallet, iban string, cents int64) paid {
	t.Helper()
	rec, _ := post(payoutBody(wallet, iban, cents))
	if rec.Code != http.StatusCreated {
		t.Fatalf("payout of %d from %s: status %d: %s", cents, wallet, rec.Code, rec.Body.String())
	}
	var p paid
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("payout from %s: %v: %s", wallet, err, rec.Body.String())
	}
	if p.Wallet != wallet || p.AmountCents != cents || !strings.HasPrefix(p.ID, "po_") {
		t.Errorf("payout from %s: got %+v", wallet, p)
	}
	return p
}

func TestPayoutsAreDebited(t *testing.T) {
	startService(t)
	const iban = "DE44500105175407324931"
	first := pay(t, "wlt_1001", iban, 2500)
	if first.BalanceCents != 420625-2500 {
		t.Errorf("balance after the first payout: %d, want %d", first.BalanceCents, 420625-2500)
	}
	second := pay(t, "wlt_1001", iban, 7500)
	if second.BalanceCents != 420625-10000 {
		t.Errorf("balance after the second payout: %d, want %d", second.BalanceCents, 420625-10000)
	}
	if first.ID == second.ID {
		t.Errorf("two payouts got the same id %s", first.ID)
	}
	if first.RiskScore < 0 || first.RiskScore >= 90 {
		t.Errorf("risk score %d for an ordinary payee", first.RiskScore)
	}
}

func TestVerifiedPayeeIsPaidWithoutScreening(t *testing.T) {
	startService(t)
	for i, iban := range []string{"NL91 ABNA 0417 1643 00", "de89 3704 0044 0532 0130 00"} {
		start := time.Now()
		p := pay(t, "wlt_1002", iban, 1000)
		if p.RiskScore != 0 {
			t.Errorf("verified payee %q: risk score %d, want 0", iban, p.RiskScore)
		}
		if want := int64(301659 - 1000*(i+1)); p.BalanceCents != want {
			t.Errorf("verified payee %q: balance %d, want %d", iban, p.BalanceCents, want)
		}
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("a payout to a verified payee took %v", took)
		}
	}
}

func TestRefusals(t *testing.T) {
	startService(t)
	const iban = "DE44500105175407324931"
	for _, tc := range []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"frozen wallet", payoutBody("wlt_32", iban, 1000), 403, "frozen pending identity verification"},
		{"over the balance", payoutBody("wlt_1003", iban, 239438), 422, "insufficient available balance"},
		{"unknown wallet", payoutBody("wlt_20000", iban, 1000), 404, "wallet not found"},
		{"sanctioned payee", payoutBody("wlt_9", "IR062960000000100324200001", 1000), 403, "blocked by risk screening"},
		{"zero amount", payoutBody("wlt_9", iban, 0), 400, "amount_cents must be from 1 to 1000000"},
		{"over the limit", payoutBody("wlt_9", iban, 1_000_001), 400, "amount_cents must be from 1 to 1000000"},
		{"bad iban", payoutBody("wlt_9", "12345", 1000), 400, "iban is not a valid account number"},
		{"no wallet", payoutBody("", iban, 1000), 400, "wallet is required"},
		{"malformed", `{"wallet":"wlt_9",`, 400, "malformed payout"},
	} {
		rec, took := post(tc.body)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d containing %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
		if took > 60*time.Millisecond {
			t.Errorf("%s: the refusal took %v", tc.name, took)
		}
	}
	// A refused payout leaves the balance alone.
	if p := pay(t, "wlt_1003", iban, 239437); p.BalanceCents != 0 {
		t.Errorf("paying out the whole balance left %d", p.BalanceCents)
	}
}

func TestConcurrentPayoutsNeverOverdraw(t *testing.T) {
	startService(t)
	const n, cents = 30, 20_000
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, _ := post(payoutBody("wlt_8", fmt.Sprintf("DE44500105175407324%03d", i), cents))
			mu.Lock()
			statuses[rec.Code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[201] != 23 || statuses[422] != 7 {
		t.Errorf("30 payouts of %d from a balance of 478496: statuses %v, want 23 x 201 and 7 x 422", cents, statuses)
	}
	rec, _ := post(payoutBody("wlt_8", "DE44500105175407324931", 18497))
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("payout of more than the 18496 left: status %d: %s", rec.Code, rec.Body.String())
	}
	if p := pay(t, "wlt_8", "DE44500105175407324931", 18496); p.BalanceCents != 0 {
		t.Errorf("paying out the rest left %d", p.BalanceCents)
	}
}
