package results

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
)

// uPlot 1.6.32 (MIT licence, text in assets/uPlot.LICENSE), from the npm
// package uplot: dist/uPlot.iife.min.js and dist/uPlot.min.css.
var (
	//go:embed assets/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uPlot.min.css
	uplotCSS string
	//go:embed chart.html.tmpl
	chartTemplate string
)

// Chart is the content of chart.html.
type Chart struct {
	Experiment  string
	Description string
	BatchSize   int // events per batch, shown in the axis label

	// Window is the number of events in the moving average whose threshold
	// crossing the summary table reports.
	Window int

	Arms    []ChartArm
	Summary []SummaryRow

	// Incomplete, when set, is the reason the chart shows fewer runs than
	// the experiment requested. The page shows it above the plot.
	Incomplete string
}

// ChartArm is the line, band and ceiling of one arm. All slices but Batches
// are indexed like Batches.
type ChartArm struct {
	Name    string
	Batches []int     // 0-based batch indexes, ascending
	Mean    []float64 // mean reward of the batch over the repetitions
	Min     []float64 // lowest reward mean of the batch over the repetitions
	Max     []float64 // highest reward mean of the batch over the repetitions

	// Ceiling is the mean exploration ceiling of the batch, (1-ε)·best +
	// ε·(mean reward over all actions), or nil when the experiment cannot
	// score every action.
	Ceiling []float64
}

// ChartArms computes the chart lines from batches.parquet rows: per arm, in
// the order arms first appear in rows, and per batch index, the mean,
// minimum and maximum of RewardMean over the repetitions, and the mean of
// CeilingMean when hasCeiling.
func ChartArms(rows []BatchRow, hasCeiling bool) []ChartArm {
	type cell struct {
		sum, min, max, ceiling float64
		n                      int
	}
	var (
		order []string
		cells = map[string]map[int]*cell{}
	)
	for _, r := range rows {
		byBatch, ok := cells[r.Arm]
		if !ok {
			byBatch = map[int]*cell{}
			cells[r.Arm] = byBatch
			order = append(order, r.Arm)
		}
		c, ok := byBatch[int(r.Batch)]
		if !ok {
			c = &cell{min: math.Inf(1), max: math.Inf(-1)}
			byBatch[int(r.Batch)] = c
		}
		c.n++
		c.sum += r.RewardMean
		c.min = min(c.min, r.RewardMean)
		c.max = max(c.max, r.RewardMean)
		c.ceiling += r.CeilingMean
	}

	arms := make([]ChartArm, 0, len(order))
	for _, name := range order {
		byBatch := cells[name]
		arm := ChartArm{Name: name}
		for _, b := range slices.Sorted(maps.Keys(byBatch)) {
			c := byBatch[b]
			arm.Batches = append(arm.Batches, b)
			arm.Mean = append(arm.Mean, c.sum/float64(c.n))
			arm.Min = append(arm.Min, c.min)
			arm.Max = append(arm.Max, c.max)
			if hasCeiling {
				arm.Ceiling = append(arm.Ceiling, c.ceiling/float64(c.n))
			}
		}
		arms = append(arms, arm)
	}
	return arms
}

// WriteChart writes c as one self-contained HTML page: uPlot and the data
// are inlined, and the page requests nothing over the network.
func WriteChart(w io.Writer, c *Chart) error {
	data, err := chartData(c)
	if err != nil {
		return fmt.Errorf("write chart: %w", err)
	}

	tmpl, err := template.New("chart").Funcs(template.FuncMap{
		"reward": formatRewardRange,
		"events": formatEventsRange,
	}).Parse(chartTemplate)
	if err != nil {
		return fmt.Errorf("write chart: parse template: %w", err)
	}

	err = tmpl.Execute(w, map[string]any{
		"Chart":    c,
		"Data":     template.JS(data),
		"UPlotJS":  template.JS(uplotJS),
		"UPlotCSS": template.CSS(uplotCSS),
	})
	if err != nil {
		return fmt.Errorf("write chart: %w", err)
	}
	return nil
}

// WriteChartFile writes the chart to path, replacing any file there only
// once the new one is complete.
func WriteChartFile(path string, c *Chart) error {
	return writeFileAtomic(path, func(w io.Writer) error { return WriteChart(w, c) })
}

// chartSeries is the JSON the page script reads: one shared x axis of batch
// indexes and, per arm, its series aligned on it (null where an arm has no
// value for a batch).
type chartSeries struct {
	X         []int     `json:"x"`
	Arms      []armJSON `json:"arms"`
	BatchSize int       `json:"batchSize"`
}

type armJSON struct {
	Name    string      `json:"name"`
	Mean    []jsonFloat `json:"mean"`
	Min     []jsonFloat `json:"min"`
	Max     []jsonFloat `json:"max"`
	Ceiling []jsonFloat `json:"ceiling"`
}

func chartData(c *Chart) ([]byte, error) {
	seen := map[string]bool{}
	xs := map[int]bool{}
	for _, a := range c.Arms {
		if a.Name == "" {
			return nil, fmt.Errorf("arm with an empty name")
		}
		if seen[a.Name] {
			return nil, fmt.Errorf("arm %q listed twice", a.Name)
		}
		seen[a.Name] = true
		n := len(a.Batches)
		if len(a.Mean) != n || len(a.Min) != n || len(a.Max) != n || (a.Ceiling != nil && len(a.Ceiling) != n) {
			return nil, fmt.Errorf("arm %q: %d batches but %d means, %d minimums, %d maximums, %d ceilings",
				a.Name, n, len(a.Mean), len(a.Min), len(a.Max), len(a.Ceiling))
		}
		for _, b := range a.Batches {
			xs[b] = true
		}
	}

	// Empty slices, not nil, so the page script always gets arrays.
	out := chartSeries{X: slices.Sorted(maps.Keys(xs)), Arms: []armJSON{}, BatchSize: c.BatchSize}
	if out.X == nil {
		out.X = []int{}
	}
	index := make(map[int]int, len(out.X))
	for i, x := range out.X {
		index[x] = i
	}
	for _, a := range c.Arms {
		aligned := func(values []float64) []jsonFloat {
			if values == nil {
				return nil
			}
			col := make([]jsonFloat, len(out.X))
			for i := range col {
				col[i] = jsonFloat(math.NaN())
			}
			for i, b := range a.Batches {
				col[index[b]] = jsonFloat(values[i])
			}
			return col
		}
		out.Arms = append(out.Arms, armJSON{
			Name: a.Name, Mean: aligned(a.Mean), Min: aligned(a.Min), Max: aligned(a.Max), Ceiling: aligned(a.Ceiling),
		})
	}
	return json.Marshal(out)
}

// jsonFloat encodes with six significant digits, and NaN and infinities as
// null, which uPlot draws as a gap.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', 6, 64), nil
}

func formatRewardRange(r Range) string {
	return fmt.Sprintf("%.3f (%.3f–%.3f)", r.Median, r.Min, r.Max)
}

func formatEventsRange(r Range) string {
	event := func(v float64) string {
		if v < 0 {
			return "never"
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprintf("%s (%s–%s)", event(r.Median), event(r.Min), event(r.Max))
}
