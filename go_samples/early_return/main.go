// Command early_return pays marketplace sellers out to their bank accounts.
// POST /payouts debits the seller's wallet once the wallet has the funds and
// the risk service has screened the payee; the screening runs alongside the
// wallet checks so that a payout costs one round trip, not two.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"hash/crc32"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	maxPayoutCents = 1_000_000
	blockScore     = 90
	payoutDeadline = 100 * time.Millisecond
)

// payoutError is a refusal with the HTTP status it is answered with.
type payoutError struct {
	status int
	msg    string
}

func (e *payoutError) Error() string { return e.msg }

var (
	errNoWallet     = &payoutError{http.StatusNotFound, "wallet not found"}
	errFrozen       = &payoutError{http.StatusForbidden, "wallet is frozen pending identity verification"}
	errBlocked      = &payoutError{http.StatusForbidden, "payout blocked by risk screening"}
	errInsufficient = &payoutError{http.StatusUnprocessableEntity, "insufficient available balance"}
	errScreening    = &payoutError{http.StatusServiceUnavailable, "risk screening did not answer in time"}
)

type payoutRequest struct {
	Wallet      string `json:"wallet"`
	IBAN        string `json:"iban"`
	AmountCents int64  `json:"amount_cents"`
}

type payout struct {
	ID           string `json:"id,omitempty"`
	Wallet       string `json:"wallet"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	RiskScore    int    `json:"risk_score"`
}

func hash(s string) uint32 { return crc32.ChecksumIEEE([]byte(s)) }

type wallet struct {
	balance int64
	frozen  bool
}

// walletStore is the client for the wallet database; every call is a round trip.
type walletStore struct {
	mu      sync.Mutex
	wallets map[string]*wallet
	rtt     time.Duration
}

func newWalletStore(n int, rtt time.Duration) *walletStore {
	s := &walletStore{wallets: make(map[string]*wallet, n), rtt: rtt}
	for i := range n {
		id := fmt.Sprintf("wlt_%d", i)
		s.wallets[id] = &wallet{balance: 50_000 + int64(hash(id)%450_000), frozen: hash(id)%40 == 0}
	}
	return s
}

// update runs fn on the wallet in one round trip and returns the wallet as fn left it.
func (s *walletStore) update(id string, fn func(*wallet) error) (wallet, error) {
	time.Sleep(s.rtt)
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.wallets[id]
	if !ok {
		return wallet{}, errNoWallet
	}
	err := fn(w)
	return *w, err
}

func (s *walletStore) get(id string) (wallet, error) {
	return s.update(id, func(*wallet) error { return nil })
}

// riskClient scores payees from 0 to 100. Payees the compliance team has
// verified are answered locally; the rest go to the screening service.
type riskClient struct {
	verified, sanctioned map[string]bool
	latency              time.Duration
}

func (c *riskClient) score(p payoutRequest) int {
	if c.verified[p.IBAN] {
		return 0
	}
	time.Sleep(c.latency + time.Duration(hash(p.IBAN)%4)*time.Millisecond)
	if c.sanctioned[p.IBAN] {
		return 100
	}
	return int(hash(p.IBAN+"/"+p.Wallet)%70) + int(p.AmountCents*30/maxPayoutCents)
}

type payoutService struct {
	wallets *walletStore
	risk    *riskClient
	seq     atomic.Uint64
	stats   *expvar.Map
}

func (s *payoutService) screen(p payoutRequest, out chan<- int) {
	score := s.risk.score(p)
	s.stats.Add("screened", 1)
	out <- score
}

func (s *payoutService) Pay(ctx context.Context, p payoutRequest) (payout, error) {
	scores := make(chan int)
	go s.screen(p, scores)

	w, err := s.wallets.get(p.Wallet)
	if err != nil {
		return payout{}, err
	}
	if w.frozen {
		return payout{}, errFrozen
	}
	if w.balance < p.AmountCents {
		return payout{}, errInsufficient
	}

	res := payout{Wallet: p.Wallet, AmountCents: p.AmountCents, BalanceCents: w.balance}
	select {
	case res.RiskScore = <-scores:
	case <-ctx.Done():
		return payout{}, errScreening
	}
	if res.RiskScore >= blockScore {
		return payout{}, errBlocked
	}
	w, err = s.wallets.update(p.Wallet, func(w *wallet) error {
		if w.balance < p.AmountCents {
			return errInsufficient
		}
		w.balance -= p.AmountCents
		return nil
	})
	if err != nil {
		return payout{}, err
	}
	res.ID, res.BalanceCents = fmt.Sprintf("po_%07d", s.seq.Add(1)), w.balance
	return res, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validate(p *payoutRequest) string {
	p.IBAN = strings.ToUpper(strings.ReplaceAll(p.IBAN, " ", ""))
	switch {
	case p.Wallet == "":
		return "wallet is required"
	case len(p.IBAN) < 15 || len(p.IBAN) > 34 || p.IBAN[0] < 'A' || p.IBAN[0] > 'Z':
		return "iban is not a valid account number"
	case p.AmountCents <= 0 || p.AmountCents > maxPayoutCents:
		return fmt.Sprintf("amount_cents must be from 1 to %d", maxPayoutCents)
	}
	return ""
}

func (s *payoutService) handlePayout(w http.ResponseWriter, r *http.Request) {
	var p payoutRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&p); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed payout: " + err.Error()})
		return
	}
	if msg := validate(&p); msg != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), payoutDeadline)
	defer cancel()
	res, err := s.Pay(ctx, p)
	var pe *payoutError
	if errors.As(err, &pe) {
		s.stats.Add(pe.msg, 1)
		writeJSON(w, pe.status, map[string]string{"error": pe.msg, "wallet": p.Wallet})
		return
	}
	s.stats.Add("paid", 1)
	writeJSON(w, http.StatusCreated, res)
}

func main() {
	s := &payoutService{
		wallets: newWalletStore(20_000, time.Millisecond),
		risk: &riskClient{
			verified:   map[string]bool{"NL91ABNA0417164300": true, "DE89370400440532013000": true},
			sanctioned: map[string]bool{"IR062960000000100324200001": true},
			latency:    3 * time.Millisecond,
		},
		stats: expvar.NewMap("payouts"),
	}
	http.HandleFunc("POST /payouts", s.handlePayout)
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}
