package rollout

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// podTemplateHash returns the pod template hash of a revision: FNV-1a over
// the template's JSON encoding, mixed with the collision count, written in
// the alphabet Kubernetes uses for generated names (no vowels, so no words).
//
// JSON is used rather than a Go value dump because it is stable across
// restarts and Go versions: struct fields come out in declaration order, map
// keys sorted, and fields left empty are omitted, so a field added to
// PodSpec by a later Kubernetes release does not change existing hashes.
func podTemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) (string, error) {
	data, err := json.Marshal(template)
	if err != nil {
		return "", fmt.Errorf("encode pod template: %w", err)
	}
	h := fnv.New32a()
	_, _ = h.Write(data)
	if collisionCount != nil && *collisionCount > 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisionCount))
		_, _ = h.Write(b[:])
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32())), nil
}

// stepsHash identifies a step list, so that a change to the steps restarts
// them.
func stepsHash(steps any) string {
	data, err := json.Marshal(steps)
	if err != nil {
		return ""
	}
	h := fnv.New32a()
	_, _ = h.Write(data)
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
