package runner

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
)

// benchmarkRun runs the coffee experiment's optimized-policy arm for events
// events and repetitions repetitions per iteration, and reports events per
// second and allocations per event over the whole run: sampling, Rank, the
// reward formula, learning and the Parquet files.
func benchmarkRun(b *testing.B, events, repetitions, parallelism int) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	exp.Arms = exp.Arms[1:]
	exp.Events = events
	exp.Repetitions = repetitions

	var before, after runtime.MemStats
	total := 0
	b.ReportAllocs()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if _, err := Run(context.Background(), exp, Options{OutDir: b.TempDir(), Parallelism: parallelism}); err != nil {
			b.Fatal(err)
		}
		total += events * repetitions
	}
	runtime.ReadMemStats(&after)

	seconds := b.Elapsed().Seconds()
	b.ReportMetric(float64(total)/seconds, "events/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(total), "allocs/event")
}

// BenchmarkEventLoop is one run on one core: the per-core speed of the
// event loop.
func BenchmarkEventLoop(b *testing.B) { benchmarkRun(b, 200_000, 1, 1) }

// BenchmarkRunParallel is the coffee grid of 10 repetitions spread over
// every core.
func BenchmarkRunParallel(b *testing.B) { benchmarkRun(b, 40_000, 10, 0) }
