// Command ticker_leak takes checkouts for a web shop. Each checkout places a
// hold on the cart so it cannot be submitted twice, keeps that hold alive
// while the payment is authorized, and turns it into an order.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	maxItems = 50

	// A hold lapses holdTTL after it was placed or last renewed; while a
	// checkout is in progress the hold is renewed every renewEvery.
	holdTTL    = 2500 * time.Millisecond
	renewEvery = time.Second

	// The credit bureau takes a while to approve an invoice.
	invoiceCheck = 3500 * time.Millisecond
)

var (
	errCartHeld    = errors.New("cart is already being checked out")
	errHoldExpired = errors.New("hold expired before the payment was authorized")
	errCreditLimit = errors.New("invoice amount exceeds the credit limit")
)

type item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type checkoutRequest struct {
	Cart    string `json:"cart"`
	Items   []item `json:"items"`
	Payment string `json:"payment"`
}

type order struct {
	Order      string `json:"order"`
	Cart       string `json:"cart"`
	Items      int    `json:"items"`
	TotalCents int64  `json:"total_cents"`
	Payment    string `json:"payment"`
	Status     string `json:"status"`
}

type hold struct {
	cart    string
	token   uint64
	expires time.Time
}

// holdStore keeps one hold per cart for as long as its checkout runs.
type holdStore struct {
	mu    sync.Mutex
	holds map[string]*hold
	next  uint64
}

func (s *holdStore) live(cart string, now time.Time) (*hold, bool) {
	h, ok := s.holds[cart]
	if ok && now.After(h.expires) {
		delete(s.holds, cart)
		return nil, false
	}
	return h, ok
}

func (s *holdStore) acquire(cart string, now time.Time) (*hold, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live(cart, now); ok {
		return nil, errCartHeld
	}
	s.next++
	h := &hold{cart: cart, token: s.next, expires: now.Add(holdTTL)}
	s.holds[cart] = h
	return h, nil
}

// extend pushes the hold's expiry back, if the hold is still the cart's.
func (s *holdStore) extend(h *hold, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.live(h.cart, now)
	if !ok || cur.token != h.token {
		return false
	}
	cur.expires = now.Add(holdTTL)
	return true
}

// finish removes the hold and reports whether it was still valid.
func (s *holdStore) finish(h *hold, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.live(h.cart, now)
	if !ok || cur.token != h.token {
		return false
	}
	delete(s.holds, h.cart)
	return true
}

type checkoutService struct {
	holds  *holdStore
	orders atomic.Uint64
	counts *expvar.Map
}

func unitPrice(sku string) int64 {
	h := fnv.New32a()
	h.Write([]byte(sku))
	return 199 + int64(h.Sum32()%5_000)
}

// keepHold renews the cart's hold so it does not lapse during a slow
// payment authorization.
func (s *checkoutService) keepHold(h *hold) {
	ticker := time.NewTicker(renewEvery)
	for range ticker.C {
		if s.holds.extend(h, time.Now()) {
			s.counts.Add("hold_renewals", 1)
		}
	}
}

// authorize asks the payment provider to approve the amount. Cards are
// approved at once; invoices go through a credit check first.
func (s *checkoutService) authorize(ctx context.Context, payment string, cents int64) error {
	if payment != "invoice" {
		return nil
	}
	t := time.NewTimer(invoiceCheck)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if cents > 5_000_000 {
		return errCreditLimit
	}
	return nil
}

func (s *checkoutService) Checkout(ctx context.Context, c checkoutRequest) (order, error) {
	var total int64
	for _, it := range c.Items {
		total += unitPrice(it.SKU) * int64(it.Qty)
	}
	h, err := s.holds.acquire(c.Cart, time.Now())
	if err != nil {
		return order{}, err
	}
	go s.keepHold(h)

	if err := s.authorize(ctx, c.Payment, total); err != nil {
		s.holds.finish(h, time.Now())
		return order{}, err
	}
	if !s.holds.finish(h, time.Now()) {
		return order{}, errHoldExpired
	}
	n := s.orders.Add(1)
	return order{
		Order:      fmt.Sprintf("ord-%06d", n),
		Cart:       c.Cart,
		Items:      len(c.Items),
		TotalCents: total,
		Payment:    c.Payment,
		Status:     "confirmed",
	}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func validate(c checkoutRequest) error {
	if strings.TrimSpace(c.Cart) == "" || len(c.Items) == 0 || len(c.Items) > maxItems {
		return fmt.Errorf("a checkout needs a cart and 1 to %d items", maxItems)
	}
	for i, it := range c.Items {
		if it.SKU == "" || it.Qty < 1 || it.Qty > 99 {
			return fmt.Errorf("item %d needs a sku and a quantity from 1 to 99", i+1)
		}
	}
	if c.Payment != "card" && c.Payment != "invoice" {
		return fmt.Errorf("payment must be card or invoice")
	}
	return nil
}

func (s *checkoutService) handleCheckout(w http.ResponseWriter, r *http.Request) {
	var c checkoutRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed checkout: " + err.Error()})
		return
	}
	if err := validate(c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second)
	defer cancel()
	o, err := s.Checkout(ctx, c)
	switch {
	case errors.Is(err, errCartHeld), errors.Is(err, errHoldExpired):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	case errors.Is(err, errCreditLimit):
		writeJSON(w, http.StatusPaymentRequired, map[string]string{"error": err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	s.counts.Add("orders", 1)
	writeJSON(w, http.StatusOK, o)
}

func main() {
	s := &checkoutService{
		holds:  &holdStore{holds: make(map[string]*hold)},
		counts: expvar.NewMap("checkout"),
	}
	http.HandleFunc("POST /checkouts", s.handleCheckout)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
