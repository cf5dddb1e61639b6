package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Manifest describes one run folder: what was run, with which inputs and
// tool, when, and what it produced. It is written as manifest.json, and
// Metadata returns the same facts for the Parquet footers.
type Manifest struct {
	Experiment     string `json:"experiment"`
	ExperimentFile string `json:"experiment_file"` // path of the experiment YAML as given
	ToolVersion    string `json:"tool_version"`
	GoVersion      string `json:"go_version"`

	// Seeds holds the seed of each repetition, indexed by repetition.
	Seeds []int64 `json:"seeds"`

	// Start and End are written in UTC as RFC 3339 timestamps. A zero End,
	// for a run that did not finish, is left out.
	Start time.Time `json:"start_time"`
	End   time.Time `json:"end_time,omitzero"`

	// Completed is true when every run finished and every file was written.
	Completed bool `json:"completed"`
	// Error is the reason the experiment did not complete: the first run's
	// error or the interruption. Empty when it completed.
	Error string `json:"error,omitempty"`

	Rows    RowCounts    `json:"rows"`
	Inputs  []Input      `json:"inputs"`  // every file the experiment read, the YAML included
	Summary []SummaryRow `json:"summary"` // one row per arm
	Outputs []string     `json:"outputs"` // file names in the run folder

	// Spec is the resolved experiment: the YAML with defaults applied and the
	// arms merged. It must encode with encoding/json.
	Spec any `json:"spec"`

	// EndpointSettings holds, per "arm/repetition", a Personalizer
	// endpoint's responses when the arm's settings were written to it. It
	// is empty for embedded runs.
	EndpointSettings map[string]any `json:"endpoint_settings,omitempty"`
}

// RowCounts are the row counts of the Parquet files.
type RowCounts struct {
	Events  int64 `json:"events"`
	Batches int64 `json:"batches"`
}

// Input is one input file and the SHA-256 of its content.
type Input struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// HashInput returns the Input for the file at path.
func HashInput(path string) (Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return Input{}, fmt.Errorf("hash input: %w", err)
	}
	defer f.Close()

	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Input{}, fmt.Errorf("hash input %s: %w", path, err)
	}
	return Input{Path: path, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Range is the median, minimum and maximum of one figure over the
// repetitions of an arm.
type Range struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// SummaryRow is one row of the summary table: the figures of one arm over
// its repetitions.
type SummaryRow struct {
	Arm         string `json:"arm"`
	Repetitions int    `json:"repetitions"`

	// FirstHalf, SecondHalf and LastBatch range over the repetitions' mean
	// reward in the first half of the events, the second half, and the last
	// batch.
	FirstHalf  Range `json:"first_half_mean"`
	SecondHalf Range `json:"second_half_mean"`
	LastBatch  Range `json:"last_batch_mean"`

	// EventsToThreshold ranges over the number of events after which the
	// moving average of the reward first exceeded Threshold. A median,
	// minimum or maximum that falls on a repetition that never crossed is -1.
	EventsToThreshold Range   `json:"events_to_threshold"`
	Crossed           int     `json:"repetitions_crossed"`
	Threshold         float64 `json:"threshold"`
}

// utc returns a copy of m with its times in UTC.
func (m *Manifest) utc() *Manifest {
	c := *m
	c.Start = c.Start.UTC()
	c.End = c.End.UTC()
	return &c
}

// WriteManifest writes m as indented JSON to path, replacing any file there
// only once the new one is complete.
func WriteManifest(path string, m *Manifest) error {
	data, err := json.MarshalIndent(m.utc(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(append(data, '\n')); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		return nil
	})
}

// ReadManifest reads a manifest.json. Spec is decoded as generic JSON
// (maps, slices, float64, string, bool).
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	return &m, nil
}

// MetadataPrefix starts every footer key that Metadata returns.
const MetadataPrefix = "rankloop."

// Metadata returns the manifest's facts as Parquet footer key/value
// metadata. Scalars are written as text (times in RFC 3339, UTC) and lists
// and the spec as JSON. Keys: rankloop.experiment, .experiment_file,
// .tool_version, .go_version, .seeds, .start_time, .end_time (when set),
// .completed, .rows.events, .rows.batches, .inputs, .summary, .outputs,
// .spec and .endpoint_settings (when set). It fails only when a field does
// not encode as JSON.
func (m *Manifest) Metadata() (map[string]string, error) {
	m = m.utc()
	meta := map[string]string{
		MetadataPrefix + "experiment":      m.Experiment,
		MetadataPrefix + "experiment_file": m.ExperimentFile,
		MetadataPrefix + "tool_version":    m.ToolVersion,
		MetadataPrefix + "go_version":      m.GoVersion,
		MetadataPrefix + "start_time":      m.Start.Format(time.RFC3339Nano),
		MetadataPrefix + "completed":       strconv.FormatBool(m.Completed),
		MetadataPrefix + "rows.events":     strconv.FormatInt(m.Rows.Events, 10),
		MetadataPrefix + "rows.batches":    strconv.FormatInt(m.Rows.Batches, 10),
	}
	if !m.End.IsZero() {
		meta[MetadataPrefix+"end_time"] = m.End.Format(time.RFC3339Nano)
	}

	lists := map[string]any{
		"seeds":   m.Seeds,
		"inputs":  m.Inputs,
		"summary": m.Summary,
		"outputs": m.Outputs,
		"spec":    m.Spec,
	}
	if len(m.EndpointSettings) > 0 {
		lists["endpoint_settings"] = m.EndpointSettings
	}
	for key, v := range lists {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode manifest %s for the Parquet footer: %w", key, err)
		}
		meta[MetadataPrefix+key] = string(data)
	}
	return meta, nil
}
