// Command unclosed_collector imports purchase-order batches. Each line of a
// batch is checked and priced by a small pool of workers, and a collector
// folds the per-line results into the batch summary the client gets back.
package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const maxLines = 500

type orderLine struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type batch struct {
	Account string      `json:"account"`
	Lines   []orderLine `json:"lines"`
}

type lineResult struct {
	Line       int
	SKU        string
	TotalCents int64
	Err        error
}

type lineError struct {
	Line   int    `json:"line"`
	SKU    string `json:"sku"`
	Reason string `json:"reason"`
}

type batchSummary struct {
	Account    string      `json:"account"`
	Lines      int         `json:"lines"`
	Imported   int         `json:"imported"`
	Rejected   int         `json:"rejected"`
	TotalCents int64       `json:"total_cents"`
	Errors     []lineError `json:"errors"`
}

func (s *batchSummary) add(r lineResult) {
	s.Lines++
	if r.Err != nil {
		s.Rejected++
		s.Errors = append(s.Errors, lineError{Line: r.Line, SKU: r.SKU, Reason: r.Err.Error()})
		return
	}
	s.Imported++
	s.TotalCents += r.TotalCents
}

type importer struct {
	workers int
	counts  *expvar.Map
}

// priceLine validates one order line and prices it from the catalogue.
func (im *importer) priceLine(n int, l orderLine) lineResult {
	res := lineResult{Line: n, SKU: l.SKU}
	code, ok := strings.CutPrefix(l.SKU, "SKU-")
	if _, err := strconv.ParseUint(code, 10, 32); !ok || err != nil {
		res.Err = fmt.Errorf("unknown sku format")
		return res
	}
	if l.Qty < 1 || l.Qty > 1000 {
		res.Err = fmt.Errorf("quantity must be between 1 and 1000")
		return res
	}
	h := fnv.New32a()
	h.Write([]byte(l.SKU))
	unit := 99 + int64(h.Sum32()%20_000)
	res.TotalCents = unit * int64(l.Qty)
	return res
}

// collect folds results into a summary and hands it over once every line
// of the batch has been accounted for.
func (im *importer) collect(account string, expected int, results <-chan lineResult, done chan<- batchSummary) {
	sum := batchSummary{Account: account, Errors: []lineError{}}
	for r := range results {
		sum.add(r)
		if sum.Lines == expected {
			im.counts.Add("lines_imported", int64(sum.Imported))
			im.counts.Add("lines_rejected", int64(sum.Rejected))
			done <- sum
		}
	}
}

func (im *importer) Import(ctx context.Context, b batch) (batchSummary, error) {
	type job struct {
		n    int
		line orderLine
	}
	jobs := make(chan job)
	results := make(chan lineResult)
	done := make(chan batchSummary, 1)

	go im.collect(b.Account, len(b.Lines), results, done)

	var wg sync.WaitGroup
	for range im.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- im.priceLine(j.n, j.line)
			}
		}()
	}
	for i, l := range b.Lines {
		jobs <- job{n: i + 1, line: l}
	}
	close(jobs)
	wg.Wait()

	select {
	case sum := <-done:
		slices.SortFunc(sum.Errors, func(a, b lineError) int { return a.Line - b.Line })
		return sum, nil
	case <-ctx.Done():
		return batchSummary{}, ctx.Err()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (im *importer) handleImport(w http.ResponseWriter, r *http.Request) {
	var b batch
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&b); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed batch: " + err.Error()})
		return
	}
	if b.Account == "" || len(b.Lines) == 0 || len(b.Lines) > maxLines {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": fmt.Sprintf("a batch needs an account and 1 to %d lines", maxLines),
		})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	sum, err := im.Import(ctx, b)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	im.counts.Add("batches", 1)
	writeJSON(w, http.StatusOK, sum)
}

func main() {
	im := &importer{workers: 4, counts: expvar.NewMap("imports")}
	http.HandleFunc("POST /imports", im.handleImport)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
