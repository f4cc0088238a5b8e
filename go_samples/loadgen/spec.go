package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Spec is the load the kit asks for: the [load] table of a scenario, as JSON.
type Spec struct {
	Concurrency int           `json:"concurrency"`
	Seed        int64         `json:"seed"`
	Requests    []RequestSpec `json:"requests"`
}

// RequestSpec is one request template.
type RequestSpec struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
	Weight  *float64          `json:"weight"`
	Keys    int64             `json:"keys"`
	Status  []int             `json:"status"`
}

const (
	defaultKeys    = 1 << 31
	maxConcurrency = 4096
)

// template is a RequestSpec compiled for fast expansion.
type template struct {
	method  string
	path    pattern
	body    pattern
	headers []header
	keys    uint64
	status  []int
	want    string // how the accepted statuses read in error messages
	hasBody bool   // send Content-Length even when the body expands to nothing
	hasHost bool   // the template sets its own Host header
	hasUA   bool   // the template sets its own User-Agent header
	// replayable requests are sent again when a reused connection turns out to be closed
	// after the request was written (as net/http does for idempotent requests).
	replayable bool
}

type header struct {
	name  string
	value pattern
}

// pattern is a string with {i}, {key} and {hex} placeholders, split into parts.
type pattern []part

type part struct {
	lit  string
	kind byte // 0 literal, 'i', 'k', 'h'
}

func parsePattern(s string) pattern {
	var p pattern
	for len(s) > 0 {
		j := strings.IndexByte(s, '{')
		if j < 0 {
			p = append(p, part{lit: s})
			break
		}
		var kind byte
		var n int
		switch {
		case strings.HasPrefix(s[j:], "{i}"):
			kind, n = 'i', 3
		case strings.HasPrefix(s[j:], "{key}"):
			kind, n = 'k', 5
		case strings.HasPrefix(s[j:], "{hex}"):
			kind, n = 'h', 5
		default:
			p = append(p, part{lit: s[:j+1]})
			s = s[j+1:]
			continue
		}
		if j > 0 {
			p = append(p, part{lit: s[:j]})
		}
		p = append(p, part{kind: kind})
		s = s[j+n:]
	}
	return p
}

// draw is what one sequence number decides.
type draw struct {
	i   int64
	t   *template
	key uint64
	hex uint64
}

func (p pattern) appendTo(dst []byte, d *draw) []byte {
	for _, pt := range p {
		switch pt.kind {
		case 0:
			dst = append(dst, pt.lit...)
		case 'i':
			dst = strconv.AppendInt(dst, d.i, 10)
		case 'k':
			dst = strconv.AppendUint(dst, d.key, 10)
		case 'h':
			const digits = "0123456789abcdef"
			for shift := 60; shift >= 0; shift -= 4 {
				dst = append(dst, digits[(d.hex>>uint(shift))&0xf])
			}
		}
	}
	return dst
}

// plan turns sequence numbers into requests, deterministically.
type plan struct {
	seed      uint64
	templates []template
	cumul     []float64 // cumulative weights
	total     float64
	last      int // the last template with a positive weight
}

const golden uint64 = 0x9E3779B97F4A7C15

func splitmix64(x uint64) uint64 {
	x += golden
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// draw derives request i from (seed, i) alone: three consecutive outputs of a splitmix64
// stream whose state starts at seed*golden ^ i pick the template, {key} and {hex}.
func (pl *plan) draw(i int64) draw {
	state := pl.seed*golden ^ uint64(i)
	r0 := splitmix64(state)
	state += golden
	r1 := splitmix64(state)
	state += golden
	r2 := splitmix64(state)
	idx := 0
	if len(pl.templates) > 1 {
		u := float64(r0>>11) / (1 << 53) * pl.total
		idx = pl.last // u == total only through rounding
		for j, c := range pl.cumul {
			if u < c {
				idx = j
				break
			}
		}
	}
	t := &pl.templates[idx]
	return draw{i: i, t: t, key: r1 % t.keys, hex: r2}
}

// loadSpec reads a spec. Other keys of the [load] table (mode, warmup, ...) may come along
// and are ignored; the request templates themselves are read strictly.
func loadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top struct {
		Spec
		Requests json.RawMessage `json:"requests"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	s := top.Spec
	if len(top.Requests) > 0 && string(top.Requests) != "null" {
		dec := json.NewDecoder(bytes.NewReader(top.Requests))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s.Requests); err != nil {
			return nil, fmt.Errorf("spec %s: requests: %w", path, err)
		}
	}
	return &s, nil
}

func compile(s *Spec) (*plan, error) {
	if s.Concurrency < 0 || s.Concurrency > maxConcurrency {
		return nil, fmt.Errorf("concurrency %d is outside 1..%d", s.Concurrency, maxConcurrency)
	}
	if s.Concurrency == 0 {
		s.Concurrency = 1
	}
	pl := &plan{seed: uint64(s.Seed)}
	for n, r := range s.Requests {
		t, err := compileRequest(r)
		if err != nil {
			return nil, fmt.Errorf("requests[%d]: %w", n, err)
		}
		w := 1.0
		if r.Weight != nil {
			w = *r.Weight
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("requests[%d]: weight %v is not a finite number >= 0", n, w)
		}
		if w > 0 {
			pl.last = n
		}
		pl.total += w
		pl.templates = append(pl.templates, t)
		pl.cumul = append(pl.cumul, pl.total)
	}
	if len(pl.templates) > 0 && pl.total <= 0 {
		return nil, errors.New("the request weights add up to 0")
	}
	return pl, nil
}

func compileRequest(r RequestSpec) (template, error) {
	t := template{method: strings.ToUpper(r.Method), keys: defaultKeys, status: r.Status}
	if t.method == "" {
		t.method = "GET"
	}
	if !isToken(t.method) {
		return t, fmt.Errorf("bad method %q", r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return t, fmt.Errorf("path %q must start with /", r.Path)
	}
	if strings.ContainsAny(r.Path, " \t\r\n") {
		return t, fmt.Errorf("path %q contains white space", r.Path)
	}
	t.path = parsePattern(r.Path)
	t.body = parsePattern(r.Body)
	switch t.method {
	case "POST", "PUT", "PATCH":
		t.hasBody = true
	default:
		t.hasBody = r.Body != ""
	}
	switch t.method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		t.replayable = !t.hasBody
	}
	for name, value := range r.Headers {
		if !isToken(name) {
			return t, fmt.Errorf("bad header name %q", name)
		}
		if strings.ContainsAny(value, "\r\n") {
			return t, fmt.Errorf("header %s: value contains a line break", name)
		}
		switch strings.ToLower(name) {
		case "content-length", "transfer-encoding":
			return t, fmt.Errorf("header %s is set by loadgen from the body", name)
		case "host":
			t.hasHost = true
		case "user-agent":
			t.hasUA = true
		}
		t.headers = append(t.headers, header{name: name, value: parsePattern(value)})
	}
	// Map order is random; keep the wire format reproducible.
	slices.SortFunc(t.headers, func(a, b header) int { return strings.Compare(a.name, b.name) })
	if r.Keys < 0 {
		return t, fmt.Errorf("keys %d is negative", r.Keys)
	}
	if r.Keys > 0 {
		t.keys = uint64(r.Keys)
	}
	for _, code := range r.Status {
		if code < 100 || code > 999 {
			return t, fmt.Errorf("status %d is not an HTTP status", code)
		}
	}
	if len(r.Status) == 0 {
		t.want = "2xx"
	} else {
		t.want = fmt.Sprint(r.Status)
	}
	return t, nil
}

func (t *template) accepts(code int) bool {
	if len(t.status) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range t.status {
		if c == code {
			return true
		}
	}
	return false
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}
