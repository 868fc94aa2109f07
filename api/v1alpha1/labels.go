package v1alpha1

// Labels and annotations Ramp reads and writes. All carry the ramp.dev/ prefix.
const (
	// LabelPodTemplateHash is the pod template hash of a revision. It is on
	// each ReplicaSet's labels, selector and pod template, and on the
	// selectors of the Services Ramp manages.
	LabelPodTemplateHash = "ramp.dev/pod-template-hash"

	// LabelInstanceID marks objects handled by the controller started with
	// the same --instance-id; controllers with another (or no) instance ID
	// leave them alone.
	LabelInstanceID = "ramp.dev/instance-id"

	// LabelRollout names the Rollout that owns a ReplicaSet or an AnalysisRun.
	LabelRollout = "ramp.dev/rollout"

	// LabelBaseline marks the baseline ReplicaSet of a canary
	// (strategy.canary.baseline) and its pods: the stable template under a
	// pod template hash of its own, so no Service of the rollout selects it.
	LabelBaseline = "ramp.dev/baseline"

	// AnnotationStablePodTemplateHash and AnnotationBaselinePodTemplateHash
	// tell an AnalysisRun which versions the canary (its
	// LabelPodTemplateHash) is compared with by the judge.
	AnnotationStablePodTemplateHash   = "ramp.dev/stable-pod-template-hash"
	AnnotationBaselinePodTemplateHash = "ramp.dev/baseline-pod-template-hash"

	// AnnotationRevision is the revision number of a ReplicaSet, counted
	// from 1 per Rollout.
	AnnotationRevision = "ramp.dev/revision"

	// AnnotationScaleDownDeadline is when an old ReplicaSet kept up after a
	// promotion or abort is scaled down (RFC 3339).
	AnnotationScaleDownDeadline = "ramp.dev/scale-down-deadline"

	// AnnotationPodTemplate is the Rollout's pod template of a ReplicaSet's
	// revision, as JSON, exactly as it was hashed (the ReplicaSet's own
	// template has the API server's defaults and the hash label added).
	// kubectl ramp undo copies it back into spec.template, so the undo
	// finds the same revision.
	AnnotationPodTemplate = "ramp.dev/pod-template"

	// AnnotationRoleMetadata records on a ReplicaSet the role labels and
	// annotations (canaryMetadata, stableMetadata, activeMetadata,
	// previewMetadata) put on its pod template, as JSON, so they can be
	// taken off when the role changes.
	AnnotationRoleMetadata = "ramp.dev/role-metadata"
)
