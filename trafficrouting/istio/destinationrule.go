package istio

import (
	"context"
	"errors"
	"fmt"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/trafficrouting"
)

// This file keeps the pod template hash label of the DestinationRule's
// stable and canary subsets, and baseline subset with a baselineService
// (subset-level splitting).

// destinationRuleField is where the DestinationRule is named in a Rollout.
const destinationRuleField = "spec.strategy.canary.trafficRouting.istio.destinationRule"

// subsetHashes returns the hashes the stable and canary subsets select:
// both the stable hash when no update is in flight (or one of them is not
// known yet).
func subsetHashes(stableHash, canaryHash string) (stable, canary string, err error) {
	switch {
	case stableHash == "" && canaryHash == "":
		return "", "", errors.New("no pod template hash is known for the stable or the canary version")
	case stableHash == "":
		stableHash = canaryHash
	case canaryHash == "":
		canaryHash = stableHash
	}
	return stableHash, canaryHash, nil
}

// subsetLabel is a subset of the DestinationRule and the hash it must
// select.
type subsetLabel struct {
	// field is the Rollout field that names the subset, for messages.
	field  string
	subset string
	hash   string
}

// subsetLabelOps returns the operations that give the subsets of dr their
// hash labels, or a message naming the missing subset.
func subsetLabelOps(dr *networkingv1alpha3.DestinationRule, wants []subsetLabel) ([]op, string) {
	var ops []op
	for _, want := range wants {
		found := false
		for i, s := range dr.GetSubsets() {
			if s.GetName() != want.subset {
				continue
			}
			found = true
			labels := s.GetLabels()
			switch {
			case len(labels) == 0:
				ops = append(ops, setOp(fmt.Sprintf("/spec/subsets/%d/labels", i), map[string]string{rampv1alpha1.LabelPodTemplateHash: want.hash}))
			case labels[rampv1alpha1.LabelPodTemplateHash] != want.hash:
				ops = append(ops, setOp(fmt.Sprintf("/spec/subsets/%d/labels/%s", i, pointerToken(rampv1alpha1.LabelPodTemplateHash)), want.hash))
			}
		}
		if !found {
			return nil, fmt.Sprintf("has no subset named %q (%s.%s); add it to spec.subsets", want.subset, destinationRuleField, want.field)
		}
	}
	return ops, ""
}

// subsetLabels lists the subsets of ref and the hashes they select: the
// stable and canary ones (see subsetHashes) and, with a baselineService,
// the baseline one, which selects the baseline's hash while it runs and
// the stable hash otherwise (so that it never selects nothing).
func (r *router) subsetLabels(ref *rampv1alpha1.IstioDestinationRule) ([]subsetLabel, error) {
	if r.cfg.BaselineService != "" && ref.BaselineSubsetName == "" {
		return nil, &trafficrouting.RouteError{Kind: "DestinationRule", Name: ref.Name,
			Message: fmt.Sprintf("baselineSubsetName is needed with baselineService %s: set %s.baselineSubsetName "+
				"to a subset of it for the baseline, and add a destination with that subset, weight 0, to each selected route",
				r.cfg.BaselineService, destinationRuleField)}
	}
	stable, canary, err := subsetHashes(r.cfg.StableHash, r.cfg.CanaryHash)
	if err != nil {
		return nil, fmt.Errorf("label subsets of DestinationRule %q: %w", ref.Name, err)
	}
	labels := []subsetLabel{
		{field: "stableSubsetName", subset: ref.StableSubsetName, hash: stable},
		{field: "canarySubsetName", subset: ref.CanarySubsetName, hash: canary},
	}
	if r.cfg.BaselineService != "" {
		baseline := stable
		if r.cfg.BaselineActive && r.cfg.BaselineHash != "" {
			baseline = r.cfg.BaselineHash
		}
		labels = append(labels, subsetLabel{field: "baselineSubsetName", subset: ref.BaselineSubsetName, hash: baseline})
	}
	return labels, nil
}

// destinationRuleWrite reads the DestinationRule and plans its label
// patch; it returns an empty write for host-level splitting.
func (r *router) destinationRuleWrite(ctx context.Context) (write, error) {
	ref := r.istio.DestinationRule
	if ref == nil {
		return write{}, nil
	}
	labels, err := r.subsetLabels(ref)
	if err != nil {
		return write{}, err
	}
	dr := &istionetworkingv1.DestinationRule{}
	if _, err := r.get(ctx, "DestinationRule", ref.Name, destinationRuleField, dr, false); err != nil {
		return write{}, err
	}
	ops, msg := subsetLabelOps(&dr.Spec, labels)
	if msg != "" {
		return write{}, &trafficrouting.RouteError{Kind: "DestinationRule", Name: ref.Name, Message: msg}
	}
	return write{kind: "DestinationRule", obj: dr, ops: ops}, nil
}
