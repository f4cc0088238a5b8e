package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	requestTimeout = 30 * time.Second
	userAgent      = "leakkit-loadgen/1"
)

type target struct {
	network string // "tcp" or "unix"
	addr    string // host:port or socket path
	host    string // Host header
	prefix  string // path prefix from the target URL, without a trailing slash
}

func parseTarget(s string) (target, error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if path == "" {
			return target{}, fmt.Errorf("target %q has no socket path", s)
		}
		return target{network: "unix", addr: path, host: "localhost"}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return target{}, fmt.Errorf("target %q is not http://host:port or unix:/path", s)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return target{network: "tcp", addr: addr, host: u.Host, prefix: strings.TrimSuffix(u.Path, "/")}, nil
}

type result struct {
	done, errors int64
	elapsed      time.Duration
	statuses     [1000]int64
	firstSeq     int64
	firstError   string
}

func (t *result) merge(o *result) {
	t.done += o.done
	t.errors += o.errors
	for c, n := range o.statuses {
		t.statuses[c] += n
	}
	if o.firstSeq >= 0 && (t.firstSeq < 0 || o.firstSeq < t.firstSeq) {
		t.firstSeq, t.firstError = o.firstSeq, o.firstError
	}
}

type runner struct {
	plan   *plan
	target target
	slots  []*slot // one per concurrency slot; connections outlive runs
	dialer net.Dialer
}

func newRunner(pl *plan, conc int, tg target) *runner {
	r := &runner{plan: pl, target: tg, slots: make([]*slot, conc)}
	r.dialer = net.Dialer{Timeout: requestTimeout}
	for k := range r.slots {
		r.slots[k] = &slot{r: r}
	}
	return r
}

// runCount sends requests start..start+n-1.
func (r *runner) runCount(start, n int64) result {
	end := start + n
	return r.run(start, func(i int64) bool { return i < end })
}

// runFor sends requests start, start+1, ... until d has passed; the numbers sent are
// always start..start+done-1.
func (r *runner) runFor(start int64, d time.Duration) result {
	if len(r.plan.templates) == 0 {
		t0 := time.Now()
		time.Sleep(d)
		return result{elapsed: time.Since(t0)}
	}
	var stop atomic.Bool
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	return r.run(start, func(int64) bool { return !stop.Load() })
}

func (r *runner) run(start int64, more func(int64) bool) result {
	var next atomic.Int64
	next.Store(start)
	var mu sync.Mutex
	total := result{firstSeq: -1}
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, s := range r.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := result{firstSeq: -1}
			for more(next.Load()) {
				i := next.Add(1) - 1
				if !more(i) {
					break
				}
				res.done++
				d := r.plan.draw(i)
				code, err := s.send(&d)
				if code > 0 && code < len(res.statuses) {
					res.statuses[code]++
				}
				if err != nil {
					res.errors++
					if res.firstSeq < 0 {
						path := string(d.t.path.appendTo(nil, &d))
						res.firstSeq, res.firstError = i, d.t.method+" "+path+": "+err.Error()
					}
				}
			}
			mu.Lock()
			total.merge(&res)
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(t0)
	return total
}

// slot is one keep-alive HTTP/1.1 connection and the buffers of the requests sent on it.
type slot struct {
	r        *runner
	conn     net.Conn
	br       *bufio.Reader
	reused   bool // the connection has carried a request before
	deadline time.Time
	wbuf     []byte
	body     []byte
	head     [200]byte
}

// badStatus is a response whose status the template does not accept.
type badStatus struct {
	code int
	want string
	body []byte
}

func (e *badStatus) Error() string {
	return fmt.Sprintf("status %d (want %s): %s", e.code, e.want, strings.TrimSpace(string(e.body)))
}

var headReq = &http.Request{Method: "HEAD"}

// send writes one request and reads its response; it returns the status (0 when none
// arrived) and an error when the request counts as failed.
func (s *slot) send(d *draw) (int, error) {
	s.wbuf = s.build(s.wbuf[:0], d)
	for attempt := 0; ; attempt++ {
		code, retry, err := s.roundTrip(d.t)
		if err == nil || !retry || attempt > 0 {
			return code, err
		}
	}
}

// roundTrip sends s.wbuf. retry reports that the request failed on a reused connection
// before any of the response arrived (the server had closed it while idle).
func (s *slot) roundTrip(t *template) (code int, retry bool, err error) {
	if s.conn == nil {
		c, err := s.r.dialer.Dial(s.r.target.network, s.r.target.addr)
		if err != nil {
			time.Sleep(time.Millisecond) // do not spin against a service that is down
			return 0, false, err
		}
		s.conn, s.reused = c, false
		s.deadline = time.Time{}
		if s.br == nil {
			s.br = bufio.NewReaderSize(c, 16<<10)
		} else {
			s.br.Reset(c)
		}
	}
	// Moving the deadline costs a timer update; do it once a second, not per request.
	if now := time.Now(); s.deadline.Sub(now) < requestTimeout-time.Second {
		s.deadline = now.Add(requestTimeout)
		s.conn.SetDeadline(s.deadline)
	}
	reused := s.reused
	s.reused = true
	if _, err := s.conn.Write(s.wbuf); err != nil {
		s.close()
		return 0, reused, err
	}
	if _, err := s.br.Peek(1); err != nil {
		s.close()
		return 0, reused && t.replayable && !isTimeout(err), err
	}
	var req *http.Request
	if t.method == "HEAD" {
		req = headReq
	}
	resp, err := http.ReadResponse(s.br, req)
	if err != nil {
		s.close()
		return 0, false, err
	}
	code = resp.StatusCode
	if t.accepts(code) {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		n, rerr := io.ReadFull(resp.Body, s.head[:])
		if rerr == nil {
			_, rerr = io.Copy(io.Discard, resp.Body)
		} else if rerr == io.ErrUnexpectedEOF || rerr == io.EOF {
			rerr = nil
		}
		err = &badStatus{code: code, want: t.want, body: append([]byte(nil), s.head[:n]...)}
		if rerr != nil {
			err = rerr
		}
	}
	resp.Body.Close()
	if resp.Close || (err != nil && !isBadStatus(err)) {
		s.close()
	}
	return code, false, err
}

func (s *slot) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// build writes request d in HTTP/1.1 wire format.
func (s *slot) build(b []byte, d *draw) []byte {
	t := d.t
	b = append(b, t.method...)
	b = append(b, ' ')
	b = append(b, s.r.target.prefix...)
	b = t.path.appendTo(b, d)
	b = append(b, " HTTP/1.1\r\n"...)
	if !t.hasHost {
		b = append(b, "Host: "...)
		b = append(b, s.r.target.host...)
		b = append(b, "\r\n"...)
	}
	if !t.hasUA {
		b = append(b, "User-Agent: "+userAgent+"\r\n"...)
	}
	for _, h := range t.headers {
		b = append(b, h.name...)
		b = append(b, ": "...)
		b = h.value.appendTo(b, d)
		b = append(b, "\r\n"...)
	}
	if !t.hasBody {
		return append(b, "\r\n"...)
	}
	s.body = t.body.appendTo(s.body[:0], d)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(s.body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, s.body...)
}

func isBadStatus(err error) bool {
	var bs *badStatus
	return errors.As(err, &bs)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
