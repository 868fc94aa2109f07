package harness

import (
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	page := `# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="rollout",result="success"} 12
controller_runtime_reconcile_total{controller="rollout",result="requeue_after"} 3
controller_runtime_reconcile_total{controller="analysisrun",result="success"} 7
rest_client_rate_limiter_duration_seconds_bucket{host="127.0.0.1:1",verb="GET",le="0.005"} 90
rest_client_rate_limiter_duration_seconds_bucket{host="127.0.0.1:1",verb="GET",le="+Inf"} 100
rest_client_rate_limiter_duration_seconds_sum{host="127.0.0.1:1",verb="GET"} 1.5
rest_client_rate_limiter_duration_seconds_count{host="127.0.0.1:1",verb="GET"} 100
go_memstats_heap_inuse_bytes 2.097152e+07
odd_label{msg="a \"quoted\", value"} 1
`
	s, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	c := readCounters(s)
	if c.reconciles != 15 || c.runReconcile != 7 || c.limited != 100 || c.limitedFast != 90 || c.limiterWait != 1.5 || !c.hasLimiter {
		t.Errorf("counters %+v", c)
	}
	if got := mib(s.sum(metricHeapInuse, nil)); got != 20 {
		t.Errorf("heap in use %v MiB, want 20", got)
	}
	if got := s["odd_label"][0].labels["msg"]; got != `a "quoted", value` {
		t.Errorf("label value %q", got)
	}
}

// auditLine is an audit log line of the controller's user.
func auditLine(at, verb, resource, sub, name, body string) string {
	if body == "" {
		body = "null"
	}
	return `{"kind":"Event","stage":"ResponseComplete","verb":"` + verb + `","user":{"username":"` + controllerUser + `"},` +
		`"objectRef":{"resource":"` + resource + `","namespace":"ns","name":"` + name + `","apiGroup":"ramp.dev","subresource":"` + sub + `"},` +
		`"responseStatus":{"code":200},"requestObject":` + body + `,"requestReceivedTimestamp":"2026-01-01T00:00:` + at + `Z"}`
}

func TestParseAuditLine(t *testing.T) {
	w, ok, err := parseAuditLine([]byte(auditLine("01.5", "patch", "rollouts", "status", "web", `{"status":{"currentStepIndex":2}}`)), controllerUser)
	if err != nil || !ok {
		t.Fatalf("ok %v, err %v", ok, err)
	}
	if w.StepIndex != 2 || w.Kind() != "patch rollouts/status" || w.At.Second() != 1 || w.At.Nanosecond() != 500000000 {
		t.Errorf("write %+v", w)
	}
	if _, ok, _ := parseAuditLine([]byte(auditLine("01", "get", "rollouts", "", "web", "")), controllerUser); ok {
		t.Error("a get counted as a write")
	}
	if _, ok, _ := parseAuditLine([]byte(auditLine("01", "patch", "rollouts", "", "web", "")), "someone-else"); ok {
		t.Error("another user's write counted")
	}
}

func TestSegmentSteps(t *testing.T) {
	var ws []Write
	add := func(resource, sub string, step int) {
		ws = append(ws, Write{At: time.Unix(int64(len(ws)), 0), Verb: "patch", Resource: resource, Subresource: sub, Name: "web", Code: 200, StepIndex: step})
	}
	add("replicasets", "", -1)   // before step 0: not counted
	add("rollouts", "status", 0) // step 0 starts
	add("httproutes", "", -1)
	add("events", "", -1)
	add("rollouts", "status", 1) // step 0 done
	add("httproutes", "", -1)
	add("rollouts", "status", 3) // steps 1 and 2 done at once
	add("rollouts", "status", -1)
	add("rollouts", "status", 4) // step 3 done
	add("replicasets", "", -1)   // after the last step: not counted
	segs := segmentSteps("web", ws, 4)
	want := []StepSegment{{From: 0, To: 1, Objects: 2, Events: 1}, {From: 1, To: 3, Objects: 2}, {From: 3, To: 4, Objects: 2}}
	if len(segs) != len(want) {
		t.Fatalf("segments %+v", segs)
	}
	for i, s := range segs {
		if s.From != want[i].From || s.To != want[i].To || s.Objects != want[i].Objects || s.Events != want[i].Events {
			t.Errorf("segment %d: %+v, want %+v", i, s, want[i])
		}
	}
}

func TestDist(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	d := dist(ds)
	if d.N != 100 || d.P50 != 50 || d.P99 != 99 || d.Max != 100 || d.Mean != 50.5 {
		t.Errorf("dist %+v", d)
	}
	if (dist(nil) != Dist{}) {
		t.Error("dist of nothing is not zero")
	}
}

func TestPick(t *testing.T) {
	for _, share := range []float64{0, 0.2, 0.5, 1} {
		n := 0
		for i := range 100 {
			if pick(i, share) {
				n++
			}
		}
		if n != int(share*100) {
			t.Errorf("share %v picked %d of 100", share, n)
		}
	}
}

func TestFailures(t *testing.T) {
	r := &Report{Sizes: []SizeReport{{Idle: 10, NoOp: &NoOp{Reconciles: 5}, Steps: &StepWrites{MeanObjects: 3}}}}
	if f := r.Failures(); len(f) != 0 {
		t.Errorf("failures %v for figures on target", f)
	}
	r.Sizes[0].NoOp.Writes = 1
	r.Sizes[0].Steps.MeanObjects = 3.25
	if f := r.Failures(); len(f) != 2 {
		t.Errorf("failures %v, want both write counts", f)
	}
}
