package results

import (
	"math"

	"github.com/parquet-go/parquet-go"
)

// columnFiller appends the Parquet values of one column for rows to dst.
type columnFiller func(dst []parquet.Value, rows []EventRow) []parquet.Value

// fillers returns one columnFiller per column, in column order.
//
// Building a parquet.Value and setting its levels costs far more than
// copying one, so each filler reuses the previous row's value when the
// field has not changed. Consecutive events of a run share the experiment,
// arm, seed and often the batch, model version and reward status.
func (l *eventLayout) fillers() []columnFiller {
	f := make([]columnFiller, l.columns)

	f[l.experiment] = stringColumn(l.experiment, func(r *EventRow) string { return r.Experiment })
	f[l.arm] = stringColumn(l.arm, func(r *EventRow) string { return r.Arm })
	f[l.repetition] = int32Column(l.repetition, func(r *EventRow) int32 { return r.Repetition })
	f[l.seed] = int64Column(l.seed, func(r *EventRow) int64 { return r.Seed })
	f[l.event] = int64Column(l.event, func(r *EventRow) int64 { return r.Event })
	f[l.batch] = int32Column(l.batch, func(r *EventRow) int32 { return r.Batch })
	f[l.eventID] = stringColumn(l.eventID, func(r *EventRow) string { return r.EventID })

	for i, c := range l.spec.Context {
		f[l.context+i] = contextColumn(l.context+i, i, c.Kind)
	}

	f[l.action] = stringColumn(l.action, func(r *EventRow) string { return r.Action })
	f[l.probability] = doubleColumn(l.probability, false, func(r *EventRow) (float64, bool) { return r.Probability, true })
	f[l.reward] = doubleColumn(l.reward, false, func(r *EventRow) (float64, bool) { return r.Reward, true })
	if l.expected >= 0 {
		f[l.expected] = optionalStringColumn(l.expected, func(r *EventRow) (string, bool) { return r.Expected, r.HasExpected })
	}
	f[l.bestReward] = doubleColumn(l.bestReward, true, func(r *EventRow) (float64, bool) { return r.BestReward, r.HasBestReward })
	f[l.explored] = boolColumn(l.explored, func(r *EventRow) bool { return r.Explored })
	f[l.modelVersion] = int64Column(l.modelVersion, func(r *EventRow) int64 { return r.ModelVersion })
	f[l.rewardStatus] = stringColumn(l.rewardStatus, func(r *EventRow) string { return r.RewardStatus })
	f[l.clamped] = boolColumn(l.clamped, func(r *EventRow) bool { return r.Clamped })
	f[l.rankMS] = doubleColumn(l.rankMS, true, func(r *EventRow) (float64, bool) { return r.RankMS, r.HasRankMS })
	f[l.rewardMS] = doubleColumn(l.rewardMS, true, func(r *EventRow) (float64, bool) { return r.RewardMS, r.HasRewardMS })
	return f
}

func stringColumn(column int, get func(*EventRow) string) columnFiller {
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last  string
			value parquet.Value
		)
		for i := range rows {
			s := get(&rows[i])
			if i == 0 || s != last {
				last, value = s, parquet.ByteArrayValue(bytesOf(s)).Level(0, 0, column)
			}
			dst = append(dst, value)
		}
		return dst
	}
}

func optionalStringColumn(column int, get func(*EventRow) (string, bool)) columnFiller {
	null := parquet.NullValue().Level(0, 0, column)
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last  string
			value parquet.Value
			have  bool
		)
		for i := range rows {
			s, ok := get(&rows[i])
			switch {
			case !ok:
				dst = append(dst, null)
				continue
			case !have || s != last:
				last, value, have = s, parquet.ByteArrayValue(bytesOf(s)).Level(0, 1, column), true
			}
			dst = append(dst, value)
		}
		return dst
	}
}

func int32Column(column int, get func(*EventRow) int32) columnFiller {
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last  int32
			value parquet.Value
		)
		for i := range rows {
			v := get(&rows[i])
			if i == 0 || v != last {
				last, value = v, parquet.Int32Value(v).Level(0, 0, column)
			}
			dst = append(dst, value)
		}
		return dst
	}
}

func int64Column(column int, get func(*EventRow) int64) columnFiller {
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last  int64
			value parquet.Value
		)
		for i := range rows {
			v := get(&rows[i])
			if i == 0 || v != last {
				last, value = v, parquet.Int64Value(v).Level(0, 0, column)
			}
			dst = append(dst, value)
		}
		return dst
	}
}

// doubleColumn fills a DOUBLE column, optional when optional is set. For a
// required column get must always report true.
func doubleColumn(column int, optional bool, get func(*EventRow) (float64, bool)) columnFiller {
	null := parquet.NullValue().Level(0, 0, column)
	definition := 0
	if optional {
		definition = 1
	}
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last  uint64
			value parquet.Value
			have  bool
		)
		for i := range rows {
			v, ok := get(&rows[i])
			if !ok {
				dst = append(dst, null)
				continue
			}
			// Compare bits, so that NaN matches itself and -0 differs from 0.
			if bits := math.Float64bits(v); !have || bits != last {
				last, value, have = bits, parquet.DoubleValue(v).Level(0, definition, column), true
			}
			dst = append(dst, value)
		}
		return dst
	}
}

// contextColumn fills the optional column of context feature index.
func contextColumn(column, index int, kind Kind) columnFiller {
	switch kind {
	case KindString:
		return contextColumnOf(column, index, func(v *Value) string { return v.Str },
			func(v *Value) parquet.Value { return parquet.ByteArrayValue(bytesOf(v.Str)) })
	case KindFloat64:
		// Compare bits, so that NaN matches itself and -0 differs from 0.
		return contextColumnOf(column, index, func(v *Value) uint64 { return math.Float64bits(v.Num) },
			func(v *Value) parquet.Value { return parquet.DoubleValue(v.Num) })
	case KindInt64:
		return contextColumnOf(column, index, func(v *Value) int64 { return v.Int },
			func(v *Value) parquet.Value { return parquet.Int64Value(v.Int) })
	default:
		return contextColumnOf(column, index, func(v *Value) bool { return v.Bool },
			func(v *Value) parquet.Value { return parquet.BooleanValue(v.Bool) })
	}
}

// contextColumnOf fills a context column whose values compare by key.
func contextColumnOf[K comparable](column, index int, key func(*Value) K, value func(*Value) parquet.Value) columnFiller {
	null := parquet.NullValue().Level(0, 0, column)
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		var (
			last K
			pv   parquet.Value
			have bool
		)
		for i := range rows {
			v := &rows[i].Context[index]
			if v.Null {
				dst = append(dst, null)
				continue
			}
			if k := key(v); !have || k != last {
				last, pv, have = k, value(v).Level(0, 1, column), true
			}
			dst = append(dst, pv)
		}
		return dst
	}
}

func boolColumn(column int, get func(*EventRow) bool) columnFiller {
	yes := parquet.BooleanValue(true).Level(0, 0, column)
	no := parquet.BooleanValue(false).Level(0, 0, column)
	return func(dst []parquet.Value, rows []EventRow) []parquet.Value {
		for i := range rows {
			if get(&rows[i]) {
				dst = append(dst, yes)
			} else {
				dst = append(dst, no)
			}
		}
		return dst
	}
}
