// Command loadgen is leakkit's load driver. It sends the requests of a scenario's [load]
// table to one service, and is driven by the kit through stdin and stdout, one JSON object
// per line:
//
//	loadgen -target http://127.0.0.1:8080 -spec load.json
//	loadgen -target unix:/tmp/svc.sock -spec load.json
//
// It prints {"ready": true}, then answers each command with exactly one line:
//
//	{"cmd": "run", "requests": N, "start": I}   sends requests I..I+N-1
//	{"cmd": "run", "seconds": S, "start": I}    sends requests I, I+1, ... for S seconds
//	{"cmd": "quit"}                             answers {"bye": true} and exits
//
// A run answers {"done", "errors", "elapsed_s", "statuses", "first_error"}. Request i is
// decided by the spec's seed and i alone, whatever the concurrency.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

type command struct {
	Cmd      string   `json:"cmd"`
	Requests *int64   `json:"requests"`
	Seconds  *float64 `json:"seconds"`
	Start    int64    `json:"start"`
}

type runAnswer struct {
	Done       int64            `json:"done"`
	Errors     int64            `json:"errors"`
	ElapsedS   float64          `json:"elapsed_s"`
	Statuses   map[string]int64 `json:"statuses"`
	FirstError string           `json:"first_error"`
}

func main() {
	target := flag.String("target", "", "service address: http://host:port or unix:/path/to.sock")
	specPath := flag.String("spec", "", "JSON load spec: concurrency, seed, requests")
	dry := flag.Int64("dry", 0, "print the first N requests (one per line) and exit without sending")
	flag.Parse()

	out := json.NewEncoder(os.Stdout)
	fail := func(err error) {
		out.Encode(map[string]string{"error": err.Error()})
		os.Exit(2)
	}
	if *specPath == "" {
		fail(fmt.Errorf("-spec is required"))
	}
	spec, err := loadSpec(*specPath)
	if err != nil {
		fail(err)
	}
	pl, err := compile(spec)
	if err != nil {
		fail(fmt.Errorf("spec %s: %w", *specPath, err))
	}
	if *dry > 0 {
		w := bufio.NewWriter(os.Stdout)
		for i := int64(0); i < *dry && len(pl.templates) > 0; i++ {
			w.Write(describe(pl.draw(i)))
			w.WriteByte('\n')
		}
		w.Flush()
		return
	}
	tg, err := parseTarget(*target)
	if err != nil {
		fail(err)
	}
	r := newRunner(pl, spec.Concurrency, tg)
	out.Encode(map[string]bool{"ready": true})

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var cmd command
		if err := json.Unmarshal([]byte(line), &cmd); err != nil {
			out.Encode(map[string]string{"error": "bad command: " + err.Error()})
			continue
		}
		switch cmd.Cmd {
		case "quit":
			out.Encode(map[string]bool{"bye": true})
			return
		case "run":
			ans, err := run(r, cmd)
			if err != nil {
				out.Encode(map[string]string{"error": err.Error()})
				continue
			}
			out.Encode(ans)
		default:
			out.Encode(map[string]string{"error": fmt.Sprintf("unknown cmd %q", cmd.Cmd)})
		}
	}
	if err := in.Err(); err != nil && err != io.EOF {
		out.Encode(map[string]string{"error": "reading commands: " + err.Error()})
	}
}

func run(r *runner, cmd command) (*runAnswer, error) {
	if cmd.Start < 0 {
		return nil, fmt.Errorf("start %d is negative", cmd.Start)
	}
	var res result
	switch {
	case cmd.Requests != nil && cmd.Seconds != nil:
		return nil, fmt.Errorf("run takes requests or seconds, not both")
	case cmd.Requests != nil:
		if *cmd.Requests < 0 {
			return nil, fmt.Errorf("requests %d is negative", *cmd.Requests)
		}
		if *cmd.Requests > 0 && len(r.plan.templates) == 0 {
			return nil, fmt.Errorf("the spec has no requests to send")
		}
		res = r.runCount(cmd.Start, *cmd.Requests)
	case cmd.Seconds != nil:
		s := *cmd.Seconds
		if s < 0 || math.IsNaN(s) || s > 7*24*3600 {
			return nil, fmt.Errorf("seconds %v is out of range", s)
		}
		res = r.runFor(cmd.Start, time.Duration(s*float64(time.Second)))
	default:
		return nil, fmt.Errorf("run needs requests or seconds")
	}
	ans := &runAnswer{
		Done:       res.done,
		Errors:     res.errors,
		ElapsedS:   math.Round(res.elapsed.Seconds()*1e6) / 1e6,
		Statuses:   map[string]int64{},
		FirstError: res.firstError,
	}
	for code, n := range res.statuses {
		if n > 0 {
			ans.Statuses[strconv.Itoa(code)] = n
		}
	}
	return ans, nil
}

// describe renders a drawn request for -dry: METHOD PATH, then headers and body as JSON.
func describe(d draw) []byte {
	b := append([]byte(d.t.method), ' ')
	b = d.t.path.appendTo(b, &d)
	for _, h := range d.t.headers {
		b = append(b, " "+h.name+": "...)
		b = h.value.appendTo(b, &d)
	}
	if body := d.t.body.appendTo(nil, &d); len(body) > 0 {
		b = append(b, " body="...)
		b = strconv.AppendQuote(b, string(body))
	}
	return b
}
