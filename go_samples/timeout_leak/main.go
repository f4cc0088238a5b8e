// Command timeout_leak serves two-way quotes for listed instruments. Liquid
// instruments are priced from the order book; thin ones go out to dealers for
// a request-for-quote, which can be slow, so every quote has a deadline.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"hash/fnv"
	"log"
	"net/http"
	"strconv"
	"time"
)

const quoteDeadline = 40 * time.Millisecond

type quote struct {
	Instrument int       `json:"instrument"`
	Venue      string    `json:"venue"`
	BidCents   int64     `json:"bid_cents"`
	AskCents   int64     `json:"ask_cents"`
	Size       int       `json:"size"`
	QuotedAt   time.Time `json:"quoted_at"`
}

// pricingEngine is the in-process client for the pricing backends.
type pricingEngine struct {
	bookLatency time.Duration
	rfqLatency  time.Duration
}

func instrumentHash(id int) uint64 {
	h := fnv.New64a()
	h.Write([]byte("instrument:" + strconv.Itoa(id)))
	return h.Sum64()
}

// venueFor routes one instrument in five to the dealer RFQ desk.
func venueFor(id int) string {
	if instrumentHash(id)%5 == 0 {
		return "rfq"
	}
	return "book"
}

func (e *pricingEngine) Price(id int) (quote, error) {
	venue := venueFor(id)
	h := instrumentHash(id)
	wait := e.bookLatency + time.Duration(h%3)*time.Millisecond
	if venue == "rfq" {
		wait = e.rfqLatency + time.Duration(h%40)*time.Millisecond
	}
	time.Sleep(wait)

	mid := 1_000 + int64(h>>8%500_000)
	spread := 1 + mid/2_000
	if venue == "rfq" {
		spread *= 5
	}
	return quote{
		Instrument: id,
		Venue:      venue,
		BidCents:   mid - spread,
		AskCents:   mid + spread,
		Size:       100 * (1 + int(h>>32%50)),
		QuotedAt:   time.Now().UTC(),
	}, nil
}

type quoteResult struct {
	q   quote
	err error
}

type quoteService struct {
	engine   *pricingEngine
	deadline time.Duration
	served   *expvar.Map
}

// Quote asks the engine for a quote and gives up when ctx or the service
// deadline expires, whichever comes first.
func (s *quoteService) Quote(ctx context.Context, id int) (quote, error) {
	ctx, cancel := context.WithTimeout(ctx, s.deadline)
	defer cancel()

	done := make(chan quoteResult)
	go func() {
		q, err := s.engine.Price(id)
		done <- quoteResult{q: q, err: err}
	}()

	select {
	case res := <-done:
		return res.q, res.err
	case <-ctx.Done():
		return quote{}, ctx.Err()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (s *quoteService) handleQuote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid instrument id"})
		return
	}
	q, err := s.Quote(r.Context(), id)
	switch {
	case err == nil:
		s.served.Add("ok", 1)
		writeJSON(w, http.StatusOK, q)
	case errors.Is(err, context.DeadlineExceeded):
		s.served.Add("timeout", 1)
		writeJSON(w, http.StatusGatewayTimeout, map[string]any{
			"error":      "quote timed out",
			"instrument": id,
			"venue":      venueFor(id),
			"deadline":   s.deadline.String(),
		})
	case errors.Is(err, context.Canceled):
		s.served.Add("cancelled", 1)
	default:
		s.served.Add("error", 1)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	}
}

func main() {
	svc := &quoteService{
		engine:   &pricingEngine{bookLatency: 2 * time.Millisecond, rfqLatency: 70 * time.Millisecond},
		deadline: quoteDeadline,
		served:   expvar.NewMap("quotes"),
	}
	http.HandleFunc("GET /quotes/{id}", svc.handleQuote)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
