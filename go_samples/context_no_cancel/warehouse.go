package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// The warehouse is a separate system in production; in this build its
// partitions are simulated in process, with the latency of a page fetch.

const (
	pageRows  = 10_000
	maxMonths = 24
)

type dataset struct {
	rowsPerDay, rowBytes int64
	pageLatency          time.Duration
}

var (
	datasets = map[string]dataset{
		"orders":   {1_200, 96, time.Millisecond},
		"invoices": {300, 160, time.Millisecond},
		"events":   {250_000, 64, 20 * time.Millisecond},
	}
	// Partitions older than this have moved to cold storage.
	oldestPartition = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// partitions lists the monthly partitions an export from..to reads.
func partitions(dataset, from, to string) ([]time.Time, error) {
	first, err1 := time.Parse("2006-01", from)
	last, err2 := time.Parse("2006-01", to)
	if _, ok := datasets[dataset]; !ok || err1 != nil || err2 != nil || last.Before(first) || !last.Before(first.AddDate(0, maxMonths, 0)) {
		return nil, fmt.Errorf("an export needs a dataset (orders, invoices or events) and from and to months like 2026-09, at most %d months", maxMonths)
	}
	var months []time.Time
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	return months, nil
}

type shard struct {
	rows, bytes int64
	sum         uint64
}

// scan reads one month of a dataset from the warehouse, a page at a time.
func scan(ctx context.Context, tenantName, name string, month time.Time) (shard, error) {
	if month.Before(oldestPartition) {
		return shard{}, fmt.Errorf("partition %s of %s is archived", month.Format("2006-01"), name)
	}
	ds := datasets[name]
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s", tenantName, name, month.Format("2006-01"))
	days := int64(month.AddDate(0, 1, -1).Day())
	total := days * ds.rowsPerDay * int64(90+h.Sum64()%21) / 100
	s := shard{sum: h.Sum64()}
	for s.rows < total {
		select {
		case <-ctx.Done():
			return shard{}, ctx.Err()
		case <-time.After(ds.pageLatency):
		}
		s.rows += min(pageRows, total-s.rows)
	}
	s.bytes = s.rows * ds.rowBytes
	return s, nil
}
