package main

// Hidden tests for the broadcaster-per-request scenario. They start the real
// service once (main registers its routes on http.DefaultServeMux) and call
// the mux directly. They check the findings and, just as much, the events:
// every step of a scan must be in the audit trail, stamped with the scan and
// in order, by the time the scan has answered.

import (
	"encoding/json"
	"expvar"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var startOnce sync.Once

func startService(t *testing.T) {
	t.Helper()
	startOnce.Do(func() {
		os.Setenv("LEAKKIT_LISTEN", "127.0.0.1:0")
		go main()
	})
	probe := httptest.NewRequest("POST", "/scans", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the scan route was not registered within 5s of starting main")
}

type testFinding struct {
	Package  string `json:"package"`
	Version  string `json:"version"`
	Advisory string `json:"advisory"`
	Severity string `json:"severity"`
	FixedIn  string `json:"fixed_in"`
}

type testReport struct {
	Scan     string        `json:"scan"`
	Project  string        `json:"project"`
	Findings []testFinding `json:"findings"`
	Verdict  string        `json:"verdict"`
	Error    string        `json:"error"`
}

type testEvent struct {
	Scan    string `json:"scan"`
	Project string `json:"project"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
}

func scan(t *testing.T, project, ref string, pkgs ...string) (int, testReport) {
	t.Helper()
	var list []string
	for _, p := range pkgs {
		name, version, _ := strings.Cut(p, "@")
		list = append(list, fmt.Sprintf(`{"name":%q,"version":%q}`, name, version))
	}
	body := fmt.Sprintf(`{"project":%q,"ref":%q,"packages":[%s]}`, project, ref, strings.Join(list, ","))
	req := httptest.NewRequest("POST", "/scans", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	var rep testReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("scan of %s: %v: %s", project, err, rec.Body.String())
	}
	return rec.Code, rep
}

func events(t *testing.T, project string) []testEvent {
	t.Helper()
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", "/projects/"+project+"/events", nil))
	var out struct{ Events []testEvent }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("events of %s: %d %s", project, rec.Code, rec.Body.String())
	}
	return out.Events
}

func kinds(evs []testEvent) string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind+" "+e.Subject)
	}
	return strings.Join(k, "\n")
}

func TestScanReportsAdvisories(t *testing.T) {
	startService(t)
	code, rep := scan(t, "t-shop", "a1b2c3", "lodash@4.17.20", "express@4.18.2", "log4j-core@2.16.0", "minimist@1.2.8")
	if code != http.StatusOK {
		t.Fatalf("scan: status %d: %+v", code, rep)
	}
	want := []testFinding{
		{"lodash", "4.17.20", "GHSA-35jh-r3h4-6jhm", "high", "4.17.21"},
		{"log4j-core", "2.16.0", "GHSA-p6xc-xr62-6r2g", "high", "2.17.0"},
	}
	if fmt.Sprint(rep.Findings) != fmt.Sprint(want) || rep.Verdict != "fail" || rep.Project != "t-shop" {
		t.Errorf("scan: got %+v, want findings %+v and verdict fail", rep, want)
	}
	if !strings.HasPrefix(rep.Scan, "scan-") {
		t.Errorf("scan id %q, want scan-NNNNNN", rep.Scan)
	}
	code, clean := scan(t, "t-clean", "d4e5f6", "lodash@4.17.21", "urllib3@2.0.7", "LOG4J-CORE@2.17.1")
	if code != http.StatusOK || clean.Verdict != "pass" || len(clean.Findings) != 0 {
		t.Errorf("clean scan: %d %+v, want pass without findings", code, clean)
	}
}

func TestEveryStepIsInTheAuditTrailWhenTheScanAnswers(t *testing.T) {
	startService(t)
	checked := func() string {
		if v := expvar.Get("scan_events").(*expvar.Map).Get("package.checked"); v != nil {
			return v.String()
		}
		return "0"
	}
	before := checked()
	_, rep := scan(t, "t-audit", "feed01", "minimist@1.2.5", "express@4.18.2")
	evs := events(t, "t-audit")
	want := strings.Join([]string{
		"scan.started t-audit@feed01",
		"finding minimist@1.2.5 GHSA-xvch-5gv4-984h",
		"package.checked minimist@1.2.5",
		"package.checked express@4.18.2",
		"scan.finished fail",
	}, "\n")
	if got := kinds(evs); got != want {
		t.Fatalf("audit trail of t-audit:\n%s\nwant:\n%s", got, want)
	}
	for _, e := range evs {
		if e.Scan != rep.Scan || e.Project != "t-audit" {
			t.Errorf("event %+v is not stamped with scan %s of t-audit", e, rep.Scan)
		}
	}
	if after := checked(); after == before {
		t.Errorf("the package.checked counter did not move (%s -> %s)", before, after)
	}
	scan(t, "t-audit", "feed02", "urllib3@1.26.5")
	if n := len(events(t, "t-audit")); n != 9 {
		t.Errorf("after a second scan the trail holds %d events, want 9", n)
	}
}

func TestMalformedVersionFailsTheScan(t *testing.T) {
	startService(t)
	code, rep := scan(t, "t-broken", "0badc0", "lodash@4.17.21", "left-pad@latest", "minimist@1.2.0")
	if code != http.StatusUnprocessableEntity || !strings.Contains(rep.Error, `left-pad: version "latest" is not MAJOR.MINOR.PATCH`) {
		t.Fatalf("broken manifest: %d %+v, want 422 naming left-pad", code, rep)
	}
	want := "scan.started t-broken@0badc0\npackage.checked lodash@4.17.21\nscan.failed left-pad: version \"latest\" is not MAJOR.MINOR.PATCH"
	if got := kinds(events(t, "t-broken")); got != want {
		t.Errorf("audit trail of a failed scan:\n%s\nwant:\n%s", got, want)
	}
}

func TestInvalidRequestsAreRefused(t *testing.T) {
	startService(t)
	for _, tc := range []struct{ name, body, want string }{
		{"no project", `{"packages":[{"name":"a","version":"1.0.0"}]}`, "a project and 1 to 500 packages"},
		{"no packages", `{"project":"p","packages":[]}`, "a project and 1 to 500 packages"},
		{"malformed", `{"project":`, "malformed scan request"},
	} {
		req := httptest.NewRequest("POST", "/scans", strings.NewReader(tc.body))
		rec := httptest.NewRecorder()
		http.DefaultServeMux.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
