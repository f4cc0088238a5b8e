// Command bigprofile writes one large heap profile for benchmarks.
//
// Usage: bigprofile -out FILE [-stacks N]
//
// It walks N pseudo-random call paths (fixed seed, depths 10-40) through 40
// small functions; the leaf at the end of each path allocates and retains a
// small object. With runtime.MemProfileRate = 1 every path becomes its own
// sample, so the profile has tens of thousands of distinct stacks.
package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

const (
	numFuncs = 40
	minDepth = 10
	maxDepth = 40
)

// kept retains every leaf allocation so it shows up as in-use memory.
var kept [][]byte

// hops maps a path step to the function that takes it; the entry after the
// last function is the leaf. It is filled in init to avoid an initialization
// cycle (every function refers to hops).
var hops [numFuncs + 1]func(p []uint8, d int)

func init() {
	hops = [numFuncs + 1]func(p []uint8, d int){
		f00, f01, f02, f03, f04, f05, f06, f07, f08, f09,
		f10, f11, f12, f13, f14, f15, f16, f17, f18, f19,
		f20, f21, f22, f23, f24, f25, f26, f27, f28, f29,
		f30, f31, f32, f33, f34, f35, f36, f37, f38, f39,
		leaf,
	}
}

// Each fNN takes one step along the path p: it calls the function named by
// p[d]. The call is indirect, so none of them is inlined and each one is a
// frame of its own in the recorded stack.
func f00(p []uint8, d int) { hops[p[d]](p, d+1) }
func f01(p []uint8, d int) { hops[p[d]](p, d+1) }
func f02(p []uint8, d int) { hops[p[d]](p, d+1) }
func f03(p []uint8, d int) { hops[p[d]](p, d+1) }
func f04(p []uint8, d int) { hops[p[d]](p, d+1) }
func f05(p []uint8, d int) { hops[p[d]](p, d+1) }
func f06(p []uint8, d int) { hops[p[d]](p, d+1) }
func f07(p []uint8, d int) { hops[p[d]](p, d+1) }
func f08(p []uint8, d int) { hops[p[d]](p, d+1) }
func f09(p []uint8, d int) { hops[p[d]](p, d+1) }
func f10(p []uint8, d int) { hops[p[d]](p, d+1) }
func f11(p []uint8, d int) { hops[p[d]](p, d+1) }
func f12(p []uint8, d int) { hops[p[d]](p, d+1) }
func f13(p []uint8, d int) { hops[p[d]](p, d+1) }
func f14(p []uint8, d int) { hops[p[d]](p, d+1) }
func f15(p []uint8, d int) { hops[p[d]](p, d+1) }
func f16(p []uint8, d int) { hops[p[d]](p, d+1) }
func f17(p []uint8, d int) { hops[p[d]](p, d+1) }
func f18(p []uint8, d int) { hops[p[d]](p, d+1) }
func f19(p []uint8, d int) { hops[p[d]](p, d+1) }
func f20(p []uint8, d int) { hops[p[d]](p, d+1) }
func f21(p []uint8, d int) { hops[p[d]](p, d+1) }
func f22(p []uint8, d int) { hops[p[d]](p, d+1) }
func f23(p []uint8, d int) { hops[p[d]](p, d+1) }
func f24(p []uint8, d int) { hops[p[d]](p, d+1) }
func f25(p []uint8, d int) { hops[p[d]](p, d+1) }
func f26(p []uint8, d int) { hops[p[d]](p, d+1) }
func f27(p []uint8, d int) { hops[p[d]](p, d+1) }
func f28(p []uint8, d int) { hops[p[d]](p, d+1) }
func f29(p []uint8, d int) { hops[p[d]](p, d+1) }
func f30(p []uint8, d int) { hops[p[d]](p, d+1) }
func f31(p []uint8, d int) { hops[p[d]](p, d+1) }
func f32(p []uint8, d int) { hops[p[d]](p, d+1) }
func f33(p []uint8, d int) { hops[p[d]](p, d+1) }
func f34(p []uint8, d int) { hops[p[d]](p, d+1) }
func f35(p []uint8, d int) { hops[p[d]](p, d+1) }
func f36(p []uint8, d int) { hops[p[d]](p, d+1) }
func f37(p []uint8, d int) { hops[p[d]](p, d+1) }
func f38(p []uint8, d int) { hops[p[d]](p, d+1) }
func f39(p []uint8, d int) { hops[p[d]](p, d+1) }

// leaf allocates and retains a small object whose size depends on the depth.
func leaf(p []uint8, d int) {
	kept = append(kept, make([]byte, 16+8*(d%8)))
}

func main() {
	runtime.MemProfileRate = 1
	out := flag.String("out", "", "file to write the heap profile to")
	stacks := flag.Int("stacks", 80000, "number of call paths to walk")
	flag.Parse()
	if *out == "" || *stacks <= 0 {
		log.Fatal("usage: bigprofile -out FILE [-stacks N]")
	}
	start := time.Now()

	kept = make([][]byte, 0, *stacks)
	rng := rand.New(rand.NewPCG(2024, 7))
	seen := make(map[uint64]struct{}, *stacks)
	path := make([]uint8, maxDepth+1)
	for i := 0; i < *stacks; i++ {
		depth := minDepth + rng.IntN(maxDepth-minDepth+1)
		p := path[:depth+1]
		for j := range depth {
			p[j] = uint8(rng.IntN(numFuncs))
		}
		p[depth] = numFuncs // the leaf
		h := fnv.New64a()
		h.Write(p)
		seen[h.Sum64()] = struct{}{}
		hops[p[0]](p, 1)
	}

	distinct := len(seen)
	seen = nil // only kept (the leaf objects) should stay in use

	runtime.GC()
	records, _ := runtime.MemProfile(nil, true)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	info, err := os.Stat(*out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s: %d bytes (%.2f MB) in %s\n", *out, info.Size(),
		float64(info.Size())/1e6, time.Since(start).Round(time.Millisecond))
	fmt.Printf("distinct leaf stacks: %d; expected samples: about %d (leaf stacks plus a few from main and the runtime)\n", distinct, records)
}
