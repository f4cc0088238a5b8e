// Command cache_map serves list and regional prices for catalogue products.
// Rendering a price sheet walks the pricing rules for every sales region, so
// rendered sheets are cached and served with an ETag.
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
	"sync"
	"time"
)

const catalogueSize = 10_000_000

var regions = []struct {
	Code string
	Rate float64
	Tax  float64
}{
	{"us-east", 1.00, 0.0625}, {"us-west", 1.00, 0.0725}, {"ca-central", 1.36, 0.13},
	{"br-south", 5.02, 0.17}, {"eu-west", 0.92, 0.23}, {"eu-central", 0.92, 0.19},
	{"eu-north", 10.71, 0.25}, {"uk-south", 0.79, 0.20}, {"ch-north", 0.88, 0.081},
	{"in-west", 83.20, 0.18}, {"sg-central", 1.34, 0.09}, {"jp-east", 151.60, 0.10},
	{"kr-central", 1350.0, 0.10}, {"au-east", 1.52, 0.10}, {"za-north", 18.70, 0.15},
	{"mx-central", 17.05, 0.16},
}

type regionalPrice struct {
	Region     string  `json:"region"`
	NetCents   int64   `json:"net_cents"`
	GrossCents int64   `json:"gross_cents"`
	TaxRate    float64 `json:"tax_rate"`
}

type tier struct {
	MinQty    int   `json:"min_qty"`
	UnitCents int64 `json:"unit_cents"`
}

type priceSheet struct {
	ID             int             `json:"id"`
	SKU            string          `json:"sku"`
	ListPriceCents int64           `json:"list_price_cents"`
	Currency       string          `json:"currency"`
	Tiers          []tier          `json:"tiers"`
	Regions        []regionalPrice `json:"regions"`
	RenderedAt     time.Time       `json:"rendered_at"`
}

// buildSheet applies the pricing rules to one product.
func buildSheet(id int) priceSheet {
	h := fnv.New64a()
	fmt.Fprintf(h, "product:%d", id)
	list := 500 + int64(h.Sum64()%99_500)
	sheet := priceSheet{
		ID:             id,
		SKU:            fmt.Sprintf("PRD-%07d", id),
		ListPriceCents: list,
		Currency:       "USD",
		RenderedAt:     time.Now().UTC(),
	}
	for i, qty := range []int{1, 10, 50, 250, 1000} {
		sheet.Tiers = append(sheet.Tiers, tier{MinQty: qty, UnitCents: list * int64(100-4*i) / 100})
	}
	for _, r := range regions {
		netCents := int64(float64(list) * r.Rate)
		sheet.Regions = append(sheet.Regions, regionalPrice{
			Region:     r.Code,
			NetCents:   netCents,
			GrossCents: netCents + int64(float64(netCents)*r.Tax),
			TaxRate:    r.Tax,
		})
	}
	return sheet
}

type cachedSheet struct {
	body     []byte
	etag     string
	storedAt time.Time
}

type priceCache struct {
	mu      sync.RWMutex
	entries map[string]*cachedSheet
}

func newPriceCache() *priceCache {
	return &priceCache{entries: make(map[string]*cachedSheet)}
}

func (c *priceCache) Get(key string) (*cachedSheet, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	return e, ok
}

// Put stores a copy of body, because the caller's buffer goes back to a pool.
func (c *priceCache) Put(key string, body []byte) *cachedSheet {
	sum := sha256.Sum256(body)
	e := &cachedSheet{
		body:     make([]byte, len(body)),
		etag:     `"` + hex.EncodeToString(sum[:12]) + `"`,
		storedAt: time.Now(),
	}
	copy(e.body, body)
	c.mu.Lock()
	c.entries[key] = e
	c.mu.Unlock()
	return e
}

var (
	bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	stats   = expvar.NewMap("prices")
)

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func priceHandler(cache *priceCache) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id < 0 {
			writeError(w, http.StatusBadRequest, "invalid product id")
			return
		}
		if id >= catalogueSize {
			writeError(w, http.StatusNotFound, "no such product")
			return
		}
		key := strconv.Itoa(id)
		source := "cache"
		entry, ok := cache.Get(key)
		if ok {
			stats.Add("hits", 1)
		} else {
			stats.Add("misses", 1)
			source = "pricing"
			buf := bufPool.Get().(*bytes.Buffer)
			buf.Reset()
			if err := json.NewEncoder(buf).Encode(buildSheet(id)); err != nil {
				bufPool.Put(buf)
				writeError(w, http.StatusInternalServerError, "render failed")
				return
			}
			entry = cache.Put(key, bytes.TrimSpace(buf.Bytes()))
			bufPool.Put(buf)
		}

		w.Header().Set("ETag", entry.etag)
		w.Header().Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == entry.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"source":%q,"age_ms":%d,"sheet":`, source, time.Since(entry.storedAt).Milliseconds())
		w.Write(entry.body)
		w.Write([]byte("}\n"))
	}
}

func main() {
	cache := newPriceCache()
	http.HandleFunc("GET /products/{id}/price", priceHandler(cache))
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
