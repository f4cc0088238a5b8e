package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fleet API knows the live state of every storage node. In production it
// is its own service; in this build it runs in the exporter's process, on a
// loopback listener of its own, and the exporter talks to it over HTTP
// exactly as it would across the network.

const fleetToken = "fleet-readonly-7f3c"

type diskStats struct {
	Device    string `json:"device"`
	UsedBytes int64  `json:"used_bytes"`
	SizeBytes int64  `json:"size_bytes"`
}

type nodeStats struct {
	Node          string      `json:"node"`
	Zone          string      `json:"zone"`
	UptimeSeconds int64       `json:"uptime_seconds"`
	Load1         float64     `json:"load1"`
	Disks         []diskStats `json:"disks"`
}

// Nodes being rebalanced (numbers ending in 9999) answer slowly.
const rebalanceDelay = 1500 * time.Millisecond

// nodeNumber parses names like node-042; retired nodes (every 13th) are gone.
func nodeNumber(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "node-")
	if !ok || digits == "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > 9_999_999 || n%13 == 0 {
		return 0, false
	}
	return n, true
}

func fleetError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func handleNodeStats(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+fleetToken {
		fleetError(w, http.StatusUnauthorized, "missing or wrong token")
		return
	}
	name := r.PathValue("name")
	n, ok := nodeNumber(name)
	if !ok {
		fleetError(w, http.StatusNotFound, "no node "+name)
		return
	}
	if n%10000 == 9999 {
		select {
		case <-time.After(rebalanceDelay):
		case <-r.Context().Done():
			return
		}
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	st := nodeStats{
		Node:          name,
		Zone:          fmt.Sprintf("zone-%c", 'a'+n%3),
		UptimeSeconds: int64(seed % 5_000_000),
		Load1:         float64(seed%800) / 100,
	}
	for i := range 2 + n%3 {
		size := int64(4+i*4) << 40
		st.Disks = append(st.Disks, diskStats{
			Device:    fmt.Sprintf("nvme%dn1", i),
			UsedBytes: size / 1000 * int64((seed>>(8*i))%1000),
			SizeBytes: size,
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// startFleetAPI serves the fleet API on its own loopback port and returns
// its base URL.
func startFleetAPI() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/nodes/{name}/stats", handleNodeStats)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Printf("fleet api: %v", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}
