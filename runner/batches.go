package runner

// batchStats are the sums of one batch of one run.
type batchStats struct {
	batch      int
	events     int
	rewardSum  float64
	bestSum    float64
	ceilingSum float64
	explored   int
	matches    int
}

func (b batchStats) mean() float64 {
	if b.events == 0 {
		return 0
	}
	return b.rewardSum / float64(b.events)
}
