package main

// Hidden tests for the queue-reslice scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	probe := httptest.NewRequest("GET", "/outbox", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the outbox routes were not registered within 5s of starting main")
}

type delivery struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Channel string `json:"channel"`
	Seq     uint64 `json:"seq"`
	Bytes   int    `json:"bytes"`
	Digest  string `json:"digest"`
	Status  string `json:"status"`
}

type outboxStats struct {
	Queued    int      `json:"queued"`
	Paused    bool     `json:"paused"`
	Delivered uint64   `json:"delivered"`
	Recent    []string `json:"recent"`
}

func call(method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	return rec
}

func body(id, to, channel, subject, text string) string {
	b, _ := json.Marshal(map[string]string{"id": id, "to": to, "channel": channel, "subject": subject, "text": text})
	return string(b)
}

func enqueue(t *testing.T, id, channel, text string) {
	t.Helper()
	rec := call("POST", "/notifications", body(id, "someone@example.com", channel, "Note", text))
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"status":"queued"`) {
		t.Fatalf("notification %s: %d %s, want 202 queued", id, rec.Code, rec.Body.String())
	}
}

func deliverNow(t *testing.T, id, to, channel, subject, text string) delivery {
	t.Helper()
	rec := call("POST", "/notifications?wait=1", body(id, to, channel, subject, text))
	if rec.Code != http.StatusOK {
		t.Fatalf("waited notification %s: status %d: %s", id, rec.Code, rec.Body.String())
	}
	var d delivery
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("waited notification %s: %v: %s", id, err, rec.Body.String())
	}
	if d.ID != id || d.To != to || d.Channel != channel || d.Status != "delivered" {
		t.Errorf("waited notification %s: got %+v", id, d)
	}
	return d
}

func readStats(t *testing.T) outboxStats {
	t.Helper()
	rec := call("GET", "/outbox", "")
	var s outboxStats
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /outbox: %d %s", rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatalf("GET /outbox: %v: %s", err, rec.Body.String())
	}
	return s
}

func drained(t *testing.T) outboxStats {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if s := readStats(t); s.Queued == 0 {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the outbox did not drain within 5s")
	return outboxStats{}
}

func TestWaitedNotificationsCarryTheirDigest(t *testing.T) {
	startService(t)
	e := deliverNow(t, "t1-mail", "ada@example.com", "email", "Welcome", "Welcome aboard, Ada.")
	if e.Bytes != 1002 || e.Digest != "5d2c24b7688e2c0b" {
		t.Errorf("welcome e-mail: %d bytes, digest %s; want 1002 bytes, digest 5d2c24b7688e2c0b", e.Bytes, e.Digest)
	}
	s := deliverNow(t, "t1-sms", "+44 7700 900123", "sms", "Code", "Your sign-in code is 424242.")
	sum := sha256.Sum256([]byte("Code: Your sign-in code is 424242."))
	if want := hex.EncodeToString(sum[:8]); s.Digest != want || s.Bytes != 34 {
		t.Errorf("text message: %d bytes, digest %s; want 34 bytes, digest %s", s.Bytes, s.Digest, want)
	}
	if s.Seq <= e.Seq {
		t.Errorf("the text message got sequence %d, not after the e-mail's %d", s.Seq, e.Seq)
	}
}

func TestPausedBacklogIsDeliveredInOrder(t *testing.T) {
	startService(t)
	before := drained(t)
	if rec := call("POST", "/outbox/pause", ""); rec.Code != http.StatusOK {
		t.Fatalf("pause: %d %s", rec.Code, rec.Body.String())
	}
	defer call("POST", "/outbox/resume", "")
	channels := []string{"email", "sms"}
	const backlog = 30
	for i := range backlog {
		enqueue(t, fmt.Sprintf("fifo-%02d", i), channels[i%2], fmt.Sprintf("message number %d", i))
	}
	time.Sleep(50 * time.Millisecond)
	held := readStats(t)
	if !held.Paused || held.Queued != backlog || held.Delivered != before.Delivered {
		t.Fatalf("while paused: %+v, want %d queued and %d delivered", held, backlog, before.Delivered)
	}
	if rec := call("POST", "/outbox/resume", ""); rec.Code != http.StatusOK {
		t.Fatalf("resume: %d %s", rec.Code, rec.Body.String())
	}
	last := deliverNow(t, "fifo-end", "+44 7700 900123", "sms", "Done", "that was all")
	if want := before.Delivered + backlog + 1; last.Seq != want {
		t.Errorf("the waited notification was delivered as number %d, want %d (after the whole backlog)", last.Seq, want)
	}
	after := readStats(t)
	var want []string
	for i := backlog - 19; i < backlog; i++ {
		want = append(want, fmt.Sprintf("fifo-%02d", i))
	}
	want = append(want, "fifo-end")
	if strings.Join(after.Recent, ",") != strings.Join(want, ",") {
		t.Errorf("delivery order: recent %v, want %v", after.Recent, want)
	}
	if after.Recent[len(after.Recent)-1] != "fifo-end" || after.Queued != 0 {
		t.Errorf("after the backlog: %+v", after)
	}
}

func TestInvalidNotificationsAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ name, body, want string }{
		{"no id", body("", "a@example.com", "email", "s", "t"), "needs an id"},
		{"no recipient", body("x", " ", "email", "s", "t"), "needs a recipient"},
		{"unknown channel", body("x", "a@example.com", "fax", "s", "t"), "email or sms"},
		{"empty text", body("x", "a@example.com", "email", "s", ""), "1 to 4096 bytes"},
		{"text too long", body("x", "a@example.com", "email", "s", strings.Repeat("a", 4097)), "1 to 4096 bytes"},
		{"malformed", `{"id":"x",`, "malformed notification"},
	} {
		rec := call("POST", "/notifications", tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func TestDeliveredNotificationsAreReleased(t *testing.T) {
	startService(t)
	drained(t)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	const sent = 4000
	text := strings.Repeat("Your statement for this month is ready. ", 75)
	for i := range sent {
		enqueue(t, fmt.Sprintf("mem-%d", i), "email", text)
	}
	deliverNow(t, "mem-end", "someone@example.com", "email", "Statement", "done")
	drained(t)
	grown := int64(heap()) - int64(base)
	if grown > 4<<20 {
		t.Errorf("after %d delivered e-mails of about 4 KiB the heap holds %d KiB more; delivered notifications are still referenced", sent, grown>>10)
	}
}
