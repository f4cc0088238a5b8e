// Command rss_after_spike is the ledger API of a small bookkeeping product:
// the journal of one day, an account's totals for a month, and the yearly
// journal export that accountants download as CSV for their audit tools.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"log"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

const entriesPerDay = 200

var chart = map[int]string{
	1000: "Cash", 1100: "Accounts receivable", 1200: "Inventory", 2000: "Accounts payable", 2100: "VAT payable",
	2200: "Payroll liabilities", 4000: "Sales revenue", 4010: "Service revenue", 5000: "Cost of goods sold",
	6000: "Bank charges", 6100: "Salaries", 6200: "Utilities", 6300: "Travel", 6400: "Software subscriptions",
}

var templates = []struct {
	memo          string
	debit, credit int
	min, spread   int64
}{
	{"Customer invoice", 1100, 4000, 4_000, 250_000}, {"Service invoice", 1100, 4010, 10_000, 400_000},
	{"Customer payment", 1000, 1100, 4_000, 300_000}, {"Supplier bill", 5000, 2000, 2_000, 180_000},
	{"Supplier payment", 2000, 1000, 2_000, 180_000}, {"Inventory purchase", 1200, 2000, 5_000, 90_000},
	{"Payroll run", 6100, 2200, 150_000, 900_000}, {"Card processing fees", 6000, 1000, 150, 6_000},
	{"Utilities bill", 6200, 2000, 8_000, 40_000}, {"Travel expenses", 6300, 1000, 1_500, 60_000},
	{"Software subscription", 6400, 1000, 900, 25_000}, {"VAT settlement", 2100, 1000, 20_000, 300_000},
}

type entry struct {
	Memo   string `json:"memo"`
	Debit  int    `json:"debit_account"`
	Credit int    `json:"credit_account"`
	Cents  int64  `json:"amount_cents"`
}

// bookedOn calls fn with each journal entry a company booked on day, in order.
func bookedOn(company int, day time.Time, fn func(n int, e entry)) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", company, day.Format(time.DateOnly))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(company)))
	for n := 1; n <= entriesPerDay; n++ {
		t := templates[rng.IntN(len(templates))]
		fn(n, entry{Memo: t.memo, Debit: t.debit, Credit: t.credit, Cents: t.min + rng.Int64N(t.spread)})
	}
}

func appendCents(b []byte, cents int64) []byte {
	return append(strconv.AppendInt(b, cents/100, 10), '.', byte('0'+cents%100/10), byte('0'+cents%10))
}

// renderJournalCSV writes every journal line a company booked in year, and
// returns the number of lines and the total of each side.
func renderJournalCSV(company, year int) (body []byte, lines int, total int64) {
	var buf bytes.Buffer
	buf.WriteString("date,entry,line,account,account_name,debit,credit,memo\n")
	var row []byte
	for day := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() == year; day = day.AddDate(0, 0, 1) {
		date, compact := day.Format(time.DateOnly), day.Format("20060102")
		bookedOn(company, day, func(n int, e entry) {
			for i, account := range [2]int{e.Debit, e.Credit} {
				row = fmt.Appendf(row[:0], "%s,JE-%s-%04d,%d,%d,%s,", date, compact, n, i+1, account, chart[account])
				if i == 0 {
					row = append(appendCents(row, e.Cents), ',')
				} else {
					row = appendCents(append(row, ','), e.Cents)
				}
				row = append(append(append(row, ','), e.Memo...), '\n')
				buf.Write(row)
				lines++
			}
			total += e.Cents
		})
	}
	return buf.Bytes(), lines, total
}

var stats = expvar.NewMap("ledger")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func companyID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid company id"})
		return 0, false
	}
	return id, true
}

func journalHandler(w http.ResponseWriter, r *http.Request) {
	company, ok := companyID(w, r)
	if !ok {
		return
	}
	day, err := time.Parse(time.DateOnly, r.URL.Query().Get("date"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "date must be YYYY-MM-DD"})
		return
	}
	var entries []entry
	var total int64
	bookedOn(company, day, func(n int, e entry) {
		entries = append(entries, e)
		total += e.Cents
	})
	stats.Add("journals", 1)
	writeJSON(w, http.StatusOK, map[string]any{
		"company": company, "date": day.Format(time.DateOnly), "entries": entries, "total_cents": total,
	})
}

func summaryHandler(w http.ResponseWriter, r *http.Request) {
	company, ok := companyID(w, r)
	if !ok {
		return
	}
	account, err := strconv.Atoi(r.PathValue("account"))
	if _, known := chart[account]; err != nil || !known {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such account"})
		return
	}
	month, err := time.Parse("2006-01", r.URL.Query().Get("month"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "month must be YYYY-MM"})
		return
	}
	var debit, credit, postings int64
	for day := month; day.Month() == month.Month(); day = day.AddDate(0, 0, 1) {
		bookedOn(company, day, func(n int, e entry) {
			if e.Debit == account {
				debit, postings = debit+e.Cents, postings+1
			}
			if e.Credit == account {
				credit, postings = credit+e.Cents, postings+1
			}
		})
	}
	stats.Add("summaries", 1)
	writeJSON(w, http.StatusOK, map[string]any{
		"company": company, "account": account, "name": chart[account], "month": month.Format("2006-01"),
		"debit_cents": debit, "credit_cents": credit, "net_cents": debit - credit, "postings": postings,
	})
}

func exportHandler(w http.ResponseWriter, r *http.Request) {
	company, ok := companyID(w, r)
	if !ok {
		return
	}
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < 2000 || year > 2099 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "year must be between 2000 and 2099"})
		return
	}
	body, lines, total := renderJournalCSV(company, year)
	trailer := fmt.Appendf(nil, "TOTAL,,%d,,,", lines)
	trailer = append(appendCents(append(appendCents(trailer, total), ','), total), ",control totals\n"...)
	sum := sha256.New()
	sum.Write(body)
	sum.Write(trailer)
	size := len(body) + len(trailer)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="journal-%d-%d.csv"`, company, year))
	h.Set("Content-Length", strconv.Itoa(size))
	h.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	h.Set("X-Journal-Lines", strconv.Itoa(lines))
	if _, err := w.Write(body); err == nil {
		w.Write(trailer)
	}
	stats.Add("exports", 1)
	stats.Add("export_bytes", int64(size))
}

func main() {
	http.HandleFunc("GET /companies/{id}/journal", journalHandler)
	http.HandleFunc("GET /companies/{id}/accounts/{account}/summary", summaryHandler)
	http.HandleFunc("GET /companies/{id}/exports/journal.csv", exportHandler)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
