package convert

import (
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// blueGreen converts strategy.blueGreen; its fields keep their names and
// meanings in Ramp.
func (c *converter) blueGreen(o *object) *rampv1alpha1.BlueGreenStrategy {
	s := &rampv1alpha1.BlueGreenStrategy{}
	o.decode("activeService", &s.ActiveService)
	o.decode("previewService", &s.PreviewService)
	o.decode("autoPromotionEnabled", &s.AutoPromotionEnabled)
	var autoSeconds int32
	if o.decode("autoPromotionSeconds", &autoSeconds) && autoSeconds != 0 {
		if s.AutoPromotionEnabled != nil && !*s.AutoPromotionEnabled {
			c.warn(o.at.key("autoPromotionSeconds"), "Argo Rollouts ignores it when autoPromotionEnabled is false, and Ramp refuses the pair; dropped")
		} else {
			s.AutoPromotionSeconds = &autoSeconds
		}
	}
	o.decode("previewReplicaCount", &s.PreviewReplicaCount)
	o.decode("scaleDownDelaySeconds", &s.ScaleDownDelaySeconds)
	o.decode("abortScaleDownDelaySeconds", &s.AbortScaleDownDelaySeconds)
	if a := o.child("prePromotionAnalysis"); a != nil {
		s.PrePromotionAnalysis = c.rolloutAnalysis(a)
	}
	if a := o.child("postPromotionAnalysis"); a != nil {
		s.PostPromotionAnalysis = c.rolloutAnalysis(a)
	}
	o.decode("activeMetadata", &s.ActiveMetadata)
	o.decode("previewMetadata", &s.PreviewMetadata)
	o.drop("antiAffinity", antiAffinityDropped)
	o.drop("maxUnavailable", "Ramp's blueGreen strategy has no maxUnavailable; dropped")
	o.drop("scaleDownDelayRevisionLimit", "Ramp scales every older ReplicaSet down once scaleDownDelaySeconds pass; dropped")
	o.done()
	if s.ActiveService == "" {
		c.fail(o.at.key("activeService"), "a blue-green Rollout needs an activeService")
	}
	if s.PreviewService != "" && s.PreviewService == s.ActiveService {
		c.fail(o.at.key("previewService"), "activeService and previewService must name different Services")
	}
	return s
}
