package main

import (
	"encoding/json"
	"log"
	"net/http"
	"time"
)

func (r *runner) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /tenants/{tenant}/exports", r.handleSubmit)
	mux.HandleFunc("GET /exports/{id}", r.handleExport)
	mux.HandleFunc("DELETE /exports/{id}", r.handleExport)
	mux.HandleFunc("POST /tenants/{tenant}/suspend", func(w http.ResponseWriter, req *http.Request) {
		stopped, running := r.Suspend(req.PathValue("tenant"))
		writeJSON(w, http.StatusOK, map[string]any{"tenant": req.PathValue("tenant"), "suspended": true, "stopped": stopped, "still_running": running})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

// reply answers with the export, once it has finished or ?wait= has passed.
func reply(w http.ResponseWriter, req *http.Request, e *export) {
	if wait, err := time.ParseDuration(req.URL.Query().Get("wait")); err == nil {
		select {
		case <-e.done:
		case <-time.After(min(wait, 30*time.Second)):
		case <-req.Context().Done():
		}
	}
	v, status := e.snapshot(), http.StatusOK
	if v.State == "running" {
		status = http.StatusAccepted
	}
	writeJSON(w, status, v)
}

func (r *runner) handleSubmit(w http.ResponseWriter, req *http.Request) {
	var body struct{ Dataset, From, To string }
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 4096)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed export: " + err.Error()})
		return
	}
	months, err := partitions(body.Dataset, body.From, body.To)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	e, err := r.Submit(req.PathValue("tenant"), body.Dataset, months)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	reply(w, req, e)
}

// handleExport shows an export; DELETE cancels it first.
func (r *runner) handleExport(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	e, ok := r.exports[req.PathValue("id")]
	r.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such export"})
		return
	}
	if req.Method == http.MethodDelete {
		e.cancel()
	}
	reply(w, req, e)
}
