// Command buffer_pool exports a shop's orders as CSV for its accounting
// tools. An export is rendered into a buffer first, so that the response can
// carry its length and a SHA-256 of its contents, which the accounting tools
// check before they import it. Render buffers are recycled between exports.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"strconv"
	"time"
)

const (
	maxDays         = 400
	maxOrdersPerDay = 40
	rowBytes        = 72        // a typical CSV row
	pooledSize      = 128 << 10 // the size of a pooled buffer
	maxIdleBuffers  = 1024
)

var (
	today = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	skus  = []string{"TEA-EARLGREY-250", "TEA-SENCHA-100", "MUG-STONE-12OZ", "KETTLE-GOOSE-1L", "FILTER-PAPER-100", "GIFT-CARD-25"}
	stats = expvar.NewMap("exports")
)

// bufferPool keeps idle render buffers for the next exports.
type bufferPool struct {
	free chan *bytes.Buffer
}

// Get returns an empty buffer with room for about size bytes. Small exports
// share the pooled buffers; a large one gets a buffer of its own size up
// front, so that rendering it does not copy the data at every doubling.
func (p *bufferPool) Get(size int) *bytes.Buffer {
	if size > pooledSize {
		stats.Add("large_buffers", 1)
		return bytes.NewBuffer(make([]byte, 0, size))
	}
	select {
	case b := <-p.free:
		b.Reset()
		return b
	default:
		return bytes.NewBuffer(make([]byte, 0, pooledSize))
	}
}

// Put makes a buffer available to the next export, unless the pool is full.
func (p *bufferPool) Put(b *bytes.Buffer) {
	select {
	case p.free <- b:
	default:
	}
}

// ordersOn is the number of orders a shop took on a day.
func ordersOn(shop string, day time.Time) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s", shop, day.Format(time.DateOnly))
	return 5 + int(h.Sum32()%(maxOrdersPerDay-5))
}

// render writes the shop's orders of the last days, oldest first, and a
// trailer with the totals.
func render(buf *bytes.Buffer, shop string, days int) (rows int, total int64) {
	buf.WriteString("order,date,sku,qty,unit_cents,total_cents\n")
	for d := days - 1; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		date := day.Format(time.DateOnly)
		for i := range ordersOn(shop, day) {
			h := fnv.New64a()
			fmt.Fprintf(h, "%s/%s/%d", shop, date, i)
			x := h.Sum64()
			qty, unit, sku := 1+int64(x%4), 250+int64((x>>8)%9_750), skus[(x>>32)%uint64(len(skus))]
			fmt.Fprintf(buf, "%s-%s-%03d,%s,%s,%d,%d,%d\n", shop, day.Format("20060102"), i, date, sku, qty, unit, qty*unit)
			rows++
			total += qty * unit
		}
	}
	fmt.Fprintf(buf, "# %d orders, total %d cents\n", rows, total)
	return rows, total
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(map[string]string{"error": msg}); err != nil {
		log.Printf("write response: %v", err)
	}
}

type exporter struct {
	buffers *bufferPool
}

func (e *exporter) handleOrders(w http.ResponseWriter, r *http.Request) {
	shop := r.PathValue("shop")
	days := 7
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDays {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("days must be a number from 1 to %d", maxDays))
			return
		}
		days = n
	}
	if len(shop) < 3 || len(shop) > 40 {
		writeError(w, http.StatusBadRequest, "shop must be 3 to 40 characters")
		return
	}

	buf := e.buffers.Get(days * maxOrdersPerDay * rowBytes)
	defer e.buffers.Put(buf)
	rows, total := render(buf, shop, days)
	sum := sha256.Sum256(buf.Bytes())

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-orders-%dd.csv"`, shop, days))
	h.Set("X-Content-SHA256", hex.EncodeToString(sum[:]))
	h.Set("X-Export-Rows", strconv.Itoa(rows))
	if _, err := w.Write(buf.Bytes()); err != nil {
		log.Printf("export %s: %v", shop, err)
		return
	}
	stats.Add("exports", 1)
	stats.Add("rows", int64(rows))
	stats.Add("cents", total)
}

func main() {
	e := &exporter{buffers: &bufferPool{free: make(chan *bytes.Buffer, maxIdleBuffers)}}
	http.HandleFunc("GET /shops/{shop}/orders.csv", e.handleOrders)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
