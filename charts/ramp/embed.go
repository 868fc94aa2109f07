// Package chart gives Go code the files of Ramp's Helm chart that it
// needs: the generated CustomResourceDefinitions, so that tools such as
// kubectl ramp lint validate manifests with exactly the schema and CEL
// rules the API server uses.
package chart

import "embed"

// CRDs holds crds/*.yaml, the CustomResourceDefinitions of the chart.
//
//go:embed crds/*.yaml
var CRDs embed.FS
