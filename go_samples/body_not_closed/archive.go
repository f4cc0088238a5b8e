package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The archive keeps every statement the platform issues. In production it
// is its own service; in this build it runs in the gateway's process, on a
// loopback listener of its own, and the gateway talks to it over HTTP
// exactly as it would across the network.

const maxStatementBytes = 1 << 20

type archiveReceipt struct {
	Key     string `json:"key"`
	ETag    string `json:"etag"`
	Bytes   int64  `json:"bytes"`
	Version int    `json:"version"`
}

// holdReason reports whether an account is under a retention hold, during
// which nothing new may be filed for it.
func holdReason(account int) (string, bool) {
	switch account % 8 {
	case 3:
		return "audit", true
	case 7:
		return "litigation", true
	}
	return "", false
}

func archiveError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// handlePut files one statement. Keys look like statements/2026-10/42.csv.
func handlePut(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	rest, ok := strings.CutPrefix(key, "statements/")
	name, csvOK := strings.CutSuffix(rest, ".csv")
	_, idText, slashOK := strings.Cut(name, "/")
	account, err := strconv.Atoi(idText)
	if !ok || !csvOK || !slashOK || err != nil {
		archiveError(w, http.StatusBadRequest, "unknown key "+key)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv" {
		archiveError(w, http.StatusUnsupportedMediaType, "statements are text/csv, not "+ct)
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, http.MaxBytesReader(w, r.Body, maxStatementBytes))
	if err != nil {
		archiveError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	if reason, held := holdReason(account); held {
		w.Header().Set("X-Hold-Reason", reason)
		archiveError(w, http.StatusLocked, "account "+idText+" is under a "+reason+" hold")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(archiveReceipt{
		Key:     key,
		ETag:    hex.EncodeToString(h.Sum(nil)),
		Bytes:   n,
		Version: 1,
	})
}

// startArchive serves the archive on its own loopback port and returns its
// base URL.
func startArchive() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /objects/{key...}", handlePut)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Printf("archive: %v", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}
