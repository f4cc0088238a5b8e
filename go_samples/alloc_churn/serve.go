package main

import (
	"context"
	"errors"
	_ "expvar"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// listen opens the address in LEAKKIT_LISTEN: "host:port" for TCP or
// "unix:/path" for a Unix socket. The default is a free loopback port.
func listen() (net.Listener, error) {
	addr := os.Getenv("LEAKKIT_LISTEN")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path)
		}
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

// serve runs the default mux (the application routes plus /debug/pprof and
// /debug/vars) until the process receives SIGINT or SIGTERM.
func serve() error {
	ln, err := listen()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           http.DefaultServeMux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Printf("shutdown: %v", err)
		}
	}()

	log.Printf("listening on %s", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-drained
	return nil
}
