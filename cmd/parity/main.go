// Command parity runs rankloop's parity experiments on the coffee problem
// and prints the mean reward over fixed event windows beside the figures
// Vowpal Wabbit 9.11.2 measured on the same problem, driven event by event
// with the same policy arguments (10 seeds each). It exits with status 1
// when any mean is further than the tolerance from Vowpal Wabbit's.
//
// Usage:
//
//	go run ./cmd/parity [-tolerance 0.05] [-dir experiments/parity]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"

	"github.com/rankloop/rankloop/runner"
)

// window is a range of 1-based event numbers, both ends included.
type window struct{ first, last int }

func (w window) String() string { return fmt.Sprintf("%d-%d", w.first, w.last) }

// reference is Vowpal Wabbit's mean reward for one arm over some windows.
type reference struct {
	file    string
	arm     string
	windows []window
	means   []float64
}

// references are Vowpal Wabbit 9.11.2's measured means over 10 seeds, on a
// 2-vCPU machine of the kind rankloop's CI uses, December 2026: learning
// after every event (parity.yaml), and with the serving model refreshed
// once after 2,000 events (parity-refresh.yaml).
var references = []reference{
	{"parity.yaml", "A", []window{{1, 2000}, {2001, 4000}, {8001, 10000}}, []float64{0.33, 0.43, 0.51}},
	{"parity.yaml", "C", []window{{1, 2000}, {2001, 4000}, {8001, 10000}}, []float64{0.52, 0.59, 0.62}},
	{"parity.yaml", "G", []window{{1, 2000}, {2001, 4000}, {8001, 10000}}, []float64{0.70, 0.82, 0.85}},
	{"parity-refresh.yaml", "A", []window{{2001, 4000}}, []float64{0.42}},
	{"parity-refresh.yaml", "C", []window{{2001, 4000}}, []float64{0.56}},
	{"parity-refresh.yaml", "G", []window{{2001, 4000}}, []float64{0.83}},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "parity: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", filepath.Join("experiments", "parity"), "folder with parity.yaml and parity-refresh.yaml")
	tolerance := fs.Float64("tolerance", 0.05, "largest accepted difference from Vowpal Wabbit's mean")
	if err := fs.Parse(args); err != nil {
		return err
	}

	means := map[string]map[string][]float64{} // file -> arm -> per-batch means over repetitions
	batchSizes := map[string]int{}
	for _, file := range []string{"parity.yaml", "parity-refresh.yaml"} {
		exp, err := runner.Load(filepath.Join(*dir, file))
		if err != nil {
			return err
		}
		out, err := os.MkdirTemp("", "rankloop-parity-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(out)

		fmt.Fprintf(stderr, "parity: running %s (%d arms × %d repetitions × %d events)\n", file, len(exp.Arms), exp.Repetitions, exp.Events)
		report, err := runner.Run(ctx, exp, runner.Options{OutDir: out, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		means[file] = report.BatchMeans()
		batchSizes[file] = exp.BatchSize
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "experiment\tarm\tevents\trankloop\tvowpal wabbit\tdifference\t")
	outside := 0
	for _, ref := range references {
		batches, ok := means[ref.file][ref.arm]
		if !ok {
			return fmt.Errorf("%s has no arm %q", ref.file, ref.arm)
		}
		for i, w := range ref.windows {
			got := windowMean(batches, batchSizes[ref.file], w)
			diff := got - ref.means[i]
			mark := ""
			if math.Abs(diff) > *tolerance {
				mark = "outside"
				outside++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.2f\t%+.3f\t%s\n", ref.file, ref.arm, w, got, ref.means[i], diff, mark)
		}
	}
	tw.Flush()
	if outside > 0 {
		return fmt.Errorf("%d means are further than %.2f from Vowpal Wabbit's", outside, *tolerance)
	}
	fmt.Fprintf(stdout, "every mean is within %.2f of Vowpal Wabbit's\n", *tolerance)
	return nil
}

// windowMean averages the per-batch means of the batches inside w.
func windowMean(batchMeans []float64, batchSize int, w window) float64 {
	sum, n := 0.0, 0
	for b, m := range batchMeans {
		first := b*batchSize + 1
		if first >= w.first && first+batchSize-1 <= w.last {
			sum += m
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
