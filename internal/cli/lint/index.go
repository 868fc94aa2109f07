package lint

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// The kinds a strategy refers to, and the version lint asks the cluster
// for (the one the controller reads).
var (
	kindService          = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	kindHTTPRoute        = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	kindGRPCRoute        = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GRPCRoute"}
	kindVirtualService   = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	kindDestinationRule  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}
	kindTemplate         = rampv1alpha1.GroupVersion.WithKind("AnalysisTemplate")
	kindClusterTemplate  = rampv1alpha1.GroupVersion.WithKind("ClusterAnalysisTemplate")
	kindProfile          = rampv1alpha1.GroupVersion.WithKind("RolloutProfile")
	kindClusterProfile   = rampv1alpha1.GroupVersion.WithKind("ClusterRolloutProfile")
	clusterScopedLookups = map[schema.GroupKind]bool{
		kindClusterTemplate.GroupKind(): true,
		kindClusterProfile.GroupKind():  true,
	}
)

// object is an object a reference resolved to.
type object struct {
	// doc is the document it was read from; nil when it comes from the
	// cluster.
	doc *document
	// content is the object as unstructured content.
	content map[string]any
}

// describe names the object for messages: its kind, name and where it
// was found.
func (o *object) describe(gvk schema.GroupVersionKind, name string) string {
	if o.doc == nil {
		return fmt.Sprintf("%s %q (in the cluster)", gvk.Kind, name)
	}
	return fmt.Sprintf("%s %q (%s:%d)", gvk.Kind, name, o.doc.file, o.doc.line())
}

// objectKey identifies an object; namespace is empty for a cluster-scoped
// kind.
type objectKey struct {
	kind            schema.GroupKind
	namespace, name string
}

// index finds objects by kind, namespace and name: among the files
// first, then, when a Cluster is set, in the cluster (answers kept).
type index struct {
	files   map[objectKey][]*document
	cluster Cluster
	asked   map[objectKey]*object
}

// newIndex indexes docs by kind (any version of a group), namespace and
// name.
func newIndex(docs []*document, opts Options) *index {
	ix := &index{files: map[objectKey][]*document{}, cluster: opts.Cluster, asked: map[objectKey]*object{}}
	for _, d := range docs {
		if d.name == "" {
			continue
		}
		ix.files[d.key()] = append(ix.files[d.key()], d)
	}
	return ix
}

// key is the document's objectKey.
func (d *document) key() objectKey {
	group, _, found := strings.Cut(d.apiVersion, "/")
	if !found {
		group = ""
	}
	gk := schema.GroupKind{Group: group, Kind: d.kind}
	ns := d.namespace
	if clusterScopedLookups[gk] {
		ns = ""
	}
	return objectKey{kind: gk, namespace: ns, name: d.name}
}

// lookup finds the object of kind named name in namespace (ignored for
// cluster-scoped kinds); nil when neither the files nor the cluster hold
// it.
func (ix *index) lookup(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*object, error) {
	key := objectKey{kind: gvk.GroupKind(), namespace: namespace, name: name}
	if clusterScopedLookups[key.kind] {
		key.namespace = ""
	}
	if docs := ix.files[key]; len(docs) > 0 {
		d := docs[len(docs)-1]
		return &object{doc: d, content: d.obj}, nil
	}
	if ix.cluster == nil {
		return nil, nil
	}
	if o, ok := ix.asked[key]; ok {
		return o, nil
	}
	content, err := ix.cluster.Get(ctx, gvk, key.namespace, name)
	if err != nil {
		return nil, fmt.Errorf("look up %s %s in the cluster: %w", gvk.Kind, name, err)
	}
	var o *object
	if content != nil {
		o = &object{content: content}
	}
	ix.asked[key] = o
	return o, nil
}

// notFound says that a referenced object is missing and how to fix it.
func (ix *index) notFound(gvk schema.GroupVersionKind, namespace, name string) string {
	where := fmt.Sprintf(" in namespace %q", namespace)
	if clusterScopedLookups[gvk.GroupKind()] {
		where = ""
	}
	if ix.cluster != nil {
		return fmt.Sprintf("%s %q not found%s, neither in the files nor in the cluster; create it or fix the name", gvk.Kind, name, where)
	}
	return fmt.Sprintf("%s %q%s is not in the linted files; add its manifest, fix the name, or lint with --cluster to look it up in the cluster", gvk.Kind, name, where)
}

// checkDuplicates warns about an object defined more than once: the one
// applied last wins.
func (l *linter) checkDuplicates() {
	for _, docs := range l.index.files {
		for _, d := range docs[1:] {
			first := docs[0]
			l.add(d.finding(Warning, "metadata.name", fmt.Sprintf("%s %q is also defined at %s:%d; the one applied last replaces the other: keep one",
				d.kind, d.name, first.file, first.line())))
		}
	}
}
