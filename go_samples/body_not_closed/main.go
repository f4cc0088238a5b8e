// Command body_not_closed is the statement gateway of a billing platform.
// For GET /statements/{account} it renders the account's usage statement
// for a month as CSV, files it with the archive service, and answers with
// the archive's receipt and the statement's total.
package main

import (
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

type meter struct {
	name      string
	unitCents int64
}

var meters = []meter{
	{"api-calls", 2},
	{"storage-gb", 11},
	{"egress-gb", 9},
	{"build-minutes", 4},
	{"seats", 150},
	{"sms", 7},
	{"email", 1},
	{"support-tickets", 350},
}

type statementReceipt struct {
	Account    int    `json:"account"`
	Period     string `json:"period"`
	Key        string `json:"key"`
	ETag       string `json:"etag"`
	Bytes      int64  `json:"bytes"`
	Rows       int    `json:"rows"`
	TotalCents int64  `json:"total_cents"`
}

type gateway struct {
	archiveURL string
	client     *http.Client
	counts     *expvar.Map
}

func newGateway(archiveURL string, counts *expvar.Map) *gateway {
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	}
	return &gateway{
		archiveURL: archiveURL,
		client:     &http.Client{Transport: transport},
		counts:     counts,
	}
}

// usage is the number of units an account used of a meter on one day.
func usage(account int, day time.Time, m meter) int64 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s/%s", account, day.Format(time.DateOnly), m.name)
	return int64(h.Sum32() % 500)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func (g *gateway) handleStatement(w http.ResponseWriter, r *http.Request) {
	account, err := strconv.Atoi(r.PathValue("account"))
	if err != nil || account < 1 || account > 9_999_999 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "account must be a number from 1 to 9999999"})
		return
	}
	period := r.URL.Query().Get("period")
	if period == "" {
		period = "2026-10"
	}
	month, err := time.Parse("2006-01", period)
	if err != nil || month.Year() < 2020 || month.Year() > 2030 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "period must be a month from 2020-01 to 2030-12, like 2026-10"})
		return
	}

	var csv bytes.Buffer
	csv.WriteString("account,day,meter,units,unit_cents,amount_cents\n")
	rows := 0
	var total int64
	for day := month; day.Month() == month.Month(); day = day.AddDate(0, 0, 1) {
		for _, m := range meters {
			units := usage(account, day, m)
			amount := units * m.unitCents
			fmt.Fprintf(&csv, "%d,%s,%s,%d,%d,%d\n", account, day.Format(time.DateOnly), m.name, units, m.unitCents, amount)
			rows++
			total += amount
		}
	}

	key := fmt.Sprintf("statements/%s/%d.csv", period, account)
	req, err := http.NewRequest(http.MethodPut, g.archiveURL+"/objects/"+key, &csv)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := g.client.Do(req)
	if err != nil {
		g.counts.Add("archive_errors", 1)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "archive unavailable: " + err.Error()})
		return
	}
	if resp.StatusCode == http.StatusLocked {
		g.counts.Add("held", 1)
		writeJSON(w, http.StatusConflict, map[string]string{
			"error": fmt.Sprintf("statement for account %d not filed: account is on hold (%s)", account, resp.Header.Get("X-Hold-Reason")),
		})
		return
	}
	if resp.StatusCode != http.StatusCreated {
		g.counts.Add("archive_errors", 1)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "archive answered " + resp.Status})
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ar archiveReceipt
	if err == nil {
		err = json.Unmarshal(body, &ar)
	}
	if err != nil {
		g.counts.Add("archive_errors", 1)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "unreadable archive receipt: " + err.Error()})
		return
	}
	g.counts.Add("filed", 1)
	writeJSON(w, http.StatusCreated, statementReceipt{
		Account:    account,
		Period:     period,
		Key:        ar.Key,
		ETag:       ar.ETag,
		Bytes:      ar.Bytes,
		Rows:       rows,
		TotalCents: total,
	})
}

func main() {
	archiveURL, err := startArchive()
	if err != nil {
		log.Fatal(err)
	}
	g := newGateway(archiveURL, expvar.NewMap("statements"))
	http.HandleFunc("GET /statements/{account}", g.handleStatement)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
