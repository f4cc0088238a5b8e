// Command transport_per_request exports the state of a fleet of storage
// nodes to Prometheus. For GET /probe?node=NAME it asks the fleet API for the
// node's current stats and renders them in the text exposition format, the
// way a blackbox-style exporter answers one scrape per target.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultScrapeTimeout = 10 * time.Second
	maxScrapeTimeout     = 30 * time.Second
	maxStatsBytes        = 256 << 10
)

var errUnknownNode = errors.New("unknown node")

type exporter struct {
	fleetURL string
	token    string
	counts   *expvar.Map
}

// scrapeTimeout honours the deadline Prometheus announces for the scrape,
// keeping half a second back to render the answer.
func scrapeTimeout(r *http.Request) time.Duration {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return defaultScrapeTimeout
	}
	d := time.Duration(secs*float64(time.Second)) - 500*time.Millisecond
	return min(max(d, 500*time.Millisecond), maxScrapeTimeout)
}

func (e *exporter) client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   4,
			ResponseHeaderTimeout: timeout,
			ExpectContinueTimeout: time.Second,
		},
	}
}

func (e *exporter) fetchStats(ctx context.Context, node string, timeout time.Duration) (nodeStats, error) {
	var st nodeStats
	u := e.fleetURL + "/v1/nodes/" + url.PathEscape(node) + "/stats"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return st, err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", "application/json")
	resp, err := e.client(timeout).Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatsBytes))
	if err != nil {
		return st, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return st, errUnknownNode
	default:
		return st, fmt.Errorf("fleet API answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("unreadable stats from the fleet API: %w", err)
	}
	return st, nil
}

func render(w io.Writer, st nodeStats, took time.Duration) {
	node := strconv.Quote(st.Node)
	fmt.Fprintf(w, "# HELP fleet_node_up Whether the fleet API reported the node.\n# TYPE fleet_node_up gauge\n")
	fmt.Fprintf(w, "fleet_node_up{node=%s,zone=%s} 1\n", node, strconv.Quote(st.Zone))
	fmt.Fprintf(w, "# HELP fleet_node_uptime_seconds Seconds since the node booted.\n# TYPE fleet_node_uptime_seconds counter\n")
	fmt.Fprintf(w, "fleet_node_uptime_seconds{node=%s} %d\n", node, st.UptimeSeconds)
	fmt.Fprintf(w, "# HELP fleet_node_load1 One-minute load average.\n# TYPE fleet_node_load1 gauge\n")
	fmt.Fprintf(w, "fleet_node_load1{node=%s} %g\n", node, st.Load1)
	fmt.Fprintf(w, "# HELP fleet_disk_used_bytes Bytes used per disk.\n# TYPE fleet_disk_used_bytes gauge\n")
	for _, d := range st.Disks {
		fmt.Fprintf(w, "fleet_disk_used_bytes{node=%s,device=%q} %d\n", node, d.Device, d.UsedBytes)
	}
	fmt.Fprintf(w, "# HELP fleet_disk_used_ratio Share of each disk in use.\n# TYPE fleet_disk_used_ratio gauge\n")
	for _, d := range st.Disks {
		ratio := 0.0
		if d.SizeBytes > 0 {
			ratio = float64(d.UsedBytes) / float64(d.SizeBytes)
		}
		fmt.Fprintf(w, "fleet_disk_used_ratio{node=%s,device=%q} %.4f\n", node, d.Device, ratio)
	}
	fmt.Fprintf(w, "# HELP fleet_probe_duration_seconds How long the fleet API took to answer.\n# TYPE fleet_probe_duration_seconds gauge\n")
	fmt.Fprintf(w, "fleet_probe_duration_seconds %.6f\n", took.Seconds())
}

func (e *exporter) handleProbe(w http.ResponseWriter, r *http.Request) {
	node := r.URL.Query().Get("node")
	if !strings.HasPrefix(node, "node-") || len(node) > 64 {
		http.Error(w, "node must be a fleet node name like node-42", http.StatusBadRequest)
		return
	}
	timeout := scrapeTimeout(r)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	start := time.Now()
	st, err := e.fetchStats(ctx, node, timeout)
	switch {
	case errors.Is(err, errUnknownNode):
		e.counts.Add("unknown_nodes", 1)
		http.Error(w, "unknown node "+node, http.StatusNotFound)
		return
	case err != nil:
		e.counts.Add("fleet_errors", 1)
		http.Error(w, "fleet API unavailable: "+err.Error(), http.StatusBadGateway)
		return
	}
	e.counts.Add("probes", 1)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	render(w, st, time.Since(start))
}

func main() {
	fleetURL, err := startFleetAPI()
	if err != nil {
		log.Fatal(err)
	}
	e := &exporter{fleetURL: fleetURL, token: fleetToken, counts: expvar.NewMap("exporter")}
	http.HandleFunc("GET /probe", e.handleProbe)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
