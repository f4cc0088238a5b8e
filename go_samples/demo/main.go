// Command demo is a small login service that hands out session tokens.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	_ "expvar"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"
)

type session struct {
	User      string
	Token     string
	Created   time.Time
	Scratch   []byte
	UserAgent string
}

type sessionStore struct {
	mu       sync.Mutex
	byToken  map[string]*session
	lifetime time.Duration
}

func newSessionStore(lifetime time.Duration) *sessionStore {
	return &sessionStore{byToken: make(map[string]*session), lifetime: lifetime}
}

func (s *sessionStore) Create(user, agent string) *session {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	sess := &session{
		User:      user,
		Token:     hex.EncodeToString(buf),
		Created:   time.Now(),
		Scratch:   make([]byte, 512),
		UserAgent: agent,
	}
	s.mu.Lock()
	s.byToken[sess.Token] = sess
	s.mu.Unlock()
	return sess
}

func (s *sessionStore) Lookup(token string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byToken[token]
	if !ok || time.Since(sess.Created) > s.lifetime {
		return nil, false
	}
	return sess, true
}

func main() {
	store := newSessionStore(15 * time.Minute)

	http.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			http.Error(w, "user is required", http.StatusBadRequest)
			return
		}
		sess := store.Create(user, r.UserAgent())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"token": sess.Token})
	})
	http.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		sess, ok := store.Lookup(token)
		if !ok {
			http.Error(w, "unknown session", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"user": sess.User})
	})

	addr := os.Getenv("LEAKKIT_LISTEN")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
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
