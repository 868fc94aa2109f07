package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"
)

// crdTimeout bounds the wait for installed CRDs to be established and
// served.
const crdTimeout = time.Minute

// InstallCRDs creates or updates the CustomResourceDefinitions found in
// paths and waits until each is Established and its served versions appear
// in discovery, so that callers can create objects right away (a client with
// a cached RESTMapper may still need to reset it).
//
// A path is a YAML or JSON file, possibly with several documents, or a
// directory whose *.yaml, *.yml and *.json files are read (not recursively).
// Documents of other kinds, such as the ValidatingAdmissionPolicy next to
// the Gateway API CRDs, are skipped; a path without any CRD is an error, as
// is a CRD that is not apiextensions.k8s.io/v1.
func (c *Cluster) InstallCRDs(ctx context.Context, paths ...string) error {
	if len(paths) == 0 {
		return nil
	}
	crds, err := readCRDs(paths)
	if err != nil {
		return err
	}
	client, err := apiextensionsclient.NewForConfig(c.restConfig)
	if err != nil {
		return fmt.Errorf("create apiextensions client: %w", err)
	}
	for _, crd := range crds {
		if err := applyCRD(ctx, client, crd); err != nil {
			return err
		}
	}
	if err := waitEstablished(ctx, client, crds); err != nil {
		return err
	}
	return waitServed(ctx, client, crds)
}

// readCRDs reads the CRDs in paths, in order.
func readCRDs(paths []string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, path := range paths {
		files, err := yamlFiles(path)
		if err != nil {
			return nil, err
		}
		found := 0
		for _, file := range files {
			crds, err := readCRDFile(file)
			if err != nil {
				return nil, err
			}
			found += len(crds)
			out = append(out, crds...)
		}
		if found == 0 {
			return nil, fmt.Errorf("no CustomResourceDefinition in %s", path)
		}
	}
	return out, nil
}

// yamlFiles returns path itself for a file, or the sorted YAML and JSON
// files directly in a directory.
func yamlFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read crds: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read crds: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		switch filepath.Ext(name) {
		case ".yaml", ".yml", ".json":
			files = append(files, filepath.Join(path, name))
		}
	}
	sort.Strings(files)
	return files, nil
}

// readCRDFile decodes every CRD document of one file and skips the others.
func readCRDFile(file string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read crds: %w", err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*apiextensionsv1.CustomResourceDefinition
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if meta.Kind != "CustomResourceDefinition" {
			continue // empty document or another kind
		}
		if meta.APIVersion != apiextensionsv1.SchemeGroupVersion.String() {
			return nil, fmt.Errorf("%s: document %d: CustomResourceDefinition of %s, want %s",
				file, i, meta.APIVersion, apiextensionsv1.SchemeGroupVersion)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		out = append(out, crd)
	}
}

// applyCRD creates crd, or replaces the spec, labels and annotations of an
// existing CRD of the same name.
func applyCRD(ctx context.Context, client apiextensionsclient.Interface, crd *apiextensionsv1.CustomResourceDefinition) error {
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	_, err := api.Create(ctx, crd.DeepCopy(), metav1.CreateOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create crd %s: %w", crd.Name, err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		existing, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		existing.Spec = crd.Spec
		existing.Labels = crd.Labels
		existing.Annotations = crd.Annotations
		_, err = api.Update(ctx, existing, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update crd %s: %w", crd.Name, err)
	}
	return nil
}

// waitEstablished waits until every CRD has condition Established=True.
// A CRD whose names are not accepted fails at once.
func waitEstablished(ctx context.Context, client apiextensionsclient.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	pending := map[string]bool{}
	for _, crd := range crds {
		pending[crd.Name] = true
	}
	err := poll(ctx, crdTimeout, func(ctx context.Context) error {
		for name := range pending {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, cond := range crd.Status.Conditions {
				switch {
				case cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse:
					return permanent(fmt.Errorf("crd %s: names not accepted: %s", name, cond.Message))
				case cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue:
					delete(pending, name)
				}
			}
			if pending[name] {
				return fmt.Errorf("crd %s is not Established yet", name)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wait for crds to be established: %w", err)
	}
	return nil
}

// waitServed waits until discovery lists the resource of every CRD in each
// served version.
func waitServed(ctx context.Context, client apiextensionsclient.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	pending := map[string]map[string]bool{} // group/version -> plural names
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			gv := crd.Spec.Group + "/" + v.Name
			if pending[gv] == nil {
				pending[gv] = map[string]bool{}
			}
			pending[gv][crd.Spec.Names.Plural] = true
		}
	}
	err := poll(ctx, crdTimeout, func(context.Context) error {
		for gv, plurals := range pending {
			list, err := client.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				return fmt.Errorf("discover %s: %w", gv, err)
			}
			for _, r := range list.APIResources {
				delete(plurals, r.Name)
			}
			if len(plurals) > 0 {
				return fmt.Errorf("%s does not serve %v yet", gv, keys(plurals))
			}
			delete(pending, gv)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wait for crds to be served: %w", err)
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
