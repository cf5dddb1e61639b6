package results

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// coffeeSchema is the layout of the coffee experiment's events.
var coffeeSchema = EventSchema{
	Context: []Column{
		{Name: "name", Kind: KindString},
		{Name: "weather", Kind: KindString},
		{Name: "timeofday", Kind: KindString},
	},
	HasExpected: true,
}

// coffeeRows returns n coffee events with distinct event ids, as one run
// would produce them.
func coffeeRows(n int) []EventRow {
	names := []string{"Alice", "Bob", "Cathy", "Dave"}
	weathers := []string{"Sunny", "Rainy", "Snowy"}
	times := []string{"Morning", "Afternoon", "Evening"}
	actions := []string{"Cappucino", "Cold brew", "Iced mocha", "Latte"}
	contexts := make([]Value, 3*n)
	rows := make([]EventRow, n)
	for i := range rows {
		ctx := contexts[3*i : 3*i+3 : 3*i+3]
		ctx[0], ctx[1], ctx[2] = StringValue(names[i%4]), StringValue(weathers[i*7%3]), StringValue(times[i*5%3])
		rows[i] = EventRow{
			Experiment: "coffee", Arm: "tutorial-policy", Seed: 7, Event: int64(i), Batch: int32(i / 100),
			EventID: fmt.Sprintf("7-0-%08x", i), Context: ctx, Action: actions[(i*13)%4],
			Probability: 0.85, Reward: float64(i * 13 % 4 / 3), Expected: actions[i%4], HasExpected: true,
			BestReward: 1, HasBestReward: true, Explored: i%5 == 0, ModelVersion: int64(i / 2000),
			RewardStatus: RewardOnTime,
		}
	}
	return rows
}

// BenchmarkWriteEvents writes 1,000,000 coffee events to a file in slices
// of 4,096 rows and reports the cost per row and the file size.
func BenchmarkWriteEvents(b *testing.B) {
	const total = 1_000_000
	rows := coffeeRows(total)
	path := filepath.Join(b.TempDir(), "events.parquet")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		w, err := CreateEventFile(path, coffeeSchema, testMeta)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < total; i += 4096 {
			if err := w.Write(rows[i:min(i+4096, total)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)

	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	perRow := float64(b.N) * total
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perRow, "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/perRow, "allocs/row")
	b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
}

// BenchmarkMergeEvents merges 10 parts of 100,000 events into one file and
// reports the cost per row and the merged file's size.
func BenchmarkMergeEvents(b *testing.B) { benchmarkMerge(b, 10, 100_000) }

// BenchmarkMergeEventsSmallParts merges 1,000 parts of 1,000 events, as a
// grid of many short runs makes, where the cost per part dominates.
func BenchmarkMergeEventsSmallParts(b *testing.B) { benchmarkMerge(b, 1000, 1000) }

func benchmarkMerge(b *testing.B, parts, perPart int) {
	dir := b.TempDir()
	rows := coffeeRows(perPart)
	var paths []string
	for i := range parts {
		path := filepath.Join(dir, fmt.Sprintf("events-0-%d.parquet", i))
		w, err := CreateEventFile(path, coffeeSchema, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, path)
	}
	dst := filepath.Join(dir, "events.parquet")

	for b.Loop() {
		if err := MergeEvents(dst, paths, coffeeSchema, testMeta); err != nil {
			b.Fatal(err)
		}
	}

	st, err := os.Stat(dst)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*parts*perPart), "ns/row")
	b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
}

// BenchmarkReadEvents streams 1,000,000 coffee events back into EventRows.
func BenchmarkReadEvents(b *testing.B) {
	const total = 1_000_000
	path := filepath.Join(b.TempDir(), "events.parquet")
	w, err := CreateEventFile(path, coffeeSchema, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(coffeeRows(total)); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}

	buf := make([]EventRow, 4096)
	for b.Loop() {
		r, err := OpenEvents(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*total), "ns/row")
}
