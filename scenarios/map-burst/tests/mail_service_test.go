package main

// Hidden tests for the map-burst scenario. They start the real service once
// (main registers its routes on http.DefaultServeMux) and call the mux
// directly. They check what the service promises: every customer of a segment
// written to once, receipts sent, and outboxes that report what is pending.

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
	probe := httptest.NewRequest("POST", "/campaigns", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the campaign route was not registered within 5s of starting main")
}

func callMux(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

type sendResult struct {
	Tenant     string `json:"tenant"`
	Recipients int    `json:"recipients"`
	Sent       int    `json:"sent"`
	Duplicates int    `json:"duplicates"`
	Error      string `json:"error"`
}

func post(t *testing.T, path, body string) (int, sendResult) {
	t.Helper()
	rec := callMux("POST", path, body)
	var r sendResult
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("POST %s %s: response is not JSON: %v\n%s", path, body, err, rec.Body.String())
	}
	return rec.Code, r
}

func campaign(t *testing.T, tenant, id, segment string) sendResult {
	t.Helper()
	code, r := post(t, "/campaigns", fmt.Sprintf(`{"tenant":%q,"campaign":%q,"segment":%q,"template":"news"}`, tenant, id, segment))
	if code != http.StatusOK {
		t.Fatalf("campaign %s to %s of %s: %d %+v", id, segment, tenant, code, r)
	}
	return r
}

func sentCounter(t *testing.T) int64 {
	t.Helper()
	rec := callMux("GET", "/debug/vars", "")
	var vars struct {
		Mail map[string]int64 `json:"mail"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil {
		t.Fatalf("/debug/vars: %v", err)
	}
	return vars.Mail["sent"]
}

func outboxOf(t *testing.T, tenant string) (int, []string) {
	t.Helper()
	rec := callMux("GET", "/tenants/"+tenant+"/outbox", "")
	var out struct {
		Tenant   string   `json:"tenant"`
		Pending  int      `json:"pending"`
		Messages []string `json:"messages"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Tenant != tenant {
		t.Fatalf("outbox of %s: %d %s", tenant, rec.Code, rec.Body.String())
	}
	if out.Messages == nil {
		t.Errorf("outbox of %s: messages is null, want a list", tenant)
	}
	return out.Pending, out.Messages
}

func TestCampaignWritesToEachCustomerOnce(t *testing.T) {
	startService(t)
	before := sentCounter(t)
	r := campaign(t, "shop-t1", "autumn-sale", "all")
	if r.Tenant != "shop-t1" || r.Recipients < 900 || r.Recipients >= 1800 {
		t.Errorf("campaign to all customers of shop-t1: %+v, want 900 to 1799 recipients", r)
	}
	if want := (r.Recipients - 1) / 50; r.Duplicates != want || r.Sent != r.Recipients-want {
		t.Errorf("campaign to %d recipients sent %d with %d duplicates, want %d duplicates", r.Recipients, r.Sent, r.Duplicates, want)
	}
	if got := sentCounter(t) - before; got != int64(r.Sent) {
		t.Errorf("the carrier accepted %d messages for a campaign that reports %d sent", got, r.Sent)
	}
	if r := campaign(t, "shop-check", "autumn-sale", "all"); r.Recipients != 1480 || r.Sent != 1451 || r.Duplicates != 29 {
		t.Errorf("campaign to all customers of shop-check: %+v, want 1480 recipients, 1451 sent, 29 duplicates", r)
	}
}

func TestSegmentsHaveTheirSizes(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		segment string
		lo, hi  int
	}{{"vip", 10, 19}, {"recent", 120, 239}, {"all", 900, 1799}} {
		for i := range 3 {
			r := campaign(t, fmt.Sprintf("shop-seg-%d", i), "c-"+tc.segment, tc.segment)
			if r.Recipients < tc.lo || r.Recipients > tc.hi || r.Sent+r.Duplicates != r.Recipients {
				t.Errorf("segment %s of shop-seg-%d: %+v, want %d to %d recipients", tc.segment, i, r, tc.lo, tc.hi)
			}
		}
	}
}

func TestReceiptIsSent(t *testing.T) {
	startService(t)
	before := sentCounter(t)
	code, r := post(t, "/messages", `{"tenant":"shop-t2","to":"ada@mail.example","template":"receipt"}`)
	if code != http.StatusOK || r.Recipients != 1 || r.Sent != 1 || r.Duplicates != 0 {
		t.Errorf("receipt: %d %+v, want 200 with one message sent", code, r)
	}
	if got := sentCounter(t) - before; got != 1 {
		t.Errorf("the carrier accepted %d messages for one receipt", got)
	}
}

func TestOutboxesDrainUnderConcurrentTraffic(t *testing.T) {
	startService(t)
	const shop = "shop-busy"
	type outcome struct {
		code int
		body string
	}
	var wg sync.WaitGroup
	results := make(chan outcome, 16)
	send := func(path, body string) {
		defer wg.Done()
		rec := callMux("POST", path, body)
		results <- outcome{rec.Code, rec.Body.String()}
	}
	for i := range 4 {
		wg.Add(1)
		go send("/campaigns", fmt.Sprintf(`{"tenant":%q,"campaign":"flash-%d","segment":"recent","template":"sale"}`, shop, i))
	}
	for i := range 8 {
		wg.Add(1)
		go send("/messages", fmt.Sprintf(`{"tenant":%q,"to":"buyer-%d@mail.example","template":"receipt"}`, shop, i))
	}
	wg.Wait()
	close(results)
	for o := range results {
		var r sendResult
		if o.code != http.StatusOK || json.Unmarshal([]byte(o.body), &r) != nil || r.Sent == 0 || r.Sent+r.Duplicates != r.Recipients {
			t.Errorf("concurrent send to %s: %d %s", shop, o.code, o.body)
		}
	}
	if pending, ids := outboxOf(t, shop); pending != 0 || len(ids) != 0 {
		t.Errorf("outbox of %s after everything was sent: %d pending %v", shop, pending, ids)
	}
	if pending, _ := outboxOf(t, "shop-never-seen"); pending != 0 {
		t.Errorf("outbox of an unknown shop: %d pending", pending)
	}
}

func TestInvalidRequestsAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ name, path, body, want string }{
		{"unknown segment", "/campaigns", `{"tenant":"s","campaign":"c","segment":"everyone","template":"t"}`, "all, recent or vip"},
		{"campaign without id", "/campaigns", `{"tenant":"s","segment":"vip","template":"t"}`, "campaign id"},
		{"message without address", "/messages", `{"tenant":"s","to":"nobody","template":"t"}`, "address"},
		{"no tenant", "/messages", `{"to":"a@b.example","template":"t"}`, "tenant and a template"},
		{"no template", "/campaigns", `{"tenant":"s","campaign":"c","segment":"vip"}`, "tenant and a template"},
		{"malformed", "/messages", `{"tenant":`, "malformed request"},
	} {
		code, r := post(t, tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: %d %q, want 400 containing %q", tc.name, code, r.Error, tc.want)
		}
	}
}
