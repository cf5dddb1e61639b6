package results

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// BatchRow is one row of batches.parquet: the figures of one batch of one
// run.
type BatchRow struct {
	Experiment string
	Arm        string
	Repetition int32
	Batch      int32 // 0-based index of the batch in its run
	Events     int64 // events in the batch; the last batch of a run may be short
	RewardSum  float64
	RewardMean float64

	// Accuracy is the share of the batch's events whose chosen action equals
	// the expected one. It is written only when the experiment defines
	// expected (WriteBatches' hasExpected), else the column is NULL.
	Accuracy float64
	// AccuracyUndefined writes NULL to accuracy for this row even when the
	// file has the column: its arm defines no expected value. ReadBatches
	// sets it for every row whose accuracy is NULL.
	AccuracyUndefined bool

	// BestRewardMean is the mean of the best reward any action would have
	// earned. CeilingMean is the mean of (1-ε)·best + ε·(mean reward over all
	// actions), the reward of a policy that always knew the best action under
	// the same exploration ε. Both are written only when the simulation
	// scores every action (WriteBatches' hasBest), else the columns are NULL.
	BestRewardMean float64
	CeilingMean    float64

	ExploredShare float64 // share of the batch's events whose action was explored
}

// batchRecord is the Parquet layout of a BatchRow.
type batchRecord struct {
	Experiment     string   `parquet:"experiment,dict"`
	Arm            string   `parquet:"arm,dict"`
	Repetition     int32    `parquet:"repetition"`
	Batch          int32    `parquet:"batch"`
	Events         int64    `parquet:"events"`
	RewardSum      float64  `parquet:"reward_sum"`
	RewardMean     float64  `parquet:"reward_mean"`
	Accuracy       *float64 `parquet:"accuracy,optional"`
	BestRewardMean *float64 `parquet:"best_reward_mean,optional"`
	CeilingMean    *float64 `parquet:"ceiling_mean,optional"`
	ExploredShare  float64  `parquet:"explored_share"`
}

// WriteBatches writes rows to a new batches.parquet at path, replacing any
// file there only once the new one is complete. hasExpected marks the
// Accuracy fields as valid, and hasBest the BestRewardMean and CeilingMean
// fields. The columns of fields not marked valid are NULL. The footer gets one key/value
// entry per entry of meta.
func WriteBatches(path string, rows []BatchRow, hasExpected, hasBest bool, meta map[string]string) error {
	return writeFileAtomic(path, func(out io.Writer) error {
		w := parquet.NewGenericWriter[batchRecord](out, writerOptions(meta)...)
		buf := make([]batchRecord, 0, writeBatchRows)
		for i := range rows {
			buf = append(buf, recordOf(&rows[i], hasExpected, hasBest))
			if len(buf) == cap(buf) || i == len(rows)-1 {
				if _, err := w.Write(buf); err != nil {
					return fmt.Errorf("write batches: %w", err)
				}
				buf = buf[:0]
			}
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("write batches footer: %w", err)
		}
		return nil
	})
}

func recordOf(r *BatchRow, hasExpected, hasBest bool) batchRecord {
	rec := batchRecord{
		Experiment:    r.Experiment,
		Arm:           r.Arm,
		Repetition:    r.Repetition,
		Batch:         r.Batch,
		Events:        r.Events,
		RewardSum:     r.RewardSum,
		RewardMean:    r.RewardMean,
		ExploredShare: r.ExploredShare,
	}
	if hasExpected && !r.AccuracyUndefined {
		rec.Accuracy = &r.Accuracy
	}
	if hasBest {
		rec.BestRewardMean = &r.BestRewardMean
		rec.CeilingMean = &r.CeilingMean
	}
	return rec
}

// ReadBatches reads a batches.parquet file. hasExpected and hasBest report
// whether the accuracy and the best reward columns hold a value in any row.
// NULLs read as 0, and a NULL accuracy sets AccuracyUndefined.
func ReadBatches(path string) (rows []BatchRow, hasExpected, hasBest bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, false, fmt.Errorf("read batches: %w", err)
	}
	defer f.Close()

	st, err := f.Stat()
	if err != nil {
		return nil, false, false, fmt.Errorf("read batches: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, false, false, fmt.Errorf("read batches %s: %w", path, err)
	}
	if want := parquet.SchemaOf(batchRecord{}); !parquet.EqualNodes(pf.Schema(), want) {
		return nil, false, false, fmt.Errorf("read batches %s: columns %v are not those of batches.parquet %v",
			path, columnNames(pf.Schema()), columnNames(want))
	}

	r := parquet.NewGenericReader[batchRecord](pf)
	defer r.Close()
	buf := make([]batchRecord, writeBatchRows)
	for {
		n, err := r.Read(buf)
		for i := range buf[:n] {
			rec := &buf[i]
			// Arms without an expected value write NULL accuracy, so the
			// first row alone cannot show whether the file has accuracy.
			hasExpected = hasExpected || rec.Accuracy != nil
			hasBest = hasBest || rec.BestRewardMean != nil
			rows = append(rows, BatchRow{
				Experiment:        rec.Experiment,
				Arm:               rec.Arm,
				Repetition:        rec.Repetition,
				Batch:             rec.Batch,
				Events:            rec.Events,
				RewardSum:         rec.RewardSum,
				RewardMean:        rec.RewardMean,
				Accuracy:          deref(rec.Accuracy),
				AccuracyUndefined: rec.Accuracy == nil,
				BestRewardMean:    deref(rec.BestRewardMean),
				CeilingMean:       deref(rec.CeilingMean),
				ExploredShare:     rec.ExploredShare,
			})
		}
		if errors.Is(err, io.EOF) {
			return rows, hasExpected, hasBest, nil
		}
		if err != nil {
			return nil, false, false, fmt.Errorf("read batches %s: %w", path, err)
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
