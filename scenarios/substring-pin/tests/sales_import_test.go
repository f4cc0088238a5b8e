package main

// Hidden tests for the substring-pin scenario. They start the real service
// once (main registers its routes on http.DefaultServeMux) and call the mux
// directly; expected totals are computed here from the store's bytes.

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	probe := httptest.NewRequest("POST", "/imports", nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, pattern := http.DefaultServeMux.Handler(probe); pattern != "" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the import route was not registered within 5s of starting main")
}

type receiptJSON struct {
	Batch      string    `json:"batch"`
	Source     string    `json:"source"`
	Records    int       `json:"records"`
	Bytes      int       `json:"bytes"`
	Units      int       `json:"units"`
	TotalCents int64     `json:"total_cents"`
	ImportedAt time.Time `json:"imported_at"`
}

type answer struct {
	Status  string      `json:"status"`
	Receipt receiptJSON `json:"receipt"`
	Error   string      `json:"error"`
}

func call(method, path, body string) (int, answer, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, req)
	var a answer
	_ = json.Unmarshal(rec.Body.Bytes(), &a)
	return rec.Code, a, rec.Body.String()
}

func importDrop(object string) (int, answer, string) {
	return call("POST", "/imports", fmt.Sprintf(`{"object":%q}`, object))
}

// expected totals a drop from the store's own bytes.
func expected(t *testing.T, n int) receiptJSON {
	t.Helper()
	data := renderDrop(n, false)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	want := receiptJSON{Bytes: len(data)}
	sc.Scan()
	if _, err := fmt.Sscanf(sc.Text(), "#manifest batch=%s source=%s records=%d", &want.Batch, &want.Source, &want.Records); err != nil {
		t.Fatalf("drop %d: manifest line %q: %v", n, sc.Text(), err)
	}
	for sc.Scan() {
		var sale struct {
			Qty       int   `json:"qty"`
			UnitCents int64 `json:"unit_cents"`
		}
		if err := json.Unmarshal(sc.Bytes(), &sale); err != nil {
			t.Fatalf("drop %d: %v", n, err)
		}
		want.Units += sale.Qty
		want.TotalCents += int64(sale.Qty) * sale.UnitCents
	}
	return want
}

func same(got, want receiptJSON) bool {
	got.ImportedAt = time.Time{}
	return got == want
}

func TestImportTotals(t *testing.T) {
	startService(t)
	for _, n := range []int{1, 777, 31337, 424242, 999999} {
		want := expected(t, n)
		code, a, body := importDrop(fmt.Sprintf("drops/%d.ndjson", n))
		if code != http.StatusCreated || a.Status != "imported" || !same(a.Receipt, want) {
			t.Errorf("import of drop %d: %d %s, want 201 imported with %+v", n, code, body, want)
		}
		if a.Receipt.ImportedAt.IsZero() {
			t.Errorf("import of drop %d: no imported_at", n)
		}
	}
}

func TestRedeliveryIsAnsweredFromTheFirstImport(t *testing.T) {
	startService(t)
	code, first, body := importDrop("drops/5150.ndjson")
	if code != http.StatusCreated {
		t.Fatalf("first import: %d %s", code, body)
	}
	for range 3 {
		code, again, body := importDrop("drops/5150.ndjson")
		if code != http.StatusOK || again.Status != "duplicate" || again.Receipt != first.Receipt {
			t.Errorf("redelivery: %d %s, want 200 duplicate with the first receipt %+v", code, body, first.Receipt)
		}
	}
	code, looked, body := call("GET", "/batches/B5150", "")
	if code != http.StatusOK || looked.Receipt != first.Receipt {
		t.Errorf("GET /batches/B5150: %d %s, want the first receipt", code, body)
	}
}

func TestReceiptsStayIntactAfterLaterImports(t *testing.T) {
	startService(t)
	const first, n = 600_000, 150
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				if code, _, body := importDrop(fmt.Sprintf("drops/%d.ndjson", first+i)); code != http.StatusCreated {
					t.Errorf("import of drop %d: %d %s", first+i, code, body)
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		want := expected(t, first+i)
		code, a, body := call("GET", fmt.Sprintf("/batches/B%d", first+i), "")
		if code != http.StatusOK || !same(a.Receipt, want) {
			t.Errorf("receipt of drop %d after %d more imports: %d %s, want %+v", first+i, n, code, body, want)
		}
	}
}

func TestRefusals(t *testing.T) {
	startService(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/imports", `{"object":"drops/43.partial"}`, 422, "the manifest announces 536 records, the object has 535"},
		{"POST", "/imports", `{"object":"drops/12.partial"}`, 422, "the manifest announces"},
		{"POST", "/imports", `{"object":"archive/1.csv"}`, 404, "no such object"},
		{"POST", "/imports", `{"object":"drops/-4.ndjson"}`, 404, "no such object"},
		{"POST", "/imports", `{"object":""}`, 400, "names an object"},
		{"POST", "/imports", `{"object":`, 400, "names an object"},
		{"GET", "/batches/B43", "", 404, "unknown batch"},
	} {
		code, _, body := call(tc.method, tc.path, tc.body)
		if code != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %s, want %d containing %q", tc.method, tc.path, tc.body, code, body, tc.status, tc.want)
		}
	}
}
