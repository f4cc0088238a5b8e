// Command alloc_churn serves the monthly sales report of each store for the
// retail dashboard: revenue, orders, customers, sales per channel and per day,
// and the best-selling products, computed from the store's order archive.
package main

import (
	"cmp"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

var catalogue = []struct {
	sku, name string
	cents     int64
}{
	{"SKU-1001", "Ceramic mug", 1299}, {"SKU-1002", "Espresso cups (set of 4)", 2450},
	{"SKU-1003", "Pour-over kettle", 4900}, {"SKU-1004", "Coffee grinder", 8900},
	{"SKU-1005", "Single-origin beans 1kg", 3200}, {"SKU-1006", "House blend 500g", 1450},
	{"SKU-1007", "Oat milk 1l", 299}, {"SKU-1008", "Paper filters (100)", 550},
	{"SKU-1009", "Travel tumbler", 2199}, {"SKU-1010", "Milk frother", 3999},
	{"SKU-1011", "Loose-leaf green tea", 1150}, {"SKU-1012", "Chai concentrate", 899},
	{"SKU-1013", "Cold brew bottle", 2750}, {"SKU-1014", "Barista apron", 3400},
	{"SKU-1015", "Gift card", 2500}, {"SKU-1016", "Almond biscotti", 650},
}

var channels = []string{"store", "web", "app", "marketplace"}

type orderLine struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Qty       int    `json:"qty"`
	UnitCents int64  `json:"unit_cents"`
}

type order struct {
	ID            string      `json:"id"`
	PlacedAt      time.Time   `json:"placed_at"`
	Channel       string      `json:"channel"`
	Customer      string      `json:"customer"`
	Lines         []orderLine `json:"lines"`
	DiscountCents int64       `json:"discount_cents"`
}

// dayFile returns the orders a store archived for one day, one JSON document per line.
func dayFile(store int, day time.Time) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", store, day.Format(time.DateOnly))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(store)))
	n := 3 + rng.IntN(4)
	out := make([]byte, 0, n*384)
	date := day.Format("20060102")
	for i := 1; i <= n; i++ {
		placed := day.Add(time.Duration(8*3600+rng.IntN(12*3600)) * time.Second)
		out = fmt.Appendf(out, `{"id":"S%d-%s-%04d","placed_at":%q,"channel":%q,"customer":"C-%06d","lines":[`,
			store, date, i, placed.Format(time.RFC3339), channels[rng.IntN(len(channels))], rng.IntN(4000))
		for j := range 1 + rng.IntN(4) {
			if j > 0 {
				out = append(out, ',')
			}
			p := catalogue[rng.IntN(len(catalogue))]
			out = fmt.Appendf(out, `{"sku":%q,"name":%q,"qty":%d,"unit_cents":%d}`, p.sku, p.name, 1+rng.IntN(3), p.cents)
		}
		discount := 0
		if rng.IntN(10) == 0 {
			discount = 500
		}
		out = fmt.Appendf(out, "],\"discount_cents\":%d}\n", discount)
	}
	return out
}

type productSales struct {
	SKU          string `json:"sku"`
	Name         string `json:"name"`
	Units        int    `json:"units"`
	RevenueCents int64  `json:"revenue_cents"`
}

type daySales struct {
	Date         string `json:"date"`
	Orders       int    `json:"orders"`
	RevenueCents int64  `json:"revenue_cents"`
}

type report struct {
	Store         int              `json:"store"`
	Month         string           `json:"month"`
	Orders        int              `json:"orders"`
	RevenueCents  int64            `json:"revenue_cents"`
	DiscountCents int64            `json:"discount_cents"`
	Customers     int              `json:"customers"`
	AvgOrderCents int64            `json:"avg_order_cents"`
	Channels      map[string]int64 `json:"channels"`
	TopProducts   []productSales   `json:"top_products"`
	Days          []daySales       `json:"days"`
}

func buildReport(store int, month time.Time, top int) (*report, error) {
	rep := &report{Store: store, Month: month.Format("2006-01"), Channels: map[string]int64{}}
	products := map[string]*productSales{}
	customers := map[string]bool{}
	for day := month; day.Month() == month.Month(); day = day.AddDate(0, 0, 1) {
		ds := daySales{Date: day.Format(time.DateOnly)}
		for _, line := range strings.Split(strings.TrimSpace(string(dayFile(store, day))), "\n") {
			var o order
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				return nil, fmt.Errorf("orders of %s: %w", ds.Date, err)
			}
			total := -o.DiscountCents
			for _, l := range o.Lines {
				p := products[l.SKU]
				if p == nil {
					p = &productSales{SKU: l.SKU, Name: l.Name}
					products[l.SKU] = p
				}
				p.Units += l.Qty
				p.RevenueCents += int64(l.Qty) * l.UnitCents
				total += int64(l.Qty) * l.UnitCents
			}
			customers[o.Customer] = true
			rep.Channels[o.Channel] += total
			rep.DiscountCents += o.DiscountCents
			ds.Orders++
			ds.RevenueCents += total
		}
		rep.Days = append(rep.Days, ds)
		rep.Orders += ds.Orders
		rep.RevenueCents += ds.RevenueCents
	}
	for _, p := range products {
		rep.TopProducts = append(rep.TopProducts, *p)
	}
	slices.SortFunc(rep.TopProducts, func(a, b productSales) int {
		return cmp.Or(cmp.Compare(b.RevenueCents, a.RevenueCents), strings.Compare(a.SKU, b.SKU))
	})
	rep.TopProducts = rep.TopProducts[:min(top, len(rep.TopProducts))]
	rep.Customers = len(customers)
	if rep.Orders > 0 {
		rep.AvgOrderCents = rep.RevenueCents / int64(rep.Orders)
	}
	return rep, nil
}

var stats = expvar.NewMap("reports")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func reportHandler(w http.ResponseWriter, r *http.Request) {
	store, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || store <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid store id"})
		return
	}
	month, err := time.Parse("2006-01", r.URL.Query().Get("month"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "month must be YYYY-MM"})
		return
	}
	top := 10
	if s := r.URL.Query().Get("top"); s != "" {
		if top, err = strconv.Atoi(s); err != nil || top < 1 || top > 50 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "top must be between 1 and 50"})
			return
		}
	}
	started := time.Now()
	rep, err := buildReport(store, month, top)
	if err != nil {
		log.Printf("report for store %d: %v", store, err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "report failed"})
		return
	}
	stats.Add("built", 1)
	stats.Add("build_us", time.Since(started).Microseconds())
	w.Header().Set("Cache-Control", "private, max-age=300")
	writeJSON(w, http.StatusOK, rep)
}

func main() {
	http.HandleFunc("GET /stores/{id}/report", reportHandler)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
