// Command hostile is a program built to test the Docker sandbox: it tries what untrusted code
// might try and prints what happened as key=value lines.
//
//	hostile probe PORT   who am I, what may I write, can I reach 127.0.0.1:PORT of the host
//	hostile fork         start copies of itself until something stops it
//	hostile sleep        wait (a child of fork)
//	hostile              serve HTTP on LEAKKIT_LISTEN; GET /hoard keeps 256 KiB of touched memory
package main

import (
	_ "expvar"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "probe":
		probe(os.Args[2])
	case "fork":
		fork()
	case "sleep":
		time.Sleep(time.Minute)
	default:
		serve()
	}
}

func status(field string) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown: " + err.Error()
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "missing"
}

func tryWrite(path string) string {
	if err := os.WriteFile(path, []byte("owned\n"), 0o644); err != nil {
		return "denied (" + err.Error() + ")"
	}
	return "ok"
}

func probe(port string) {
	fmt.Printf("uid=%d\n", os.Getuid())
	fmt.Printf("gid=%d\n", os.Getgid())
	fmt.Printf("capeff=%s\n", status("CapEff"))
	fmt.Printf("capprm=%s\n", status("CapPrm"))
	fmt.Printf("nonewprivs=%s\n", status("NoNewPrivs"))
	fmt.Printf("write_root=%s\n", tryWrite("/owned"))
	fmt.Printf("write_etc=%s\n", tryWrite("/etc/owned"))
	fmt.Printf("write_tmp=%s\n", tryWrite("/tmp/owned"))
	if st, err := os.Stat("/tmp"); err == nil {
		fmt.Printf("tmp_mode=%v\n", st.Mode())
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 2*time.Second)
	if err != nil {
		fmt.Printf("dial_host=failed\n")
	} else {
		conn.Close()
		fmt.Printf("dial_host=connected\n")
	}
	var names []string
	ifaces, _ := net.Interfaces()
	for _, iface := range ifaces {
		names = append(names, iface.Name)
	}
	fmt.Printf("interfaces=%s\n", strings.Join(names, ","))
}

func fork() {
	started := 0
	for started < 10000 {
		cmd := exec.Command("/proc/self/exe", "sleep")
		if err := cmd.Start(); err != nil {
			fmt.Printf("fork_stopped_after=%d\nfork_error=%v\n", started, err)
			return
		}
		started++
	}
	fmt.Printf("fork_stopped_after=%d\nfork_error=none\n", started)
}

var (
	mu    sync.Mutex
	hoard [][]byte
)

func serve() {
	http.HandleFunc("/hoard", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 256<<10)
		for i := range b {
			b[i] = byte(i)
		}
		mu.Lock()
		hoard = append(hoard, b)
		mu.Unlock()
		fmt.Fprintln(w, "kept")
	})
	addr := os.Getenv("LEAKKIT_LISTEN")
	network := "tcp"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}
