package main

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
)

// The object store is a separate service in production. In this build its
// objects are generated in process: the same bytes for the same key on every
// read. Stores upload their sales as drops/<n>.ndjson; an upload that is
// still in progress is visible as drops/<n>.partial.

var errNoObject = errors.New("no such object")

var products = []string{
	"Organic whole milk 1l", "Sourdough loaf 800g", "Free-range eggs, dozen", "Arabica beans 500g",
	"Greek yoghurt 4x125g", "Baby spinach 200g", "Cheddar, mature 400g", "Sparkling water 6x1.5l",
	"Dark chocolate 70% 100g", "Basmati rice 2kg", "Olive oil, extra virgin 750ml", "Bananas, loose",
	"Tomatoes on the vine 500g", "Oat drink 1l", "Salted butter 250g", "Dishwasher tablets x40",
}

func openObject(key string) (io.ReadCloser, error) {
	name, ok := strings.CutPrefix(key, "drops/")
	base, partial := strings.CutSuffix(name, ".partial")
	if !partial {
		base, ok = strings.CutSuffix(name, ".ndjson")
	}
	n, err := strconv.Atoi(base)
	if !ok || err != nil || n < 0 || base != strconv.Itoa(n) {
		return nil, errNoObject
	}
	return io.NopCloser(bytes.NewReader(renderDrop(n, partial))), nil
}

// renderDrop writes the manifest line and the sales lines of drop n.
func renderDrop(n int, partial bool) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "drop/%d", n)
	seed := h.Sum64()
	records := 420 + int(seed%120)
	b := make([]byte, 0, records*140+128)
	b = fmt.Appendf(b, "#manifest batch=B%d source=store-%02d records=%d day=2026-11-%02d\n",
		n, seed>>8%40, records, 1+seed>>16%28)
	if partial {
		records--
	}
	for i := range records {
		r := seed ^ uint64(i+1)*0x9E3779B97F4A7C15
		r ^= r >> 29
		b = fmt.Appendf(b, `{"line":%d,"sku":"SKU-%06d","name":%q,"qty":%d,"unit_cents":%d,"register":%d,"at":"%02d:%02d:%02d"}`+"\n",
			i+1, r%1_000_000, products[r>>20%16], 1+r>>24%6, 49+r>>28%2_950, 1+r>>40%8, 7+r>>44%14, r>>48%60, r>>54%60)
	}
	return b
}
