//go:build tools

package cluster

// These imports keep the modules that ship the Gateway API and Istio CRDs in
// the main module's go.mod (go mod tidy honours every build tag), so that
// GatewayAPICRDDir and IstioCRDFile find them at the required version.
import (
	_ "istio.io/api/networking/v1"
	_ "sigs.k8s.io/gateway-api/apis/v1"
)
