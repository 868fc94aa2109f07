package view

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// scenario is a Rollout in some state, with its objects.
type scenario struct {
	name string
	objs Objects
}

// scenarios are the states the golden files show.
func scenarios() []scenario {
	return []scenario{
		{"canary-analysis", canaryAnalysis()},
		{"canary-routed", canaryRouted()},
		{"bluegreen-paused", blueGreenPaused()},
		{"canary-aborted", canaryAborted()},
		{"healthy", healthy()},
		{"canary-profile", canaryProfile()},
		{"canary-judge", canaryJudge()},
		{"canary-gate", canaryGate()},
	}
}

// canaryAnalysis is a canary mid-update at its analysis step (3/8), with a
// run measuring, a background run, and an old revision's passed run.
func canaryAnalysis() Objects {
	ro := newRollout("shop", "web", 4, 30*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{
			setWeightStep(10), pauseStep("1m"), analysisStep("error-rate"), setWeightStep(25),
			pauseStep(""), setWeightStep(50), pauseStep("10m"), setWeightStep(75),
		},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase:            rampv1alpha1.RolloutPhaseProgressing,
		Message:          "Updating to revision 3 (7c9f5d8b6) at step 3/8 (analysis): canary 1/1 available, stable 4/4 available",
		CurrentPodHash:   "7c9f5d8b6",
		StableRS:         "5b8d6c4f9",
		CurrentStepIndex: ptr.To[int32](2),
		Canary: rampv1alpha1.CanaryStatus{
			Weights: &rampv1alpha1.TrafficWeights{
				Canary: rampv1alpha1.WeightDestination{Weight: 10}, Stable: rampv1alpha1.WeightDestination{Weight: 90},
			},
			CurrentStepAnalysisRun:       "web-7c9f5d8b6-2",
			CurrentBackgroundAnalysisRun: "web-7c9f5d8b6-background",
		},
		Replicas: 5, UpdatedReplicas: 1, ReadyReplicas: 4, AvailableReplicas: 4,
	}
	old := newReplicaSet(ro, "4f6a7b8c9", "1", "ghcr.io/acme/web:1.0", 0, 0, 9*day)
	stable := newReplicaSet(ro, "5b8d6c4f9", "2", "ghcr.io/acme/web:2.0", 4, 4, 3*day)
	canary := newReplicaSet(ro, "7c9f5d8b6", "3", "ghcr.io/acme/web:3.0", 1, 0, 2*time.Minute)
	canary.Status.Replicas = 1
	pods := podsOf(&stable, 3*day, "2xk9p", "8fj3q", "c7mzt", "qw4rl")
	pods[1].Status.ContainerStatuses[0].RestartCount = 1
	starting := newPod(&canary, "h5n2v", 2*time.Minute)
	starting.Status.Phase = corev1.PodPending
	starting.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"},
	}}
	pods = append(pods, starting)
	return Objects{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{old, stable, canary},
		Pods:        pods,
		AnalysisRuns: []rampv1alpha1.AnalysisRun{
			newRun(ro, "web-7c9f5d8b6-2", "7c9f5d8b6", rampv1alpha1.AnalysisPhaseRunning,
				"Measuring: error-rate 2 measured, last 0.018; latency-p99 1 measured, last 0.21", 70*time.Second,
				metric{name: "error-rate", success: "result[0] < 0.05", phase: rampv1alpha1.AnalysisPhaseRunning,
					values: []string{"0.012", "0.018"}, valuePhase: rampv1alpha1.AnalysisPhaseSuccessful, lastAt: 5 * time.Second},
				metric{name: "latency-p99", success: "result[0] < 0.3", phase: rampv1alpha1.AnalysisPhaseRunning,
					values: []string{"0.21"}, valuePhase: rampv1alpha1.AnalysisPhaseSuccessful, lastAt: 20 * time.Second}),
			newRun(ro, "web-7c9f5d8b6-background", "7c9f5d8b6", rampv1alpha1.AnalysisPhasePending,
				"", 2*time.Minute, metric{name: "saturation", success: "result[0] < 0.8"}),
			newRun(ro, "web-5b8d6c4f9-2", "5b8d6c4f9", rampv1alpha1.AnalysisPhaseSuccessful,
				"All 1 metrics passed", 3*day,
				metric{name: "error-rate", success: "result[0] < 0.05", phase: rampv1alpha1.AnalysisPhaseSuccessful,
					values: []string{"0.010", "0.020", "0.010"}}),
		},
	}
}

// canaryRouted is a canary with Gateway API traffic routing, paused for
// ten minutes at 50% verified traffic (step 4/6).
func canaryRouted() Objects {
	ro := newRollout("shop", "checkout", 2, 12*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		CanaryService: "checkout-canary", StableService: "checkout",
		TrafficRouting: &rampv1alpha1.RolloutTrafficRouting{GatewayAPI: &rampv1alpha1.GatewayAPITrafficRouting{
			HTTPRoutes: []rampv1alpha1.GatewayAPIRoute{{Name: "checkout"}},
		}},
		Steps: []rampv1alpha1.CanaryStep{
			setWeightStep(20), pauseStep(""), setWeightStep(50), pauseStep("10m"), setWeightStep(80), pauseStep(""),
		},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase:            rampv1alpha1.RolloutPhasePaused,
		Message:          "Paused at step 4/6 (pause 10m) until 2026-03-01T12:07:00Z (canary 1/1 available, stable 2/2 available, traffic 50% canary)",
		CurrentPodHash:   "6d4c8f7b2",
		StableRS:         "59f7c6d8a",
		CurrentStepIndex: ptr.To[int32](3),
		PauseConditions:  []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: ago(3 * time.Minute)}},
		Canary: rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{
			Canary:   rampv1alpha1.WeightDestination{Weight: 50, PodTemplateHash: "6d4c8f7b2", ServiceName: "checkout-canary"},
			Stable:   rampv1alpha1.WeightDestination{Weight: 50, PodTemplateHash: "59f7c6d8a", ServiceName: "checkout"},
			Verified: ptr.To(true),
		}},
		Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	stable := newReplicaSet(ro, "59f7c6d8a", "4", "ghcr.io/acme/checkout:1.8.0", 2, 2, 5*day)
	canary := newReplicaSet(ro, "6d4c8f7b2", "5", "ghcr.io/acme/checkout:1.9.0", 1, 1, 8*time.Minute)
	pods := append(podsOf(&stable, 5*day, "b6t8w", "m2x4z"), podsOf(&canary, 8*time.Minute, "k9d3s")...)
	return Objects{Rollout: ro, ReplicaSets: []appsv1.ReplicaSet{stable, canary}, Pods: pods}
}

// canaryGate is a canary waiting at a gate step (2/3) for its approval
// service, which has answered twice without deciding.
func canaryGate() Objects {
	ro := newRollout("shop", "basket", 2, 20*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{
			setWeightStep(20), {Gate: &rampv1alpha1.RolloutGate{Webhook: rampv1alpha1.GateWebhook{URL: "https://approvals.example/ramp"}}}, setWeightStep(60),
		},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase: rampv1alpha1.RolloutPhasePaused,
		Message: "Waiting at step 2/3 (gate) since 2026-03-01T11:56:00Z for its service to allow revision 7c5d9e8f1: 2 calls, " +
			"last answer HTTP 202: CHG-42 not approved yet; run kubectl ramp promote basket to go on without it or kubectl ramp abort basket to roll back",
		CurrentPodHash:   "7c5d9e8f1",
		StableRS:         "2b4a6c8e0",
		CurrentStepIndex: ptr.To[int32](1),
		PauseConditions:  []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonGate, StartTime: ago(4 * time.Minute)}},
		ControllerPause:  true,
		Gate: &rampv1alpha1.GateStatus{Name: "step 2", PodTemplateHash: "7c5d9e8f1", Decision: rampv1alpha1.GateWaiting,
			StartedAt: ago(4 * time.Minute), LastCheckedAt: ptr.To(ago(10 * time.Second)), Attempts: 2,
			LastAnswer: "HTTP 202: CHG-42 not approved yet"},
		Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	stable := newReplicaSet(ro, "2b4a6c8e0", "9", "ghcr.io/acme/basket:3.1", 2, 2, 6*day)
	canary := newReplicaSet(ro, "7c5d9e8f1", "10", "ghcr.io/acme/basket:3.2", 1, 1, 6*time.Minute)
	pods := append(podsOf(&stable, 6*day, "c3v5b", "n7m9q"), podsOf(&canary, 6*time.Minute, "p2r4t")...)
	return Objects{Rollout: ro, ReplicaSets: []appsv1.ReplicaSet{stable, canary}, Pods: pods}
}

// blueGreenPaused is a blue-green update waiting for promotion, its
// pre-promotion analysis passed.
func blueGreenPaused() Objects {
	ro := newRollout("billing", "payments", 3, 40*day, rampv1alpha1.RolloutStrategy{BlueGreen: &rampv1alpha1.BlueGreenStrategy{
		ActiveService: "payments", PreviewService: "payments-preview", AutoPromotionEnabled: ptr.To(false),
		PrePromotionAnalysis: &rampv1alpha1.RolloutAnalysis{Templates: []rampv1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase: rampv1alpha1.RolloutPhasePaused,
		Message: "Waiting for promotion: preview revision 4 (8b7f6d5c4) 3/3 available; " +
			"run kubectl ramp promote payments to switch the active Service payments to it",
		CurrentPodHash:  "8b7f6d5c4",
		StableRS:        "7a6e5d4c3",
		PauseConditions: []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonBlueGreenPause, StartTime: ago(5 * time.Minute)}},
		BlueGreen: rampv1alpha1.BlueGreenStatus{
			ActiveSelector: "7a6e5d4c3", PreviewSelector: "8b7f6d5c4", PrePromotionAnalysisRun: "payments-8b7f6d5c4-pre",
		},
		Replicas: 6, UpdatedReplicas: 3, ReadyReplicas: 6, AvailableReplicas: 6,
	}
	old := newReplicaSet(ro, "69d5c4b3a", "2", "ghcr.io/acme/payments:4.1", 0, 0, 20*day)
	active := newReplicaSet(ro, "7a6e5d4c3", "3", "ghcr.io/acme/payments:4.2", 3, 3, 6*day)
	preview := newReplicaSet(ro, "8b7f6d5c4", "4", "ghcr.io/acme/payments:4.3", 3, 3, 9*time.Minute)
	pods := append(podsOf(&active, 6*day, "a1b2c", "d3e4f", "g5h6i"), podsOf(&preview, 9*time.Minute, "j7k8l", "m9n0p", "q1r2s")...)
	return Objects{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{old, active, preview},
		Pods:        pods,
		AnalysisRuns: []rampv1alpha1.AnalysisRun{
			newRun(ro, "payments-8b7f6d5c4-pre", "8b7f6d5c4", rampv1alpha1.AnalysisPhaseSuccessful, "All 1 metrics passed",
				7*time.Minute, metric{name: "smoke", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{""}}),
		},
	}
}

// canaryAborted is a canary whose analysis failed: Degraded, the canary
// scaled down with a pod still terminating.
func canaryAborted() Objects {
	ro := newRollout("shop", "search", 3, 90*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{setWeightStep(20), analysisStep("error-rate"), setWeightStep(50), pauseStep("")},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase: rampv1alpha1.RolloutPhaseDegraded,
		Message: "Update to revision 8d7c6b5a4 aborted by analysis run search-8d7c6b5a4-1 failed: " +
			"back on the stable revision 3e2d1c0b9 (stable 3/3 available, 1 old pods terminating); run kubectl ramp retry search to start it again",
		CurrentPodHash:   "8d7c6b5a4",
		StableRS:         "3e2d1c0b9",
		CurrentStepIndex: ptr.To[int32](0),
		Abort:            true,
		AbortedAt:        ptr.To(ago(20 * time.Second)),
		AbortedBy:        "analysis run search-8d7c6b5a4-1 failed",
		Canary: rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{
			Canary: rampv1alpha1.WeightDestination{Weight: 0}, Stable: rampv1alpha1.WeightDestination{Weight: 100},
		}},
		Replicas: 3, UpdatedReplicas: 0, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	stable := newReplicaSet(ro, "3e2d1c0b9", "7", "ghcr.io/acme/search:2.3", 3, 3, 15*day)
	canary := newReplicaSet(ro, "8d7c6b5a4", "8", "ghcr.io/acme/search:2.4", 0, 0, 4*time.Minute)
	canary.Status.Replicas = 1
	pods := podsOf(&stable, 15*day, "f4g5h", "j6k7l", "n8p9q")
	dying := newPod(&canary, "x2y3z", 4*time.Minute)
	dying.DeletionTimestamp = ptr.To(ago(20 * time.Second))
	dying.Status.ContainerStatuses[0].RestartCount = 2
	pods = append(pods, dying)
	return Objects{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{stable, canary},
		Pods:        pods,
		AnalysisRuns: []rampv1alpha1.AnalysisRun{
			newRun(ro, "search-8d7c6b5a4-1", "8d7c6b5a4", rampv1alpha1.AnalysisPhaseFailed,
				"metric error-rate failed: 2 of 2 measurements failed, more than failureLimit 1; last: 0.31", 80*time.Second,
				metric{name: "latency-p99", success: "result[0] < 0.3", phase: rampv1alpha1.AnalysisPhaseSuccessful,
					values: []string{"0.12", "0.14"}, lastAt: 5 * time.Second},
				metric{name: "error-rate", success: "result[0] < 0.05", phase: rampv1alpha1.AnalysisPhaseFailed,
					values: []string{"0.29", "0.31"}}),
		},
	}
}

// healthy is a canary with no update in flight and two old revisions.
func healthy() Objects {
	ro := newRollout("shop", "catalog", 3, 60*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{setWeightStep(25), pauseStep("5m"), setWeightStep(75)},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase:            rampv1alpha1.RolloutPhaseHealthy,
		Message:          "Healthy: 3/3 pods of revision 7 (9a8b7c6d5) available",
		CurrentPodHash:   "9a8b7c6d5",
		StableRS:         "9a8b7c6d5",
		CurrentStepIndex: ptr.To[int32](3),
		Replicas:         3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	current := newReplicaSet(ro, "9a8b7c6d5", "7", "ghcr.io/acme/catalog:5.0", 3, 3, 2*day)
	older := newReplicaSet(ro, "8f7e6d5c4", "6", "ghcr.io/acme/catalog:4.9", 0, 0, 10*day)
	oldest := newReplicaSet(ro, "7e6d5c4b3", "5", "ghcr.io/acme/catalog:4.8", 0, 0, 30*day)
	return Objects{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{oldest, current, older},
		Pods:        podsOf(&current, 2*day, "t5u6v", "w7x8y", "z9a0b"),
		AnalysisRuns: []rampv1alpha1.AnalysisRun{
			newRun(ro, "catalog-8f7e6d5c4-background", "8f7e6d5c4", rampv1alpha1.AnalysisPhaseSuccessful,
				"All 1 metrics passed", 10*day, metric{name: "error-rate", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"0.01"}}),
		},
	}
}

// teamCanary is the strategy of the RolloutProfile team-canary: five
// steps.
func teamCanary() *rampv1alpha1.ProfileStrategy {
	return &rampv1alpha1.ProfileStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{setWeightStep(10), pauseStep(""), setWeightStep(40), pauseStep("5m"), setWeightStep(80)},
	}}
}

// canaryProfile is a canary whose Rollout names the RolloutProfile
// team-canary and writes only its Services; the steps come from the
// profile (generation 3) recorded in the status. Paused at step 2/5.
func canaryProfile() Objects {
	ro := newRollout("shop", "cart", 2, 20*day, rampv1alpha1.RolloutStrategy{
		ProfileRef: &rampv1alpha1.ProfileReference{Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary"},
		Canary:     &rampv1alpha1.CanaryStrategy{CanaryService: "cart-canary", StableService: "cart"},
	})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase:            rampv1alpha1.RolloutPhasePaused,
		Message:          "Paused at step 2/5 (pause): run kubectl ramp promote cart to go on",
		CurrentPodHash:   "5c6d7e8f9",
		StableRS:         "4b5c6d7e8",
		CurrentStepIndex: ptr.To[int32](1),
		PauseConditions:  []rampv1alpha1.PauseCondition{{Reason: rampv1alpha1.PauseReasonCanaryPauseStep, StartTime: ago(time.Minute)}},
		Canary: rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{
			Canary: rampv1alpha1.WeightDestination{Weight: 10}, Stable: rampv1alpha1.WeightDestination{Weight: 90},
		}},
		Profile: &rampv1alpha1.ProfileStatus{
			Kind: rampv1alpha1.ProfileKindNamespaced, Name: "team-canary", Generation: 3,
			PodTemplateHash: "5c6d7e8f9", Strategy: teamCanary(),
		},
		Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	stable := newReplicaSet(ro, "4b5c6d7e8", "2", "ghcr.io/acme/cart:1.1", 2, 2, 6*day)
	canary := newReplicaSet(ro, "5c6d7e8f9", "3", "ghcr.io/acme/cart:1.2", 1, 1, 4*time.Minute)
	pods := append(podsOf(&stable, 6*day, "r4s5t", "u6v7w"), podsOf(&canary, 4*time.Minute, "x8y9z")...)
	return Objects{Rollout: ro, ReplicaSets: []appsv1.ReplicaSet{stable, canary}, Pods: pods}
}

// canaryJudge is a canary aborted by its judge: the judge passed the
// canary at 20% (one metric without data), then failed it at 50% on a
// critical metric.
func canaryJudge() Objects {
	ro := newRollout("shop", "orders", 3, 45*day, rampv1alpha1.RolloutStrategy{Canary: &rampv1alpha1.CanaryStrategy{
		Steps: []rampv1alpha1.CanaryStep{
			setWeightStep(20), analysisStep("judge"), setWeightStep(50), analysisStep("judge"), setWeightStep(100),
		},
	}})
	ro.Status = rampv1alpha1.RolloutStatus{
		Phase: rampv1alpha1.RolloutPhaseDegraded,
		Message: "Update to revision 7565b9cb75 aborted by analysis run orders-7565b9cb75-4 failed: " +
			"back on the stable revision 558c66478b (stable 3/3 available); run kubectl ramp retry orders to start it again",
		CurrentPodHash:   "7565b9cb75",
		StableRS:         "558c66478b",
		CurrentStepIndex: ptr.To[int32](0),
		Abort:            true,
		AbortedAt:        ptr.To(ago(30 * time.Second)),
		AbortedBy:        "analysis run orders-7565b9cb75-4 failed",
		Canary: rampv1alpha1.CanaryStatus{Weights: &rampv1alpha1.TrafficWeights{
			Canary: rampv1alpha1.WeightDestination{Weight: 0}, Stable: rampv1alpha1.WeightDestination{Weight: 100},
		}},
		Replicas: 3, UpdatedReplicas: 0, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	stable := newReplicaSet(ro, "558c66478b", "5", "ghcr.io/acme/orders:3.1", 3, 3, 8*day)
	canary := newReplicaSet(ro, "7565b9cb75", "6", "ghcr.io/acme/orders:3.2", 0, 0, 12*time.Minute)
	compared := "canary 7565b9cb75 with stable 558c66478b"

	passed := newRun(ro, "orders-7565b9cb75-2", "7565b9cb75", rampv1alpha1.AnalysisPhaseSuccessful, "All 1 metrics passed",
		10*time.Minute, metric{name: "judge", phase: rampv1alpha1.AnalysisPhaseSuccessful, values: []string{"95"}, lastAt: 6 * time.Minute})
	passed.Status.MetricResults[0].Verdict = &rampv1alpha1.JudgeVerdict{Score: 95, Compared: compared, Metrics: []rampv1alpha1.JudgeMetricVerdict{
		{Name: "latency-p99", Group: "latency", Classification: "Pass", Critical: true, CanaryMedian: "0.025", ControlMedian: "0.024",
			Estimate: "0.0008", Interval: "[-0.0011, 0.0027]", PValue: "0.41", EffectSize: "+3.3%"},
		{Name: "error-ratio", Group: "errors", Classification: "Pass", CanaryMedian: "0.004", ControlMedian: "0.0041",
			Estimate: "-1e-04", Interval: "[-0.0009, 0.0007]", PValue: "0.81", EffectSize: "-2.4%"},
		{Name: "queue-depth", Group: "saturation", Classification: "NoData",
			Reason: "the canary reported no samples of queue-depth in the 5m compared"},
	}}

	failed := newRun(ro, "orders-7565b9cb75-4", "7565b9cb75", rampv1alpha1.AnalysisPhaseFailed,
		"metric judge failed: 1 of 1 measurements failed", 4*time.Minute,
		metric{name: "judge", phase: rampv1alpha1.AnalysisPhaseFailed, values: []string{"60"}, lastAt: 40 * time.Second})
	failed.Status.MetricResults[0].Verdict = &rampv1alpha1.JudgeVerdict{Score: 60, Compared: compared, Metrics: []rampv1alpha1.JudgeMetricVerdict{
		{Name: "latency-p99", Group: "latency", Classification: "High", Critical: true, CanaryMedian: "0.031", ControlMedian: "0.024",
			Estimate: "0.0071", Interval: "[0.0052, 0.0093]", PValue: "0.0004", EffectSize: "+29.4%",
			Reason: "the canary is 29.4% slower than stable, more than the 10% allowed, and the whole interval is above zero"},
		{Name: "error-ratio", Group: "errors", Classification: "Pass", CanaryMedian: "0.0042", ControlMedian: "0.0041",
			Estimate: "1e-04", Interval: "[-0.0006, 0.0008]", PValue: "0.77", EffectSize: "+2.4%"},
	}}
	return Objects{
		Rollout:      ro,
		ReplicaSets:  []appsv1.ReplicaSet{stable, canary},
		Pods:         podsOf(&stable, 8*day, "c4d5e", "f6g7h", "j8k9l"),
		AnalysisRuns: []rampv1alpha1.AnalysisRun{passed, failed},
	}
}

// allRollouts are the Rollouts of every scenario.
func allRollouts() []rampv1alpha1.Rollout {
	var list []rampv1alpha1.Rollout
	for _, s := range scenarios() {
		list = append(list, *s.objs.Rollout)
	}
	return list
}
