// Command listener_leak tracks deliveries. Couriers report each step of an
// order with POST /orders/{id}/status, and the customer's app long-polls
// GET /orders/{id}/watch?since=VERSION to hear about the next step as soon
// as it happens.
package main

import (
	"encoding/json"
	"expvar"
	"log"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
)

const (
	defaultWait = 25 * time.Second
	maxWait     = 60 * time.Second
	mailboxSize = 16
)

var (
	orderID  = regexp.MustCompile(`^ord-[0-9]{1,12}$`)
	statuses = map[string]bool{"placed": true, "confirmed": true, "picked_up": true,
		"out_for_delivery": true, "delivered": true, "cancelled": true}
)

type update struct {
	Order   string `json:"order"`
	Version int    `json:"version"`
	Status  string `json:"status"`
}

// Subscription is one listener on a topic of the bus. Updates arrive on C;
// when C is full the listener misses them rather than stall the publisher.
type Subscription struct {
	topic string
	C     chan update
}

// bus fans updates out to every listener of a topic.
type bus struct {
	mu   sync.Mutex
	subs map[string][]*Subscription
}

func (b *bus) Subscribe(topic string) *Subscription {
	s := &Subscription{topic: topic, C: make(chan update, mailboxSize)}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[topic] = append(b.subs[topic], s)
	return s
}

func (b *bus) Publish(topic string, u update) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	sent := 0
	for _, s := range b.subs[topic] {
		select {
		case s.C <- u:
			sent++
		default:
		}
	}
	return sent
}

type tracker struct {
	bus    *bus
	mu     sync.Mutex
	orders map[string]update
	counts *expvar.Map
}

// current is the order's latest update; an order nobody has reported on
// yet is at version 1, placed.
func (t *tracker) current(id string) update {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u, ok := t.orders[id]; ok {
		return u
	}
	return update{Order: id, Version: 1, Status: "placed"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (t *tracker) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body struct{ Status string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&body); err != nil || !statuses[body.Status] {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "status must be one of placed, confirmed, picked_up, out_for_delivery, delivered, cancelled"})
		return
	}
	if !orderID.MatchString(id) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order " + id})
		return
	}
	t.mu.Lock()
	cur, ok := t.orders[id]
	if !ok {
		cur = update{Order: id, Version: 1, Status: "placed"}
	}
	if cur.Status == "delivered" || cur.Status == "cancelled" {
		t.mu.Unlock()
		writeJSON(w, http.StatusConflict, map[string]string{"error": "order " + id + " is already " + cur.Status})
		return
	}
	next := update{Order: id, Version: cur.Version + 1, Status: body.Status}
	t.orders[id] = next
	t.mu.Unlock()
	listeners := t.bus.Publish("order/"+id, next)
	t.counts.Add("updates", 1)
	writeJSON(w, http.StatusOK, map[string]any{"update": next, "listeners": listeners})
}

func (t *tracker) handleWatch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !orderID.MatchString(id) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order " + id})
		return
	}
	q := r.URL.Query()
	since, err := strconv.Atoi(q.Get("since"))
	if err != nil || since < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "since must be the version the app already has"})
		return
	}
	wait := defaultWait
	if v := q.Get("timeout"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait <= 0 || wait > maxWait {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "timeout must be a duration up to 60s"})
			return
		}
	}

	sub := t.bus.Subscribe("order/" + id)
	if cur := t.current(id); cur.Version > since {
		writeJSON(w, http.StatusOK, map[string]any{"changed": true, "update": cur})
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case u := <-sub.C:
		t.counts.Add("watch_updates", 1)
		writeJSON(w, http.StatusOK, map[string]any{"changed": true, "update": u})
	case <-timer.C:
		writeJSON(w, http.StatusOK, map[string]any{"changed": false, "update": t.current(id)})
	case <-r.Context().Done():
	}
}

func main() {
	t := &tracker{
		bus:    &bus{subs: make(map[string][]*Subscription)},
		orders: make(map[string]update),
		counts: expvar.NewMap("tracker"),
	}
	http.HandleFunc("POST /orders/{id}/status", t.handleStatus)
	http.HandleFunc("GET /orders/{id}/watch", t.handleWatch)
	http.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !orderID.MatchString(id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order " + id})
			return
		}
		writeJSON(w, http.StatusOK, t.current(id))
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
