package reward

import (
	"math"
)

// Reward evaluates the formula for one event and checks the value: it must
// be a finite number in [-1, 1]. A formula compiled with Clamp brings a
// finite value outside the range to the nearest bound and reports clamped.
//
// A value that fails the checks is a *ValueError; a failure while
// evaluating, such as a helper called with the wrong type, is a positioned
// *Error.
func (f *Formula) Reward(m *Machine, env *Env) (value float64, clamped bool, err error) {
	// The program was checked against Env but runs on *Env: expr reads
	// struct fields through pointers, and the pointer saves boxing a copy
	// of Env for every call (about 100 bytes and a third of the time in
	// BenchmarkRewardExactMatch).
	out, err := m.vm.Run(f.program, env)
	if err != nil {
		return 0, false, newError(f.src, f.pos, err)
	}

	v, ok := toFloat(out)
	switch {
	case out == nil:
		return 0, false, &ValueError{Value: out, Reason: "not a number: a key the formula reads is probably missing; use a ?? b for a default"}
	case isBool(out):
		return 0, false, &ValueError{Value: out, Reason: "not a number: write cond ? 1 : 0, or num(cond)"}
	case !ok:
		return 0, false, &ValueError{Value: out, Reason: "not a number"}
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, false, &ValueError{Value: out, Reason: "a reward must be a finite number"}
	case v < -1 || v > 1:
		if !f.clamp {
			return 0, false, &ValueError{Value: out, Reason: "outside [-1, 1]: scale the formula, or set clamp_rewards: true to cut values to the range"}
		}
		return math.Max(-1, math.Min(1, v)), true, nil
	}
	return v, false, nil
}

// Value evaluates the formula for one event and returns its value as it is,
// for the expected formula. A nil value, which a missing map key gives, is
// a *ValueError. The value may point into a dataset and must not be
// modified.
func (f *Formula) Value(m *Machine, env *Env) (any, error) {
	out, err := m.vm.Run(f.program, env)
	if err != nil {
		return nil, newError(f.src, f.pos, err)
	}
	if out == nil {
		return nil, &ValueError{Value: out, Reason: "a key the formula reads is probably missing from its map"}
	}
	return out, nil
}

// toFloat converts any Go number to float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case float32:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case int16:
		return float64(n), true
	case int8:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint8:
		return float64(n), true
	}
	return 0, false
}

func isBool(v any) bool {
	_, ok := v.(bool)
	return ok
}
