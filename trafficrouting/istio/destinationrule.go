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

// This file keeps the pod template hash label of the DestinationRule's two
// subsets (subset-level splitting).

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

// subsetLabelOps returns the operations that give the stable and canary
// subsets of dr their hash labels, or a message naming the missing subset.
func subsetLabelOps(dr *networkingv1alpha3.DestinationRule, ref *rampv1alpha1.IstioDestinationRule, stableHash, canaryHash string) ([]op, string) {
	var ops []op
	for _, want := range []struct{ field, subset, hash string }{
		{"stableSubsetName", ref.StableSubsetName, stableHash},
		{"canarySubsetName", ref.CanarySubsetName, canaryHash},
	} {
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

// destinationRuleWrite reads the DestinationRule and plans its label
// patch; it returns an empty write for host-level splitting.
func (r *router) destinationRuleWrite(ctx context.Context) (write, error) {
	ref := r.istio.DestinationRule
	if ref == nil {
		return write{}, nil
	}
	stable, canary, err := subsetHashes(r.cfg.StableHash, r.cfg.CanaryHash)
	if err != nil {
		return write{}, fmt.Errorf("label subsets of DestinationRule %q: %w", ref.Name, err)
	}
	dr := &istionetworkingv1.DestinationRule{}
	if _, err := r.get(ctx, "DestinationRule", ref.Name, destinationRuleField, dr, false); err != nil {
		return write{}, err
	}
	ops, msg := subsetLabelOps(&dr.Spec, ref, stable, canary)
	if msg != "" {
		return write{}, &trafficrouting.RouteError{Kind: "DestinationRule", Name: ref.Name, Message: msg}
	}
	return write{kind: "DestinationRule", obj: dr, ops: ops}, nil
}
