// Command profilegen writes small, deterministic pprof profiles for tests.
//
// Usage: profilegen -out DIR
//
// It writes heap-1, allocs-1 and goroutine-1 profiles after a first round of
// work, then does more work (retaining more, releasing some, parking more
// goroutines) and writes heap-2, allocs-2 and goroutine-2.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
)

// Record is a small struct retained through several call paths.
type Record struct {
	ID   int
	Tags []string
}

// Store keeps byte slices by key.
type Store struct {
	data map[string][]byte
}

// Put allocates and stores a value of n bytes.
func (s *Store) Put(key string, n int) {
	s.data[key] = make([]byte, n)
}

// Get returns a fresh copy of the value stored under key.
func (s Store) Get(key string) []byte {
	out := make([]byte, len(s.data[key]))
	copy(out, s.data[key])
	return out
}

// Retained memory, kept alive in package-level variables.
var (
	small    [][]byte
	pages    [][]byte
	large    [][]byte
	index    = map[int]string{}
	records  []*Record
	tree     [][]byte
	pingPong [][]byte
	copies   [][]byte
	scratch  [][]byte // retained in round 1, released in round 2
	store    = &Store{data: map[string][]byte{}}

	retainedMu sync.Mutex
	fromWorker [][]byte
)

// Tiny helpers that the compiler inlines. The functions that call them are
// marked //go:noinline so that the only inlined frames are these helpers.

// newRecord is inlined into several callers.
func newRecord(id int) *Record { return &Record{ID: id, Tags: make([]string, 0, 4)} }

// pad is only ever called from inlined call sites: pprof shows it "(inline)".
func pad(n int) []byte { return make([]byte, n) }

// chunk is inlined in fillPages but called through chunkFn elsewhere, so
// pprof shows it "(partial-inline)".
func chunk(n int) []byte { return make([]byte, n) }

// chunkFn is an indirect call, which the compiler does not inline.
var chunkFn = chunk

// build recurses directly, allocating at every depth.
//
//go:noinline
func build(depth int) {
	tree = append(tree, make([]byte, 256*(depth+1)))
	if depth > 0 {
		build(depth - 1)
	}
}

// ping and pong recurse mutually: ping -> pong -> ping -> ...
//
//go:noinline
func ping(n int) {
	pingPong = append(pingPong, make([]byte, 1024))
	if n > 0 {
		pong(n - 1)
	}
}

//go:noinline
func pong(n int) {
	pingPong = append(pingPong, make([]byte, 2048))
	if n > 0 {
		ping(n - 1)
	}
}

//go:noinline
func fillSmall(n int) {
	for i := 0; i < n; i++ {
		small = append(small, make([]byte, 64))
		records = append(records, newRecord(i))
	}
}

//go:noinline
func fillPages(n int) {
	for i := 0; i < n; i++ {
		pages = append(pages, chunk(4<<10))
		records = append(records, newRecord(-i))
	}
}

//go:noinline
func fillLarge(n int) {
	for i := 0; i < n; i++ {
		large = append(large, chunkFn(100<<10))
	}
}

//go:noinline
func fillIndex(from, to int) {
	for i := from; i < to; i++ {
		index[i] = strings.Repeat("k", 32)
	}
}

//go:noinline
func fillScratch(n int) {
	for i := 0; i < n; i++ {
		scratch = append(scratch, pad(8<<10))
	}
}

//go:noinline
func useStore(prefix string, n int) {
	for i := 0; i < n; i++ {
		key := prefix + "-" + strconv.Itoa(i)
		store.Put(key, 512)
		copies = append(copies, store.Get(key))
	}
	copies = append(copies, pad(8<<10))
}

// Goroutine parking.

var (
	recvCh = make(chan int)
	sendCh = make(chan int)
	heldMu sync.Mutex // locked by main and never unlocked
	heldWG sync.WaitGroup
	ready  sync.WaitGroup
)

// worker starts a goroutine (main.worker.func1) that allocates, then blocks
// forever on a channel receive.
func worker(id int) {
	ready.Add(1)
	go func() {
		buf := make([]byte, 512*(id+1))
		retainedMu.Lock()
		fromWorker = append(fromWorker, buf)
		retainedMu.Unlock()
		ready.Done()
		<-recvCh
	}()
}

func parkSend()   { ready.Done(); sendCh <- 1 }
func parkSelect() { ready.Done(); select {} }
func parkWait()   { ready.Done(); heldWG.Wait() }
func parkMutex()  { ready.Done(); heldMu.Lock() }

func park(workers, senders, selects, waiters, lockers int) {
	for i := 0; i < workers; i++ {
		worker(i)
	}
	for _, g := range []struct {
		n int
		f func()
	}{{senders, parkSend}, {selects, parkSelect}, {waiters, parkWait}, {lockers, parkMutex}} {
		for i := 0; i < g.n; i++ {
			ready.Add(1)
			go g.f()
		}
	}
	ready.Wait()
	settle()
}

// settle yields until no other goroutine is running or runnable, so every
// parked goroutine has reached its blocking call.
func settle() {
	buf := make([]byte, 64<<10)
	for i := 0; i < 10000; i++ {
		runtime.Gosched()
		st := buf[:runtime.Stack(buf, true)]
		if bytes.Count(st, []byte("[running]"))+bytes.Count(st, []byte("[runnable]")) <= 1 {
			return
		}
	}
	log.Print("warning: goroutines did not settle")
}

func round1() {
	fillSmall(200)
	fillPages(20)
	fillLarge(3)
	fillIndex(0, 100)
	fillScratch(30)
	build(5)
	ping(6)
	useStore("a", 10)
	park(3, 1, 1, 1, 1)
}

func round2() {
	scratch = nil // released: negative rows in a -base diff
	fillSmall(300)
	fillPages(30)
	fillLarge(5)
	fillIndex(100, 300)
	build(8)
	ping(9)
	useStore("b", 20)
	park(7, 2, 1, 2, 3)
}

func write(dir, name string, round int) {
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.pb.gz", name, round))
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func snapshot(dir string, round int) {
	runtime.GC()
	for _, name := range []string{"heap", "allocs", "goroutine"} {
		write(dir, name, round)
	}
}

func main() {
	runtime.MemProfileRate = 1
	runtime.GOMAXPROCS(1) // one P: scheduling, and so the profiles, repeat
	out := flag.String("out", "", "directory to write profiles into")
	flag.Parse()
	if *out == "" {
		log.Fatal("usage: profilegen -out DIR")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	heldMu.Lock()
	heldWG.Add(1)

	round1()
	snapshot(*out, 1)
	round2()
	snapshot(*out, 2)
}
