// Command queue_reslice runs the notification outbox. Other services hand it
// notifications over HTTP; it renders each one for its channel, queues it and
// delivers the queue in order from a single background worker, so a
// recipient never sees two messages swapped.
package main

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	maxPending = 1 << 17 // the largest backlog accepted before callers are told to retry
	maxText    = 4096
	recentSize = 20
	waitLimit  = 5 * time.Second
)

var channels = map[string]bool{"email": true, "sms": true}

// email.html is the house layout every e-mail is wrapped in.
//
//go:embed email.html
var emailLayout string

var emailHead, emailFoot, _ = strings.Cut(emailLayout, "{{content}}\n")

type notificationRequest struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Channel string `json:"channel"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

type notification struct {
	notificationRequest
	payload []byte
	done    chan receipt
}

type receipt struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Channel string `json:"channel"`
	Seq     uint64 `json:"seq"`
	Bytes   int    `json:"bytes"`
	Digest  string `json:"digest"`
	Status  string `json:"status"`
}

type stats struct {
	Queued    int      `json:"queued"`
	Paused    bool     `json:"paused"`
	Delivered uint64   `json:"delivered"`
	Recent    []string `json:"recent"`
}

// outbox holds the notifications waiting for delivery, oldest first.
type outbox struct {
	mu        sync.Mutex
	pending   []*notification
	paused    bool
	wake      chan struct{}
	delivered uint64
	recent    []string // ids of the last deliveries, oldest first
}

func newOutbox() *outbox {
	return &outbox{
		// Sized once for the largest backlog we accept, so a burst of
		// traffic never waits for the queue to grow.
		pending: make([]*notification, 0, maxPending),
		wake:    make(chan struct{}, 1),
	}
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Enqueue appends n to the queue and returns how many notifications are
// ahead of it, or false when the backlog is full.
func (o *outbox) Enqueue(n *notification) (int, bool) {
	o.mu.Lock()
	defer o.signal()
	defer o.mu.Unlock()
	if len(o.pending) >= maxPending {
		return 0, false
	}
	o.pending = append(o.pending, n)
	return len(o.pending) - 1, true
}

// next takes the oldest notification off the queue, unless the queue is
// empty or delivery is paused.
func (o *outbox) next() (*notification, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused || len(o.pending) == 0 {
		return nil, false
	}
	n := o.pending[0]
	o.pending = o.pending[1:]
	return n, true
}

func (o *outbox) SetPaused(p bool) {
	o.mu.Lock()
	o.paused = p
	o.mu.Unlock()
	o.signal()
}

// run delivers notifications one at a time, in the order they arrived.
func (o *outbox) run() {
	for {
		if n, ok := o.next(); ok {
			o.deliver(n)
		} else {
			<-o.wake
		}
	}
}

// deliver hands the rendered message to the channel's provider through a
// relay that only needs the payload and its digest, and keeps a record.
func (o *outbox) deliver(n *notification) {
	sum := sha256.Sum256(n.payload)
	o.mu.Lock()
	o.delivered++
	seq := o.delivered
	o.recent = append(o.recent, n.ID)
	if len(o.recent) > recentSize {
		o.recent = append(o.recent[:0], o.recent[len(o.recent)-recentSize:]...)
	}
	o.mu.Unlock()
	if n.done != nil {
		n.done <- receipt{n.ID, n.To, n.Channel, seq, len(n.payload), hex.EncodeToString(sum[:8]), "delivered"}
	}
}

func (o *outbox) Stats() stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return stats{len(o.pending), o.paused, o.delivered, append([]string{}, o.recent...)}
}

// renderMessage turns a notification into the bytes its channel's provider
// expects: an HTML e-mail or a short text message.
func renderMessage(r notificationRequest) []byte {
	if r.Channel == "sms" {
		return []byte(r.Subject + ": " + r.Text)
	}
	subject := html.EscapeString(r.Subject)
	text := strings.ReplaceAll(html.EscapeString(r.Text), "\n", "<br>\n")
	msg := make([]byte, 0, len(emailHead)+len(emailFoot)+len(subject)*2+len(text)+128)
	msg = append(msg, emailHead...)
	msg = fmt.Appendf(msg, "<div class=\"head\">%s</div>\n<div class=\"body\">\n<p>%s</p>\n</div>\n", subject, text)
	return append(msg, emailFoot...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validate(r notificationRequest) string {
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return "a notification needs an id of 1 to 64 characters"
	case strings.TrimSpace(r.To) == "":
		return "a notification needs a recipient"
	case !channels[r.Channel]:
		return "channel must be email or sms"
	case r.Text == "" || len(r.Text) > maxText:
		return fmt.Sprintf("the text must have 1 to %d bytes", maxText)
	}
	return ""
}

func (o *outbox) handleNotify(w http.ResponseWriter, r *http.Request) {
	var req notificationRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed notification: " + err.Error()})
		return
	}
	if msg := validate(req); msg != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	n := &notification{notificationRequest: req, payload: renderMessage(req)}
	wait := r.URL.Query().Get("wait") == "1"
	if wait {
		n.done = make(chan receipt, 1)
	}
	ahead, ok := o.Enqueue(n)
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the outbox backlog is full, try again later"})
		return
	}
	if !wait {
		writeJSON(w, http.StatusAccepted, map[string]any{"id": req.ID, "status": "queued", "ahead": ahead})
		return
	}
	select {
	case rc := <-n.done:
		writeJSON(w, http.StatusOK, rc)
	case <-time.After(waitLimit):
		writeJSON(w, http.StatusGatewayTimeout, map[string]any{"id": req.ID, "status": "queued", "error": "not delivered yet"})
	case <-r.Context().Done():
	}
}

func main() {
	o := newOutbox()
	go o.run()
	http.HandleFunc("POST /notifications", o.handleNotify)
	http.HandleFunc("GET /outbox", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Stats())
	})
	http.HandleFunc("POST /outbox/pause", func(w http.ResponseWriter, r *http.Request) {
		o.SetPaused(true)
		writeJSON(w, http.StatusOK, map[string]string{"status": "paused"})
	})
	http.HandleFunc("POST /outbox/resume", func(w http.ResponseWriter, r *http.Request) {
		o.SetPaused(false)
		writeJSON(w, http.StatusOK, map[string]string{"status": "delivering"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
