package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/rankloop/rankloop/results"
	"github.com/rankloop/rankloop/runner"
)

type runOptions struct {
	out         string
	parallel    int
	endpoint    string
	key         string
	concurrency int
	quiet       bool
	verbose     bool
	noProgress  bool
	force       bool
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.out, "out", "", "results folder (default runs/<experiment>/<UTC time>; with several files, one subfolder per experiment)")
	fs.BoolVar(&opts.force, "force", false, "write into an --out folder that already holds results, replacing them")
	fs.IntVar(&opts.parallel, "parallel", 0, "runs executed at once (default: the number of CPUs); results do not depend on it")
	fs.StringVar(&opts.endpoint, "endpoint", os.Getenv("RANKLOOP_ENDPOINT"), "Personalizer endpoint for arms with backend http (default $RANKLOOP_ENDPOINT)")
	fs.StringVar(&opts.key, "key", "", "Personalizer key sent as Ocp-Apim-Subscription-Key (default $RANKLOOP_KEY)")
	fs.IntVar(&opts.concurrency, "concurrency", 1, "events in flight against an endpoint")
	fs.BoolVar(&opts.quiet, "quiet", false, "log warnings and errors only")
	fs.BoolVar(&opts.verbose, "verbose", false, "log debug messages")
	fs.BoolVar(&opts.noProgress, "no-progress", false, "never draw progress bars")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: rankloop run [flags] FILE...

Runs every arm × repetition of each experiment file and writes
events.parquet, batches.parquet, manifest.json and chart.html.
Every file is validated before anything runs or is written.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
Examples:
  rankloop run experiments/coffee.yaml
  rankloop run --out /tmp/coffee experiments/coffee.yaml
  RANKLOOP_KEY=... rankloop run --endpoint http://127.0.0.1:5000 experiments/coffee-http.yaml
`)
	}
	files, help, err := parseFiles(fs, args)
	if help || err != nil {
		return err
	}
	if opts.key == "" {
		opts.key = os.Getenv("RANKLOOP_KEY")
	}
	if opts.concurrency < 1 {
		return &usageError{fmt.Sprintf("run: invalid --concurrency %d: use 1 or more", opts.concurrency)}
	}
	if opts.parallel < 0 {
		return &usageError{fmt.Sprintf("run: invalid --parallel %d: use 1 or more, or 0 for the number of CPUs", opts.parallel)}
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.logLevel()}))

	exps, err := runner.LoadAll(files)
	if err != nil {
		return err
	}
	for _, exp := range exps {
		for _, w := range exp.Warnings {
			logger.Warn(w)
		}
		if usesHTTP(exp) {
			if err := checkEndpoint(ctx, opts.endpoint, opts.key, exp); err != nil {
				return err
			}
		}
		if opts.out != "" && !opts.force {
			if err := checkOutFree(opts.out, exp.Name, len(exps) > 1); err != nil {
				return err
			}
		}
	}

	var errs []error
	for _, exp := range exps {
		if ctx.Err() != nil {
			// An interruption between experiments leaves the rest unrun,
			// so the command reports it even when every run so far passed.
			errs = append(errs, context.Cause(ctx))
			break
		}
		dir, err := resultsDir(opts.out, exp.Name, len(exps) > 1, time.Now())
		if err != nil {
			return err
		}
		if err := runOne(ctx, exp, dir, opts, logger, stdout, stderr); err != nil {
			errs = append(errs, fmt.Errorf("experiment %q: %w", exp.Name, err))
		}
	}
	return errors.Join(errs...)
}

func runOne(ctx context.Context, exp *runner.Experiment, dir string, opts runOptions, logger *slog.Logger, stdout, stderr io.Writer) error {
	logger.Info("run started", "experiment", exp.Name, "arms", len(exp.Arms), "repetitions", exp.Repetitions, "events", exp.Events, "out", dir)
	progress := newProgress(stderr, exp, logger, opts.logLevel(), !opts.noProgress && !opts.quiet)

	report, err := runner.Run(ctx, exp, runner.Options{
		OutDir:      dir,
		Parallelism: opts.parallel,
		Endpoint:    opts.endpoint,
		Key:         opts.key,
		Concurrency: opts.concurrency,
		Version:     toolVersion(),
		Logger:      progress.logger(),
		Progress:    progress.update,
	})
	progress.wait()

	if report != nil {
		printSummary(stdout, report)
	}
	if err != nil && ctx.Err() != nil {
		logger.Warn("run interrupted; the runs that finished are written", "experiment", exp.Name, "out", dir)
		return err
	}
	if err != nil {
		logger.Error("run failed", "experiment", exp.Name, "out", dir, "err", err)
		return err
	}
	logger.Info("run finished", "experiment", exp.Name, "out", dir)
	return nil
}

func usesHTTP(exp *runner.Experiment) bool {
	for _, a := range exp.Arms {
		if a.Personalizer.Backend == "http" {
			return true
		}
	}
	return false
}

// resultsDir creates and returns the folder for one experiment's results:
// out itself, out/<experiment> when several experiments share it, or
// runs/<experiment>/<UTC time>, with a numeric suffix when two runs start
// in the same second.
func resultsDir(out, experiment string, several bool, now time.Time) (string, error) {
	if out != "" {
		dir := out
		if several {
			dir = filepath.Join(out, experiment)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("create results folder: %w", err)
		}
		return dir, nil
	}

	parent := filepath.Join("runs", experiment)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create results folder: %w", err)
	}
	base := now.UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create results folder: %w", err)
		}
	}
}

// logLevel returns the lowest level logged: warnings with --quiet, debug
// messages with --verbose, which wins when both are given.
func (o runOptions) logLevel() slog.Level {
	switch {
	case o.verbose:
		return slog.LevelDebug
	case o.quiet:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// printSummary writes the summary table: per arm, the median and range over
// repetitions of each figure.
func printSummary(w io.Writer, report *runner.Report) {
	exp := report.Experiment
	state := "completed"
	if !report.Completed {
		state = fmt.Sprintf("incomplete: %d of %d runs finished", len(report.Runs), len(exp.Arms)*exp.Repetitions)
	}
	fmt.Fprintf(w, "\n%s: %d arms × %d repetitions × %d events (%s)\n", exp.Name, len(exp.Arms), exp.Repetitions, exp.Events, state)

	// Arms may set their own threshold, so the header names it only when
	// all arms share one, and each row names its own otherwise.
	shared := true
	for _, s := range report.Summary {
		shared = shared && s.Threshold == report.Summary[0].Threshold
	}
	crossingHeader := "events to threshold"
	if shared && len(report.Summary) > 0 {
		crossingHeader = fmt.Sprintf("events to %.2f", report.Summary[0].Threshold)
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "arm\tfirst half\tsecond half\tlast batch\t%s\n", crossingHeader)
	for _, s := range report.Summary {
		if s.Repetitions == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\n", s.Arm)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Arm,
			formatRange(s.FirstHalf), formatRange(s.SecondHalf), formatRange(s.LastBatch),
			formatCrossing(s, !shared))
	}
	tw.Flush()
	fmt.Fprintf(w, "median [min, max] over repetitions\nresults: %s\n", report.OutDir)
}

func formatRange(r results.Range) string {
	return fmt.Sprintf("%.3f [%.3f, %.3f]", r.Median, r.Min, r.Max)
}

// formatCrossing formats the events to threshold of one arm, naming the
// threshold when withThreshold is set.
func formatCrossing(s results.SummaryRow, withThreshold bool) string {
	r := s.EventsToThreshold
	count := fmt.Sprintf("%d/%d runs", s.Crossed, s.Repetitions)
	if withThreshold {
		count += fmt.Sprintf(" above %.2f", s.Threshold)
	}
	if r.Median < 0 {
		return "never (" + count + ")"
	}
	max := strconv.Itoa(int(r.Max))
	if r.Max < 0 {
		max = "never"
	}
	return fmt.Sprintf("%d [%d, %s] (%s)", int(r.Median), int(r.Min), max, count)
}
