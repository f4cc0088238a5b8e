// Command map_burst sends e-mail for the shops on the platform: receipts one
// at a time, and campaigns to a whole segment of a shop's customers at once.
// Every message waits in its shop's outbox until the carrier has accepted it,
// so support can see what is still pending and a customer listed twice in a
// segment is written to only once.
package main

import (
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"
)

const senders = 8

var (
	segments = map[string]int{"all": 900, "recent": 120, "vip": 10}
	stats    = expvar.NewMap("mail")
)

type delivery struct {
	ID       string
	Tenant   string
	To       string
	Template string
	Queued   time.Time
	done     *sync.WaitGroup
}

// outbox holds, per shop, the messages the carrier has not accepted yet.
type outbox struct {
	mu      sync.Mutex
	pending map[string]map[string]delivery
}

// enqueue adds the messages to their shop's outbox and returns the ones that
// were not pending already.
func (o *outbox) enqueue(tenant string, ds []delivery) []delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	box, ok := o.pending[tenant]
	if !ok {
		box = make(map[string]delivery)
		o.pending[tenant] = box
	}
	fresh := ds[:0]
	for _, d := range ds {
		if _, dup := box[d.ID]; !dup {
			box[d.ID] = d
			fresh = append(fresh, d)
		}
	}
	return fresh
}

func (o *outbox) complete(d delivery) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.pending[d.Tenant], d.ID)
}

func (o *outbox) list(tenant string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ids := []string{}
	for id := range o.pending[tenant] {
		ids = append(ids, id)
	}
	return ids
}

// audience reads a segment of a shop's customers from the CRM export, which
// lists a customer twice now and then.
func audience(tenant, segment string) []string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s", tenant, segment)
	n := segments[segment] + int(h.Sum32()%uint32(segments[segment]))
	out := make([]string, 0, n)
	for i := range n {
		if i > 0 && i%50 == 0 {
			out = append(out, out[i-1])
			continue
		}
		out = append(out, fmt.Sprintf("customer-%d@%s.example", i, tenant))
	}
	return out
}

func messageID(parts ...string) string {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(parts, "\x00")))
	return fmt.Sprintf("msg-%016x", h.Sum64())
}

type mailer struct {
	box   *outbox
	queue chan delivery
}

// send hands each message to the carrier and takes it out of the outbox once
// the carrier has accepted it.
func (m *mailer) send() {
	for d := range m.queue {
		header := fmt.Sprintf("Message-ID: <%s@mail.example>\r\nTo: %s\r\nX-Shop: %s\r\nX-Template: %s\r\n", d.ID, d.To, d.Tenant, d.Template)
		stats.Add("sent", 1)
		stats.Add("header_bytes", int64(len(header)))
		m.box.complete(d)
		d.done.Done()
	}
}

// deliver queues the messages and waits until the carrier has taken them all.
func (m *mailer) deliver(tenant string, ds []delivery) int {
	var wg sync.WaitGroup
	for i := range ds {
		ds[i].done = &wg
	}
	fresh := m.box.enqueue(tenant, ds)
	wg.Add(len(fresh))
	for _, d := range fresh {
		m.queue <- d
	}
	wg.Wait()
	return len(fresh)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

type mailRequest struct {
	Tenant   string `json:"tenant"`
	Campaign string `json:"campaign"`
	Segment  string `json:"segment"`
	To       string `json:"to"`
	Template string `json:"template"`
}

func (m *mailer) handle(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req mailRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed request: " + err.Error()})
			return
		}
		if req.Tenant == "" || req.Template == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a tenant and a template are required"})
			return
		}
		now := time.Now()
		var ds []delivery
		switch {
		case kind == "message" && strings.Contains(req.To, "@"):
			ds = append(ds, delivery{messageID(req.Tenant, req.To, req.Template, now.String()), req.Tenant, req.To, req.Template, now, nil})
		case kind == "campaign" && req.Campaign != "" && segments[req.Segment] > 0:
			for _, to := range audience(req.Tenant, req.Segment) {
				ds = append(ds, delivery{messageID(req.Tenant, req.Campaign, to), req.Tenant, to, req.Template, now, nil})
			}
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a message needs an address in to; a campaign needs a campaign id and a segment: all, recent or vip"})
			return
		}
		recipients := len(ds)
		sent := m.deliver(req.Tenant, ds)
		stats.Add(kind+"s", 1)
		writeJSON(w, http.StatusOK, map[string]any{
			"tenant": req.Tenant, "recipients": recipients, "sent": sent, "duplicates": recipients - sent,
		})
	}
}

func main() {
	m := &mailer{box: &outbox{pending: make(map[string]map[string]delivery)}, queue: make(chan delivery, 256)}
	for range senders {
		go m.send()
	}
	http.HandleFunc("POST /messages", m.handle("message"))
	http.HandleFunc("POST /campaigns", m.handle("campaign"))
	http.HandleFunc("GET /tenants/{tenant}/outbox", func(w http.ResponseWriter, r *http.Request) {
		ids := m.box.list(r.PathValue("tenant"))
		writeJSON(w, http.StatusOK, map[string]any{"tenant": r.PathValue("tenant"), "pending": len(ids), "messages": ids})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
