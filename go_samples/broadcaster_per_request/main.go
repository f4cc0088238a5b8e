// Command broadcaster_per_request audits the dependencies of a build: POST
// /scans checks each package against the advisory database and answers with
// the findings, and every step of a scan is published as an event.
package main

import (
	"encoding/json"
	"expvar"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type Event struct {
	Scan    string    `json:"scan"`
	Project string    `json:"project"`
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
}

type Sink interface{ Record(Event) }

// Broadcaster stamps the events of one scan and hands them, in order, to
// every sink on a goroutine of its own, so a slow sink never holds up a scan.
type Broadcaster struct {
	scan, project string
	incoming      chan Event
	pending       sync.WaitGroup
	sinks         []Sink
}

func NewBroadcaster(scan, project string, queue int, sinks ...Sink) *Broadcaster {
	b := &Broadcaster{scan: scan, project: project, incoming: make(chan Event, queue), sinks: sinks}
	go b.loop()
	return b
}

func (b *Broadcaster) loop() {
	for e := range b.incoming {
		for _, s := range b.sinks {
			s.Record(e)
		}
		b.pending.Done()
	}
}

func (b *Broadcaster) Emit(kind, subject string) {
	b.pending.Add(1)
	b.incoming <- Event{b.scan, b.project, kind, subject, time.Now()}
}

// Flush returns once every event emitted so far has reached the sinks.
func (b *Broadcaster) Flush() { b.pending.Wait() }

// Shutdown delivers what is still queued and stops the broadcaster.
func (b *Broadcaster) Shutdown() {
	close(b.incoming)
	b.pending.Wait()
}

// auditTrail keeps the most recent events of all scans in a ring.
type auditTrail struct {
	mu   sync.Mutex
	ring []Event
	n    int
}

func (a *auditTrail) Record(e Event) {
	a.mu.Lock()
	a.ring[a.n%len(a.ring)] = e
	a.n++
	a.mu.Unlock()
}

func (a *auditTrail) forProject(project string) []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []Event{}
	for i := max(0, a.n-len(a.ring)); i < a.n; i++ {
		if e := a.ring[i%len(a.ring)]; e.Project == project {
			out = append(out, e)
		}
	}
	return out
}

type kindCounter struct{ m *expvar.Map }

func (c kindCounter) Record(e Event) { c.m.Add(e.Kind, 1) }

type advisory struct{ id, severity, fixedIn string }

var advisories = map[string][]advisory{
	"lodash":     {{"GHSA-35jh-r3h4-6jhm", "high", "4.17.21"}},
	"minimist":   {{"GHSA-xvch-5gv4-984h", "critical", "1.2.6"}},
	"log4j-core": {{"GHSA-jfh8-c2jp-5v3q", "critical", "2.15.0"}, {"GHSA-p6xc-xr62-6r2g", "high", "2.17.0"}},
	"urllib3":    {{"GHSA-v845-jxx5-vc9f", "medium", "1.26.17"}},
}

// version turns MAJOR.MINOR.PATCH into one comparable number.
func version(v string) (int64, error) {
	var major, minor, patch int64
	n, _ := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch)
	if n != 3 || min(major, minor, patch) < 0 || max(minor, patch) > 99_999 {
		return 0, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
	}
	return major*10_000_000_000 + minor*100_000 + patch, nil
}

type scanRequest struct {
	Project, Ref string
	Packages     []struct{ Name, Version string }
}

type finding struct {
	Package  string `json:"package"`
	Version  string `json:"version"`
	Advisory string `json:"advisory"`
	Severity string `json:"severity"`
	FixedIn  string `json:"fixed_in"`
}

type scanReport struct {
	Scan     string    `json:"scan"`
	Project  string    `json:"project"`
	Findings []finding `json:"findings"`
	Verdict  string    `json:"verdict"`
}

type scanner struct {
	audit *auditTrail
	kinds kindCounter
	scans atomic.Uint64
}

func (s *scanner) Scan(req scanRequest) (scanReport, error) {
	id := fmt.Sprintf("scan-%06d", s.scans.Add(1))
	rep := scanReport{Scan: id, Project: req.Project, Findings: []finding{}, Verdict: "pass"}
	b := NewBroadcaster(id, req.Project, 32, s.audit, s.kinds)
	b.Emit("scan.started", req.Project+"@"+req.Ref)
	for _, p := range req.Packages {
		have, err := version(p.Version)
		if err != nil {
			b.Emit("scan.failed", p.Name+": "+err.Error())
			b.Flush()
			return rep, fmt.Errorf("package %s: %w", p.Name, err)
		}
		for _, a := range advisories[strings.ToLower(p.Name)] {
			if fixed, _ := version(a.fixedIn); have < fixed {
				rep.Findings = append(rep.Findings, finding{p.Name, p.Version, a.id, a.severity, a.fixedIn})
				rep.Verdict = "fail"
				b.Emit("finding", p.Name+"@"+p.Version+" "+a.id)
			}
		}
		b.Emit("package.checked", p.Name+"@"+p.Version)
	}
	b.Emit("scan.finished", rep.Verdict)
	b.Flush()
	return rep, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *scanner) handleScan(w http.ResponseWriter, r *http.Request) {
	var req scanRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed scan request: " + err.Error()})
		return
	}
	if req.Project == "" || len(req.Project) > 100 || len(req.Packages) == 0 || len(req.Packages) > 500 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a scan needs a project and 1 to 500 packages"})
		return
	}
	rep, err := s.Scan(req)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"scan": rep.Scan, "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func main() {
	s := &scanner{audit: &auditTrail{ring: make([]Event, 2048)}, kinds: kindCounter{expvar.NewMap("scan_events")}}
	http.HandleFunc("POST /scans", s.handleScan)
	http.HandleFunc("GET /projects/{project}/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"events": s.audit.forProject(r.PathValue("project"))})
	})
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
