package results

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rankloop/rankloop/results/testtools"
)

func makeBatches(arms []string, repetitions, batches int) []BatchRow {
	var rows []BatchRow
	for _, arm := range arms {
		for rep := range repetitions {
			for b := range batches {
				mean := 0.2 + 0.6*float64(b)/float64(batches)
				rows = append(rows, BatchRow{
					Experiment: "coffee", Arm: arm, Repetition: int32(rep), Batch: int32(b), Events: 100,
					RewardSum: mean * 100, RewardMean: mean, Accuracy: mean, BestRewardMean: 1,
					CeilingMean: 0.85, ExploredShare: 0.2,
				})
			}
		}
	}
	return rows
}

func TestBatchesRoundTrip(t *testing.T) {
	for _, tt := range []struct{ hasExpected, hasBest bool }{{true, true}, {false, false}, {true, false}} {
		t.Run(fmt.Sprintf("expected=%v,best=%v", tt.hasExpected, tt.hasBest), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "batches.parquet")
			want := makeBatches([]string{"tutorial-policy", "optimized-policy"}, 3, 1500)
			if err := WriteBatches(path, want, tt.hasExpected, tt.hasBest, testMeta); err != nil {
				t.Fatal(err)
			}

			got, hasExpected, hasBest, err := ReadBatches(path)
			if err != nil {
				t.Fatal(err)
			}
			if hasExpected != tt.hasExpected || hasBest != tt.hasBest {
				t.Errorf("ReadBatches flags = %v, %v; want %v, %v", hasExpected, hasBest, tt.hasExpected, tt.hasBest)
			}
			for i := range want {
				if !tt.hasExpected {
					want[i].Accuracy, want[i].AccuracyUndefined = 0, true
				}
				if !tt.hasBest {
					want[i].BestRewardMean, want[i].CeilingMean = 0, 0
				}
			}
			if len(got) != len(want) {
				t.Fatalf("read %d rows, wrote %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("row %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestBatchesDuckDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batches.parquet")
	rows := makeBatches([]string{"tutorial-policy", "optimized-policy"}, 4, 10000)
	if err := WriteBatches(path, rows, true, false, testMeta); err != nil {
		t.Fatal(err)
	}

	report := testtools.ParquetCheck(t, path,
		"SELECT arm, count(*) AS n, sum(events) AS events, round(avg(reward_mean), 6) AS mean, "+
			"count(accuracy) AS accuracies, count(best_reward_mean) AS bests, count(ceiling_mean) AS ceilings "+
			"FROM f GROUP BY arm ORDER BY arm")

	wantColumns := []string{"experiment VARCHAR", "arm VARCHAR", "repetition INTEGER", "batch INTEGER",
		"events BIGINT", "reward_sum DOUBLE", "reward_mean DOUBLE", "accuracy DOUBLE", "best_reward_mean DOUBLE",
		"ceiling_mean DOUBLE", "explored_share DOUBLE"}
	var columns []string
	for _, c := range report.Describe {
		columns = append(columns, c.Name+" "+c.Type)
	}
	if !slices.Equal(columns, wantColumns) {
		t.Errorf("columns = %v\nwant %v", columns, wantColumns)
	}

	var arms []string
	for _, r := range report.Queries[0] {
		arms = append(arms, fmt.Sprintf("%v n=%v events=%v mean=%v acc=%v best=%v ceil=%v",
			r["arm"], r["n"], r["events"], r["mean"], r["accuracies"], r["bests"], r["ceilings"]))
	}
	want := "optimized-policy n=40000 events=4e+06 mean=0.49997 acc=40000 best=0 ceil=0; " +
		"tutorial-policy n=40000 events=4e+06 mean=0.49997 acc=40000 best=0 ceil=0"
	if got := strings.Join(arms, "; "); got != want {
		t.Errorf("per arm: %s\nwant %s", got, want)
	}

	checkParquetLayout(t, path, report, []int64{65536, 14464})
	if report.KV["rankloop.tool_version"] != "test" {
		t.Errorf("footer rankloop.tool_version = %q, want test", report.KV["rankloop.tool_version"])
	}
}

func TestReadBatchesRejectsEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.parquet")
	writeEventFile(t, path, testSchema, makeRows("a", 0, 10))
	if _, _, _, err := ReadBatches(path); err == nil || !strings.Contains(err.Error(), "not those of batches.parquet") {
		t.Errorf("ReadBatches(events file) error = %v, want a column mismatch", err)
	}
}

// TestReadBatchesAccuracyOfLaterArm checks a file whose first arm has no
// expected value and whose second arm has one: the file holds accuracy
// values, so ReadBatches reports them.
func TestReadBatchesAccuracyOfLaterArm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batches.parquet")
	rows := makeBatches([]string{"no-expected", "with-expected"}, 1, 3)
	for i := range rows {
		rows[i].AccuracyUndefined = rows[i].Arm == "no-expected"
	}
	if err := WriteBatches(path, rows, true, true, testMeta); err != nil {
		t.Fatal(err)
	}

	got, hasExpected, _, err := ReadBatches(path)
	if err != nil {
		t.Fatal(err)
	}
	if !hasExpected {
		t.Error("ReadBatches reports no accuracy, but the second arm's rows have it")
	}
	for i, r := range got {
		if r.AccuracyUndefined != rows[i].AccuracyUndefined {
			t.Errorf("row %d (arm %s): accuracy undefined = %v, want %v", i, r.Arm, r.AccuracyUndefined, rows[i].AccuracyUndefined)
		}
	}
}
