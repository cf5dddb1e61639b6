package runner

import "fmt"

// warnings lists the problems of the loaded experiment that do not stop
// a run: the grid's own, then the policies'.
func (l *loader) warnings(exp *Experiment) []string {
	var out []string
	if exp.Events < MovingAverageWindow {
		out = append(out, fmt.Sprintf("%s:%d:%d: events %d is fewer than %d, the window of the summary's moving average, so the moving average never fills and \"events to threshold\" is always never; run at least %d events",
			exp.File, l.eventsLine, l.eventsColumn, exp.Events, MovingAverageWindow, MovingAverageWindow))
	}
	return append(out, interactionWarnings(exp)...)
}
