package gatewayapi

import (
	"bytes"
	"encoding/json"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// sameRule reports whether two rules of one kind say the same once the
// defaults of the Gateway API CRDs are filled in: a rule Ramp wrote and
// read back is the same rule, so it is not written again.
func sameRule(a, b any) bool {
	ja, errA := json.Marshal(withDefaults(a))
	jb, errB := json.Marshal(withDefaults(b))
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// withDefaults returns a copy of a gatewayv1.HTTPRouteRule or
// gatewayv1.GRPCRouteRule with the defaults the API server applies to the
// fields Ramp writes filled in. Ramp writes its rules this way, so what it
// writes is what it reads back.
func withDefaults(rule any) any {
	switch v := rule.(type) {
	case gatewayv1.HTTPRouteRule:
		return httpRuleDefaults(*v.DeepCopy())
	case gatewayv1.GRPCRouteRule:
		return grpcRuleDefaults(*v.DeepCopy())
	}
	return rule
}

func httpRuleDefaults(r gatewayv1.HTTPRouteRule) gatewayv1.HTTPRouteRule {
	if len(r.Matches) == 0 {
		r.Matches = []gatewayv1.HTTPRouteMatch{{}}
	}
	for i := range r.Matches {
		m := &r.Matches[i]
		if m.Path == nil {
			m.Path = &gatewayv1.HTTPPathMatch{}
		}
		if m.Path.Type == nil {
			m.Path.Type = ptr.To(gatewayv1.PathMatchPathPrefix)
		}
		if m.Path.Value == nil {
			m.Path.Value = ptr.To("/")
		}
		for j := range m.Headers {
			if m.Headers[j].Type == nil {
				m.Headers[j].Type = ptr.To(gatewayv1.HeaderMatchExact)
			}
		}
		for j := range m.QueryParams {
			if m.QueryParams[j].Type == nil {
				m.QueryParams[j].Type = ptr.To(gatewayv1.QueryParamMatchExact)
			}
		}
	}
	for i := range r.Filters {
		if m := r.Filters[i].RequestMirror; m != nil {
			objectRefDefaults(&m.BackendRef)
		}
	}
	for i := range r.BackendRefs {
		backendRefDefaults(&r.BackendRefs[i].BackendRef)
		for j := range r.BackendRefs[i].Filters {
			if m := r.BackendRefs[i].Filters[j].RequestMirror; m != nil {
				objectRefDefaults(&m.BackendRef)
			}
		}
	}
	return r
}

func grpcRuleDefaults(r gatewayv1.GRPCRouteRule) gatewayv1.GRPCRouteRule {
	for i := range r.Matches {
		m := &r.Matches[i]
		if m.Method != nil && m.Method.Type == nil {
			m.Method.Type = ptr.To(gatewayv1.GRPCMethodMatchExact)
		}
		for j := range m.Headers {
			if m.Headers[j].Type == nil {
				m.Headers[j].Type = ptr.To(gatewayv1.GRPCHeaderMatchExact)
			}
		}
	}
	for i := range r.Filters {
		if m := r.Filters[i].RequestMirror; m != nil {
			objectRefDefaults(&m.BackendRef)
		}
	}
	for i := range r.BackendRefs {
		backendRefDefaults(&r.BackendRefs[i].BackendRef)
		for j := range r.BackendRefs[i].Filters {
			if m := r.BackendRefs[i].Filters[j].RequestMirror; m != nil {
				objectRefDefaults(&m.BackendRef)
			}
		}
	}
	return r
}

func backendRefDefaults(b *gatewayv1.BackendRef) {
	objectRefDefaults(&b.BackendObjectReference)
	if b.Weight == nil {
		b.Weight = ptr.To[int32](1)
	}
}

func objectRefDefaults(o *gatewayv1.BackendObjectReference) {
	if o.Group == nil {
		o.Group = ptr.To(gatewayv1.Group(""))
	}
	if o.Kind == nil {
		o.Kind = ptr.To(gatewayv1.Kind("Service"))
	}
}
