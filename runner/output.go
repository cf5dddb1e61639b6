package runner

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rankloop/rankloop/results"
)

// Names of the files in a results folder.
const (
	EventsFile   = "events.parquet"
	BatchesFile  = "batches.parquet"
	ManifestFile = "manifest.json"
	ChartFile    = "chart.html"
)

// writeResults writes the results folder from the completed runs: events
// (merged from the runs' part files in arm and repetition order), batches,
// the chart, and the manifest last, so a manifest that records completed means
// every other file is in place. A failing step does not stop the others.
func writeResults(exp *Experiment, layout *eventLayout, completed []*runOutcome, report *Report, runErr error, started time.Time, opts Options) ([]string, error) {
	hasExpected := layout.schema.HasExpected
	manifest := &results.Manifest{
		Experiment:     exp.Name,
		ExperimentFile: exp.File,
		ToolVersion:    opts.Version,
		GoVersion:      runtime.Version(),
		Start:          started,
		Summary:        report.Summary,
		Spec:           exp.Resolved,
	}
	for r := range exp.Repetitions {
		manifest.Seeds = append(manifest.Seeds, int64(RepetitionSeed(exp.Seed, r)))
	}
	for _, in := range exp.Inputs {
		manifest.Inputs = append(manifest.Inputs, results.Input{Path: in.Path, SHA256: in.SHA256})
	}

	var parts []string
	var batches []results.BatchRow
	for _, o := range completed {
		parts = append(parts, o.part)
		manifest.Rows.Events += int64(o.events)
		arm := exp.Arms[o.key.arm]
		for _, b := range o.batches {
			batches = append(batches, batchRow(exp, arm, o.key.repetition, b, arm.Expected != nil))
		}
	}
	manifest.Rows.Batches = int64(len(batches))
	manifest.EndpointSettings = appliedSettings(exp, completed)
	// The footers carry the manifest's facts as they stand before the
	// files are written: completion and end time are only in manifest.json.
	manifest.Completed = report.Completed
	manifest.Outputs = []string{EventsFile, BatchesFile, ChartFile, ManifestFile}
	if runErr != nil {
		manifest.Error = runErr.Error()
	}
	// With no finished run there is nothing to show: only the manifest is
	// written, to record what happened.
	if len(completed) == 0 {
		manifest.Outputs = []string{ManifestFile}
	}
	meta, err := manifest.Metadata()
	if err != nil {
		return nil, err
	}

	var errs []error
	var files []string
	write := func(name string, fn func(path string) error) {
		path := filepath.Join(opts.OutDir, name)
		if err := fn(path); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", name, err))
			return
		}
		files = append(files, path)
	}

	if len(completed) > 0 {
		write(EventsFile, func(path string) error {
			return results.MergeEvents(path, parts, layout.schema, meta)
		})
		write(BatchesFile, func(path string) error {
			return results.WriteBatches(path, batches, hasExpected, true, meta)
		})
		incomplete := ""
		if !report.Completed {
			incomplete = fmt.Sprintf("%d of %d runs finished", len(completed), len(exp.Arms)*exp.Repetitions)
			if runErr != nil {
				incomplete += ": " + runErr.Error()
			}
		}
		write(ChartFile, func(path string) error {
			return results.WriteChartFile(path, &results.Chart{
				Experiment:  exp.Name,
				Description: exp.Description,
				BatchSize:   exp.BatchSize,
				Window:      MovingAverageWindow,
				Arms:        results.ChartArms(batches, true),
				Summary:     report.Summary,
				Incomplete:  incomplete,
			})
		})
	}

	manifest.Completed = report.Completed && len(errs) == 0
	manifest.End = opts.Now().UTC()
	write(ManifestFile, func(path string) error {
		return results.WriteManifest(path, manifest)
	})
	return files, errors.Join(errs...)
}

func batchRow(exp *Experiment, arm *Arm, repetition int, b batchStats, hasExpected bool) results.BatchRow {
	n := float64(b.events)
	row := results.BatchRow{
		Experiment:     exp.Name,
		Arm:            arm.Name,
		Repetition:     int32(repetition),
		Batch:          int32(b.batch),
		Events:         int64(b.events),
		RewardSum:      b.rewardSum,
		RewardMean:     b.rewardSum / n,
		BestRewardMean: b.bestSum / n,
		CeilingMean:    b.ceilingSum / n,
		ExploredShare:  float64(b.explored) / n,
	}
	if hasExpected {
		row.Accuracy = float64(b.matches) / n
	} else {
		row.AccuracyUndefined = true
	}
	return row
}

// appliedSettings collects the endpoints' responses when arms' settings were
// written to them, by arm and repetition.
func appliedSettings(exp *Experiment, completed []*runOutcome) map[string]any {
	var out map[string]any
	for _, o := range completed {
		if o.applied == nil {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[fmt.Sprintf("%s/%d", exp.Arms[o.key.arm].Name, o.key.repetition)] = o.applied
	}
	return out
}
