package server_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkServeRankReward measures rank+reward pairs over loopback HTTP:
// the handler serves the embedded loop, and concurrent personalizer.Client
// callers (GOMAXPROCS × 4 goroutines) each send a Rank of the coffee
// problem and the Reward of its event. It reports pairs per second, the
// median and 99th-percentile latency of a pair, and the errors, which fail
// the benchmark. Client and server share the machine's cores, so
// cpu-µs/pair (both sides, from getrusage) measures what a pair costs even
// when other processes compete for the cores.
func BenchmarkServeRankReward(b *testing.B) {
	loop, err := local.New(local.Options{
		ModelUpdateEvery:     1000,
		ModelExportFrequency: int64(time.Minute),
		RewardWait:           int64(10 * time.Minute),
	})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(server.New(loop))
	defer ts.Close()
	client, err := personalizer.NewClient(ts.URL, "", personalizer.WithRetries(1, 0, 0))
	if err != nil {
		b.Fatal(err)
	}

	actions := []personalizer.RankableAction{
		{ID: "Cappucino", Features: []map[string]any{{"type": "hot", "origin": "kenya", "organic": "yes", "roast": "dark"}}},
		{ID: "Cold brew", Features: []map[string]any{{"type": "cold", "origin": "brazil", "organic": "yes", "roast": "light"}}},
		{ID: "Iced mocha", Features: []map[string]any{{"type": "cold", "origin": "ethiopia", "organic": "no", "roast": "light"}}},
		{ID: "Latte", Features: []map[string]any{{"type": "hot", "origin": "brazil", "organic": "no", "roast": "dark"}}},
	}
	names := []string{"Alice", "Bob", "Cathy", "Dave"}

	var (
		errorCount atomic.Int64
		mu         sync.Mutex
		latencies  []time.Duration
	)
	ctx := context.Background()

	b.SetParallelism(4)
	b.ResetTimer()
	cpuBefore := cpuTime()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		own := make([]time.Duration, 0, 1024)
		i := 0
		for pb.Next() {
			i++
			began := time.Now()
			resp, err := client.Rank(ctx, &personalizer.RankRequest{
				ContextFeatures: []map[string]any{{"name": names[i%4], "weather": "Sunny", "timeofday": "Morning"}},
				Actions:         actions,
			})
			if err != nil {
				errorCount.Add(1)
				continue
			}
			reward := 0.0
			if resp.RewardActionID == "Cold brew" {
				reward = 1
			}
			if err := client.Reward(ctx, resp.EventID, reward); err != nil {
				errorCount.Add(1)
				continue
			}
			own = append(own, time.Since(began))
		}
		mu.Lock()
		latencies = append(latencies, own...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuBefore
	b.StopTimer()

	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pairs/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/pair")
	b.ReportMetric(float64(errorCount.Load()), "errors")
	b.ReportMetric(0, "ns/op") // pairs/s replaces it
	if n := errorCount.Load(); n > 0 {
		b.Fatalf("%d of %d pairs failed", n, b.N)
	}
}
