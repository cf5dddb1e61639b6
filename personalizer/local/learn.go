package local

import "math"

// Each weight slot of the training table holds four float32 values, as in
// VW's adaptive, normalized update.
const (
	slotWeight     = 0 // the weight
	slotAdaptive   = 1 // sum of squared gradients (AdaGrad)
	slotNormalizer = 2 // largest |x| seen for this feature
	slotRate       = 3 // the feature's rate decay, kept between the two passes of an update
	slotStride     = 4
)

// Extremes VW clamps feature values to before it squares them.
const (
	xMin  float32 = 1.084202e-19
	x2Min         = xMin * xMin
)

// normState is VW's per-model normalization state.
type normState struct {
	sumNormX    float64 // importance-weighted sum of the examples' normalized squared norms
	totalWeight float64 // sum of importance weights
}

// learner is the training model: VW 9's gd reduction with its defaults
// (adaptive, normalized, invariant updates on squared loss) under the
// contextual-bandit reduction of the policy's --cb_type.
type learner struct {
	table  []float32 // slotStride floats per weight
	mask   uint32
	cbType string

	eta          float32
	powerT       float32
	sqrtRate     bool    // power_t is 0.5: VW's inverse square root path
	negNormPower float32 // power_t - 1
	l1, l2       float64

	states             [2]normState // one per model: model 1 is the reward regressor of --cb_type dr
	minLabel, maxLabel float32      // labels seen; predictions are clipped to them for the update
	gravity            float64      // accumulated L1 truncation
	contraction        float64      // accumulated L2 shrinkage
	eventSum           float64      // events learned by mtr
	actionSum          float64      // actions of those events

	// dirty records written weights for the serving model; nil when the
	// serving model reads the training table itself.
	dirty *dirtySet

	// nanUpdates counts updates that came out NaN and were skipped.
	nanUpdates int64

	// version changes whenever a prediction may change: on every update,
	// regularization step, reset or new configuration.
	version uint64
}

func newLearner(p *Policy) *learner {
	l := &learner{
		table:  make([]float32, slotStride<<p.Bits),
		mask:   uint32(1)<<p.Bits - 1,
		cbType: p.CBType,
	}
	l.configure(p)
	l.reset()
	return l
}

// configure takes the learning rate, decay and regularization from p,
// keeping the weights.
func (l *learner) configure(p *Policy) {
	l.version++
	l.eta = float32(p.LearningRate)
	l.powerT = float32(p.PowerT)
	l.sqrtRate = p.PowerT == 0.5

	// VW keeps these in float32 and computes power_t - 1 in float32.
	l.negNormPower = float32(p.PowerT) - 1
	l.l1, l.l2 = float64(float32(p.L1)), float64(float32(p.L2))
}

// reset zeroes the weights and the state learned with them.
func (l *learner) reset() {
	l.version++
	clear(l.table)
	l.states = [2]normState{}
	l.minLabel, l.maxLabel = 0, 0
	l.gravity, l.contraction = 0, 1
	l.eventSum, l.actionSum = 0, 0
	if l.dirty != nil {
		l.dirty.all = true
	}
}

// view returns the training model as a [modelView].
func (l *learner) view() modelView {
	v := modelView{w: l.table, stride: slotStride, contraction: float32(l.contraction)}
	if l.l1 > 0 {
		v.gravity = float32(l.gravity)
	}
	return v
}

// predictClipped returns the model's prediction clipped to the labels seen.
func (l *learner) predictClipped(terms []term, model uint32) float32 {
	v := l.view()
	return l.clip(v.predict(terms, model, l.mask))
}

func (l *learner) clip(p float32) float32 {
	switch {
	case p != p: // NaN: VW predicts 0
		return 0
	case p > l.maxLabel:
		return l.maxLabel
	case p < l.minLabel:
		return l.minLabel
	}
	return p
}

// learn trains model on one example with the given label and importance
// weight, and returns the clipped prediction made before the update.
func (l *learner) learn(terms []term, model uint32, label, weight float32) float32 {
	v := l.view()
	return l.learnFrom(terms, model, label, weight, v.predict(terms, model, l.mask))
}

// learnFrom is learn given the example's raw score under the current
// weights, which the caller may have kept from ranking.
func (l *learner) learnFrom(terms []term, model uint32, label, weight, raw float32) float32 {
	l.minLabel = min(l.minLabel, label)
	l.maxLabel = max(l.maxLabel, label)

	pred := l.clip(raw)
	if (pred-label)*(pred-label) <= 0 || weight <= 0 {
		return pred
	}
	l.version++

	multiplier, perUpdate := l.normalize(terms, model, pred, label, weight)
	update := l.invariantUpdate(pred, label, l.eta*weight, perUpdate)
	update = l.regularize(update, pred, label)
	if update != update {
		l.nanUpdates++
		return pred
	}

	if update != 0 {
		update *= multiplier
		for _, t := range terms {
			if !(t.x > -math.MaxFloat32 && t.x < math.MaxFloat32) {
				continue // VW skips infinite feature values
			}
			slot := (t.slot + model) & l.mask
			w := l.table[slot*slotStride : slot*slotStride+slotStride : slot*slotStride+slotStride]
			w[slotWeight] += float32(update * (t.x * w[slotRate]))
			if l.dirty != nil {
				l.dirty.mark(slot)
			}
		}
	}

	if l.contraction < 1e-9 || l.gravity > 1e3 {
		l.syncWeights()
	}
	return pred
}

// normalize is VW's first pass over the features of an update. It adds the
// squared gradient to every feature's adaptive sum and raises the
// normalizers, rescaling the weights so past updates keep their meaning.
// It stores each feature's rate decay and returns the update multiplier and
// the prediction's change per unit of update.
func (l *learner) normalize(terms []term, model uint32, pred, label, weight float32) (multiplier, perUpdate float32) {
	gradSquared := weight * (4 * (pred - label) * (pred - label))

	var normX float32
	for _, t := range terms {
		slot := (t.slot + model) & l.mask
		w := l.table[slot*slotStride : slot*slotStride+slotStride : slot*slotStride+slotStride]

		x := t.x
		x2 := x * x
		if x2 < x2Min {
			x, x2 = xMin, x2Min
			if t.x < 0 {
				x = -xMin
			}
		}

		w[slotAdaptive] += float32(gradSquared * x2)

		if ax := abs32(x); ax > w[slotNormalizer] {
			if w[slotNormalizer] > 0 {
				w[slotWeight] *= l.rescale(w[slotNormalizer], ax)
				if l.dirty != nil {
					l.dirty.mark(slot)
				}
			}
			w[slotNormalizer] = ax
		}

		// A normalizer of 1, the usual case, skips two exact divisions.
		s := w[slotNormalizer]
		s2 := s * s
		switch {
		case x2 > math.MaxFloat32:
			normX++
		case s2 == 1:
			normX += x2
		default:
			normX += x2 / s2
		}

		if l.powerT == 0 && s2 == 1 {
			w[slotRate] = 1
		} else {
			w[slotRate] = l.rateDecay(w[slotAdaptive], s)
		}
		perUpdate += float32(x2 * w[slotRate])
	}

	st := &l.states[model]
	st.sumNormX += float64(float64(weight) * float64(normX))
	st.totalWeight += float64(weight)
	multiplier = l.updateMultiplier(float32(st.totalWeight), float32(st.sumNormX))
	return multiplier, perUpdate * multiplier
}

// The functions below round in float32 where VW 9's gd.cc does, in the same
// order. With power_t 0 they divide in float32 and take no powers.
//
// NOTE: math.Exp and math.Pow results are rounded from float64 to float32.
// VW calls expf and powf, and those of glibc 2.36 differ from that rounding
// by one unit in the last place for about 0.04% (expf) and 0.06% (powf) of
// the arguments measured, so weights can drift from VW's by float32
// rounding after such a call.

// rateDecay is a feature's learning-rate factor: G^-power_t from its
// adaptive sum G, times (s^2)^(power_t-1) from its normalizer s.
//
// NOTE: for power_t 0.5, VW's x86 builds compute 1/sqrt(G) with the SSE
// rsqrtss approximation, whose relative error reaches 2.6e-4 on an AMD EPYC
// and whose results, VW's source notes, vary between machines. This
// computes 1/sqrt(G) exactly, so rates differ from VW's in the 4th digit.
func (l *learner) rateDecay(adaptive, normalizer float32) float32 {
	switch {
	case l.sqrtRate:
		return 1 / float32(math.Sqrt(float64(adaptive))) * (1 / normalizer)
	case l.powerT == 0:
		return 1 / (normalizer * normalizer)
	}
	return pow32(adaptive, -l.powerT) * pow32(normalizer*normalizer, l.negNormPower)
}

// rescale is the factor a weight takes when its normalizer grows from old
// to new.
func (l *learner) rescale(old, new float32) float32 {
	if l.sqrtRate {
		return old / new
	}
	r := new / old
	if l.powerT == 0 {
		return 1 / (r * r)
	}
	return pow32(r*r, l.negNormPower)
}

// updateMultiplier corrects for the average feature norm seen so far.
func (l *learner) updateMultiplier(totalWeight, sumNormX float32) float32 {
	if l.sqrtRate {
		return float32(math.Sqrt(float64(totalWeight / sumNormX)))
	}
	if l.powerT == 0 {
		return 1 / (sumNormX / totalWeight)
	}
	return pow32(sumNormX/totalWeight, l.negNormPower)
}

// pow32 is x^y rounded to float32.
func pow32(x, y float32) float32 {
	return float32(math.Pow(float64(x), float64(y)))
}

// invariantUpdate is the importance-invariant step of squared loss: the
// update that moves the prediction towards the label as an infinite number
// of infinitesimal steps would.
func (l *learner) invariantUpdate(pred, label, scale, perUpdate float32) float32 {
	if float64(scale*perUpdate) < 1e-6 {
		return 2 * (label - pred) * scale
	}
	return (label - pred) * (1 - float32(math.Exp(float64(-2*scale*perUpdate)))) / perUpdate
}

// regularize applies --l1 and --l2 lazily as VW does: L2 accumulates into a
// contraction of every weight and L1 into a gravity that truncates them at
// prediction time.
func (l *learner) regularize(update, pred, label float32) float32 {
	if (l.l1 == 0 && l.l2 == 0) || math.Abs(float64(update)) <= 1e-8 {
		return update
	}
	derivative := 2 * float64(pred-label)
	etaBar := 0.0
	if math.Abs(derivative) > 1e-8 {
		etaBar = -float64(update) / derivative
		l.contraction *= 1 - float64(l.l2*etaBar)
	}
	update /= float32(l.contraction)
	l.gravity += float64(etaBar * l.l1)
	return update
}

// syncWeights folds the gravity and the contraction into the weights before
// they grow numerically unstable.
func (l *learner) syncWeights() {
	l.version++
	gravity, contraction := float32(l.gravity), float32(l.contraction)
	for i := 0; i < len(l.table); i += slotStride {
		l.table[i] = truncWeight(l.table[i], gravity) * contraction
	}
	l.gravity, l.contraction = 0, 1
	if l.dirty != nil {
		l.dirty.all = true
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
