package local

// learnEvent trains the model on one event with the observed cost (minus the
// reward) of the chosen action, following the policy's --cb_type as VW 9's
// cb_adf reduction does:
//
//   - mtr regresses the cost of the chosen action only, with importance
//     weight 1/p times the events seen per action seen (1/K for K actions);
//   - ips regresses every action on cost/p for the chosen and 0 for the
//     others, with weight 1;
//   - dr keeps a second model that regresses the chosen action's cost, with
//     importance weight 1/p, and regresses every action on that model's
//     estimate, corrected by (cost - estimate)/p for the chosen one.
//
// The caller holds l.mu.
func (l *Loop) learnEvent(ev *event, cost float32) {
	acts := ev.actions
	p := ev.prob
	if p <= 0 {
		p = 1e-3 // VW replaces impossible probabilities by 1e-3
	}

	switch l.lrn.cbType {
	case CBTypeMTR:
		l.lrn.eventSum++
		l.lrn.actionSum += float64(acts.Len())
		weight := (1 / p) * (float32(l.lrn.eventSum) / float32(l.lrn.actionSum))
		terms := l.actionTerms(ev, ev.chosen)
		if ev.scoredAt == l.lrn.version {
			l.lrn.learnFrom(terms, 0, cost, weight, ev.score)
		} else {
			l.lrn.learn(terms, 0, cost, weight)
		}

	case CBTypeIPS:
		for i := range acts.items {
			var label float32
			if i == ev.chosen {
				label = cost / p
			}
			l.lrn.learn(l.actionTerms(ev, i), 0, label, 1)
		}

	case CBTypeDR:
		// First the reward model estimates every action and learns the
		// chosen one, then the policy model learns every estimate.
		l.labels = l.labels[:0]
		for i := range acts.items {
			terms := l.actionTerms(ev, i)
			if i != ev.chosen {
				l.labels = append(l.labels, l.lrn.predictClipped(terms, 1))
				continue
			}
			estimate := l.lrn.learn(terms, 1, cost, 1/p)
			l.labels = append(l.labels, estimate+(cost-estimate)/p)
		}
		for i := range acts.items {
			l.lrn.learn(l.actionTerms(ev, i), 0, l.labels[i], 1)
		}
	}
}

// actionTerms returns the terms of action i of the event: the cached ones
// while they are current, else freshly expanded into l.terms. The caller
// holds l.mu.
func (l *Loop) actionTerms(ev *event, i int) []term {
	if ev.terms != nil && ev.terms.gen == l.cache.gen {
		return ev.terms.action(i)
	}
	l.terms = l.exp.expand(&ev.context.set, &ev.actions.items[i], l.terms)
	return l.terms
}
