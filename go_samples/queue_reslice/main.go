// Command queue_reslice runs the notification outbox. Other services hand it
// notifications over HTTP; it renders each one for its channel, queues it and
// delivers the queue in order from a single background worker, so a
// recipient never sees two messages swapped.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"html"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	// maxPending is the largest backlog the outbox accepts; beyond it new
	// notifications are refused until the worker catches up.
	maxPending = 1 << 17

	maxText    = 4096
	maxSubject = 200
	recentSize = 20

	// A caller that asks to wait gives up after waitLimit.
	waitLimit = 5 * time.Second
)

var (
	errBacklog = errors.New("the outbox backlog is full, try again later")
	channels   = map[string]bool{"email": true, "sms": true, "push": true}
)

type notificationRequest struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Channel string `json:"channel"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

type notification struct {
	id       string
	to       string
	channel  string
	payload  []byte
	enqueued time.Time
	done     chan receipt
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
	Queued        int               `json:"queued"`
	Paused        bool              `json:"paused"`
	Delivered     uint64            `json:"delivered"`
	ByChannel     map[string]uint64 `json:"by_channel"`
	LastDelivered string            `json:"last_delivered"`
	Recent        []string          `json:"recent"`
}

// outbox holds the notifications waiting for delivery, oldest first.
type outbox struct {
	mu      sync.Mutex
	pending []*notification
	paused  bool
	wake    chan struct{}

	delivered uint64
	byChannel map[string]uint64
	recent    []string

	counts *expvar.Map
}

func newOutbox() *outbox {
	return &outbox{
		// Sized once for the largest backlog we accept, so a burst of
		// traffic never waits for the queue to grow.
		pending:   make([]*notification, 0, maxPending),
		wake:      make(chan struct{}, 1),
		byChannel: make(map[string]uint64),
		counts:    expvar.NewMap("outbox"),
	}
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Enqueue appends n to the queue and returns how many notifications are
// ahead of it.
func (o *outbox) Enqueue(n *notification) (int, error) {
	o.mu.Lock()
	if len(o.pending) >= maxPending {
		o.mu.Unlock()
		return 0, errBacklog
	}
	o.pending = append(o.pending, n)
	ahead := len(o.pending) - 1
	o.mu.Unlock()
	o.counts.Add("enqueued", 1)
	o.signal()
	return ahead, nil
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
		n, ok := o.next()
		if !ok {
			<-o.wake
			continue
		}
		o.deliver(n)
	}
}

// deliver hands the rendered message to the channel's provider and keeps a
// record of it. The providers are reached through a relay that only needs
// the payload and its digest.
func (o *outbox) deliver(n *notification) {
	sum := sha256.Sum256(n.payload)
	o.mu.Lock()
	o.delivered++
	seq := o.delivered
	o.byChannel[n.channel]++
	o.recent = append(o.recent, n.id)
	if len(o.recent) > recentSize {
		o.recent = append(o.recent[:0], o.recent[len(o.recent)-recentSize:]...)
	}
	o.mu.Unlock()
	o.counts.Add("delivered", 1)
	if n.done != nil {
		n.done <- receipt{
			ID:      n.id,
			To:      n.to,
			Channel: n.channel,
			Seq:     seq,
			Bytes:   len(n.payload),
			Digest:  hex.EncodeToString(sum[:8]),
			Status:  "delivered",
		}
	}
}

func (o *outbox) Stats() stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	by := make(map[string]uint64, len(o.byChannel))
	for k, v := range o.byChannel {
		by[k] = v
	}
	last := ""
	if len(o.recent) > 0 {
		last = o.recent[len(o.recent)-1]
	}
	return stats{
		Queued:        len(o.pending),
		Paused:        o.paused,
		Delivered:     o.delivered,
		ByChannel:     by,
		LastDelivered: last,
		Recent:        append([]string{}, o.recent...),
	}
}

const emailHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { margin: 0; padding: 0; background: #f4f5f7; font-family: Helvetica, Arial, sans-serif; }
.wrap { max-width: 600px; margin: 0 auto; background: #ffffff; }
.head { padding: 24px 32px; background: #1f3a5f; color: #ffffff; font-size: 20px; }
.body { padding: 24px 32px; color: #222222; font-size: 15px; line-height: 1.5; }
.foot { padding: 16px 32px; color: #777777; font-size: 12px; border-top: 1px solid #e5e7eb; }
a { color: #1f6feb; }
</style>
</head>
<body>
<div class="wrap">
`

const emailFoot = `<div class="foot">
<p>You receive this message because notifications are switched on for your account.
You can choose which messages you get, and how, in your notification settings.</p>
<p>Please do not reply to this message: replies go to an unattended mailbox.
If you need help, our support team is reachable from the help centre at any time.</p>
<p>&copy; Northwind Trading Ltd. &middot; 1 Harbour Street &middot; Registered in England and Wales</p>
</div>
</div>
</body>
</html>
`

// renderMessage turns a notification into the bytes its channel's provider
// expects: an HTML e-mail, a short text message or a push payload.
func renderMessage(r notificationRequest) []byte {
	switch r.Channel {
	case "sms":
		msg := make([]byte, 0, len(r.Subject)+len(r.Text)+2)
		msg = append(msg, r.Subject...)
		msg = append(msg, ": "...)
		return append(msg, r.Text...)
	case "push":
		b, _ := json.Marshal(map[string]string{"to": r.To, "title": r.Subject, "body": r.Text})
		return b
	}
	subject := html.EscapeString(r.Subject)
	text := strings.ReplaceAll(html.EscapeString(r.Text), "\n", "<br>\n")
	msg := make([]byte, 0, len(emailHead)+len(emailFoot)+len(subject)*2+len(text)+128)
	msg = append(msg, emailHead...)
	msg = append(msg, `<div class="head">`...)
	msg = append(msg, subject...)
	msg = append(msg, "</div>\n<div class=\"body\">\n<p>"...)
	msg = append(msg, text...)
	msg = append(msg, "</p>\n</div>\n"...)
	msg = append(msg, emailFoot...)
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func validate(r notificationRequest) error {
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return fmt.Errorf("a notification needs an id of 1 to 64 characters")
	case strings.TrimSpace(r.To) == "":
		return fmt.Errorf("a notification needs a recipient")
	case !channels[r.Channel]:
		return fmt.Errorf("channel must be email, sms or push")
	case len(r.Subject) > maxSubject:
		return fmt.Errorf("the subject may have at most %d bytes", maxSubject)
	case r.Text == "" || len(r.Text) > maxText:
		return fmt.Errorf("the text must have 1 to %d bytes", maxText)
	case r.Channel == "sms" && len(r.Subject)+len(r.Text) > 480:
		return fmt.Errorf("a text message may have at most 480 bytes")
	}
	return nil
}

func (o *outbox) handleNotify(w http.ResponseWriter, r *http.Request) {
	var req notificationRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed notification: " + err.Error()})
		return
	}
	if err := validate(req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	n := &notification{
		id:       req.ID,
		to:       req.To,
		channel:  req.Channel,
		payload:  renderMessage(req),
		enqueued: time.Now(),
	}
	wait := r.URL.Query().Get("wait") == "1"
	if wait {
		n.done = make(chan receipt, 1)
	}
	ahead, err := o.Enqueue(n)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	if !wait {
		writeJSON(w, http.StatusAccepted, map[string]any{"id": req.ID, "status": "queued", "ahead": ahead})
		return
	}
	t := time.NewTimer(waitLimit)
	defer t.Stop()
	select {
	case rc := <-n.done:
		writeJSON(w, http.StatusOK, rc)
	case <-t.C:
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
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
