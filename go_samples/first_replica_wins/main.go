// Command first_replica_wins serves product search for a furniture shop. The
// search index runs as three replicas; any one of them can stall for a while
// (a cold cache, a compaction), so every query goes to all of them and the
// first answer is the one the shopper gets.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/crc32"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const searchDeadline = 250 * time.Millisecond

type product struct {
	SKU        int    `json:"sku"`
	Title      string `json:"title"`
	PriceCents int64  `json:"price_cents"`
}

// index is one copy of the catalogue, searchable by the words of the titles.
type index struct {
	products map[int]product
	postings map[string][]int
}

func buildIndex() *index {
	ix := &index{products: map[int]product{}, postings: map[string][]int{}}
	sku := 1000
	for _, color := range []string{"black", "white", "oak", "walnut", "grey", "green", "blue", "red"} {
		for _, material := range []string{"linen", "leather", "velvet", "steel", "rattan", "wool"} {
			for _, item := range []string{"chair", "sofa", "table", "lamp", "rug", "shelf", "desk", "bed", "stool", "mirror"} {
				title := color + " " + material + " " + item
				price := 2_000 + int64(crc32.ChecksumIEEE([]byte(title))%58_000)
				ix.products[sku] = product{SKU: sku, Title: title, PriceCents: price}
				for _, w := range strings.Fields(title) {
					ix.postings[w] = append(ix.postings[w], sku)
				}
				sku++
			}
		}
	}
	return ix
}

// match returns the products whose titles hold every term, cheapest first.
func (ix *index) match(terms []string, maxPrice int64, limit int) []product {
	hits := []product{}
	for _, sku := range ix.postings[terms[0]] {
		p := ix.products[sku]
		if p.PriceCents > maxPrice {
			continue
		}
		words := strings.Fields(p.Title)
		if !slices.ContainsFunc(terms[1:], func(t string) bool { return !slices.Contains(words, t) }) {
			hits = append(hits, p)
		}
	}
	slices.SortFunc(hits, func(a, b product) int {
		return cmp.Or(cmp.Compare(a.PriceCents, b.PriceCents), cmp.Compare(a.SKU, b.SKU))
	})
	return hits[:min(limit, len(hits))]
}

type query struct {
	terms    []string
	maxPrice int64
	limit    int
}

// replica is the client for one search replica.
type replica struct {
	name    string
	latency time.Duration
	ix      *index
}

func (r *replica) search(ctx context.Context, q query) ([]product, error) {
	key := fmt.Sprintf("%s|%s|%d", r.name, strings.Join(q.terms, " "), q.maxPrice)
	wait := r.latency + time.Duration(crc32.ChecksumIEEE([]byte(key))%3)*time.Millisecond
	if crc32.ChecksumIEEE([]byte("stall|"+key))%10 == 0 {
		wait += 60 * time.Millisecond
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return r.ix.match(q.terms, q.maxPrice, q.limit), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type answer struct {
	replica string
	hits    []product
	err     error
}

type searcher struct {
	replicas []*replica
	stats    *expvar.Map
}

// Search asks every replica and returns the first answer.
func (s *searcher) Search(ctx context.Context, q query) (answer, error) {
	answers := make(chan answer)
	for _, r := range s.replicas {
		go func() {
			hits, err := r.search(ctx, q)
			answers <- answer{replica: r.name, hits: hits, err: err}
		}()
	}
	select {
	case a := <-answers:
		s.stats.Add("answered_by_"+a.replica, 1)
		return a, a.err
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *searcher) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := query{terms: strings.Fields(strings.ToLower(r.FormValue("q"))), maxPrice: 1 << 40, limit: 10}
	if len(q.terms) == 0 || len(q.terms) > 5 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "q needs 1 to 5 words"})
		return
	}
	if v := r.FormValue("max_price"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "max_price must be a price in cents"})
			return
		}
		q.maxPrice = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), searchDeadline)
	defer cancel()
	start := time.Now()
	a, err := s.Search(ctx, q)
	if err != nil {
		s.stats.Add("failed", 1)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "search is unavailable: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"query": strings.Join(q.terms, " "), "hits": a.hits, "count": len(a.hits),
		"replica": a.replica, "took_ms": time.Since(start).Milliseconds(),
	})
}

func main() {
	ix := buildIndex()
	s := &searcher{stats: expvar.NewMap("search")}
	for i, name := range []string{"search-a", "search-b", "search-c"} {
		s.replicas = append(s.replicas, &replica{name: name, latency: time.Duration(2+i) * time.Millisecond, ix: ix})
	}
	http.HandleFunc("GET /search", s.handleSearch)
	http.HandleFunc("GET /products/{sku}", func(w http.ResponseWriter, r *http.Request) {
		sku, _ := strconv.Atoi(r.PathValue("sku"))
		p, ok := ix.products[sku]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such product"})
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
