// Command substring_pin imports the sales that stores upload to the object
// store. The store's notifications arrive at least once, so the importer
// keeps a window of recent batches: a redelivered notification is answered
// with the receipt of the first import instead of counting the sales twice.
package main

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	maxObject = 4 << 20
	// windowSize batches is about a day of uploads from every store.
	windowSize = 100_000
)

var stats = expvar.NewMap("imports")

type receipt struct {
	Batch      string    `json:"batch"`
	Source     string    `json:"source"`
	Records    int       `json:"records"`
	Bytes      int       `json:"bytes"`
	Units      int       `json:"units"`
	TotalCents int64     `json:"total_cents"`
	ImportedAt time.Time `json:"imported_at"`
}

// window remembers the last windowSize batches by their batch id.
type window struct {
	mu    sync.Mutex
	ring  []receipt
	next  int
	index map[string]int
}

func newWindow(size int) *window {
	return &window{ring: make([]receipt, size), index: make(map[string]int, size)}
}

func (w *window) get(batch string) (receipt, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i, ok := w.index[batch]
	if !ok {
		return receipt{}, false
	}
	return w.ring[i], true
}

// add keeps r unless its batch is already in the window; it returns the
// receipt on file and whether r was added.
func (w *window) add(r receipt) (receipt, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i, ok := w.index[r.Batch]; ok {
		return w.ring[i], false
	}
	if old := w.ring[w.next].Batch; old != "" {
		delete(w.index, old)
	}
	w.ring[w.next] = r
	w.index[r.Batch] = w.next
	w.next = (w.next + 1) % len(w.ring)
	return r, true
}

// readObject fetches a whole object from the store.
func readObject(key string) (string, error) {
	obj, err := openObject(key)
	if err != nil {
		return "", err
	}
	defer obj.Close()
	raw, err := io.ReadAll(io.LimitReader(obj, maxObject+1))
	if err != nil {
		return "", err
	}
	if len(raw) > maxObject {
		return "", fmt.Errorf("object is larger than %d bytes", maxObject)
	}
	return string(raw), nil
}

// parseBatch checks a batch against its manifest line and totals its sales.
func parseBatch(doc string) (receipt, error) {
	header, body, _ := strings.Cut(doc, "\n")
	fields := strings.Fields(header)
	if len(fields) == 0 || fields[0] != "#manifest" {
		return receipt{}, errors.New("the object does not start with a manifest line")
	}
	r := receipt{Bytes: len(doc)}
	for _, f := range fields[1:] {
		switch k, v, _ := strings.Cut(f, "="); k {
		case "batch":
			r.Batch = v
		case "source":
			r.Source = v
		case "records":
			r.Records, _ = strconv.Atoi(v)
		}
	}
	if r.Batch == "" || r.Source == "" || r.Records < 1 {
		return receipt{}, errors.New("the manifest needs a batch, a source and a record count")
	}
	lines := 0
	for rest := body; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		var sale struct {
			Qty       int   `json:"qty"`
			UnitCents int64 `json:"unit_cents"`
		}
		if err := json.Unmarshal([]byte(line), &sale); err != nil || sale.Qty < 1 {
			return receipt{}, fmt.Errorf("line %d is not a sale", lines+1)
		}
		lines++
		r.Units += sale.Qty
		r.TotalCents += int64(sale.Qty) * sale.UnitCents
	}
	if lines != r.Records {
		return receipt{}, fmt.Errorf("the manifest announces %d records, the object has %d", r.Records, lines)
	}
	return r, nil
}

type importer struct {
	window *window
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (s *importer) handleImport(w http.ResponseWriter, r *http.Request) {
	var note struct {
		Object string `json:"object"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&note); err != nil || note.Object == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a notification names an object"})
		return
	}
	doc, err := readObject(note.Object)
	if errors.Is(err, errNoObject) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such object: " + note.Object})
		return
	} else if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "reading " + note.Object + ": " + err.Error()})
		return
	}
	rec, err := parseBatch(doc)
	if err != nil {
		stats.Add("rejected", 1)
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": note.Object + ": " + err.Error()})
		return
	}
	rec.ImportedAt = time.Now().UTC()
	kept, added := s.window.add(rec)
	if !added {
		stats.Add("duplicates", 1)
		writeJSON(w, http.StatusOK, map[string]any{"status": "duplicate", "receipt": kept})
		return
	}
	stats.Add("imported", 1)
	writeJSON(w, http.StatusCreated, map[string]any{"status": "imported", "receipt": kept})
}

func (s *importer) handleBatch(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.window.get(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown batch"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "imported", "receipt": rec})
}

func main() {
	s := &importer{window: newWindow(windowSize)}
	http.HandleFunc("POST /imports", s.handleImport)
	http.HandleFunc("GET /batches/{id}", s.handleBatch)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
