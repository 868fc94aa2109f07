package lint

// crossCheck runs the checks no API server does: on each Rollout's
// strategy (merged with its profile), on each profile alone, and on each
// template's metrics.
func (l *linter) crossCheck() error {
	for _, d := range l.docs {
		if !d.ramp {
			continue
		}
		switch d.kind {
		case "Rollout", "RolloutProfile", "ClusterRolloutProfile":
			if err := l.checkStrategy(d); err != nil {
				return err
			}
		case "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun":
			l.checkMetrics(d)
		}
	}
	l.checkDuplicates()
	return nil
}

// checkStrategy checks the strategy of a Rollout or profile.
func (l *linter) checkStrategy(d *document) error {
	p, ok, err := l.newPlan(d)
	if err != nil || !ok {
		return err
	}
	if p.rollout {
		if err := l.checkServices(p); err != nil {
			return err
		}
		if err := l.checkRoutes(p); err != nil {
			return err
		}
	}
	if err := l.checkAnalyses(p); err != nil {
		return err
	}
	l.checkSteps(p)
	return nil
}
