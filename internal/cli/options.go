package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

// options is what every command shares: the streams, kubectl's config
// flags (--kubeconfig, --context, -n, ...), color, the clock and the
// client. Tests replace now and newClient.
type options struct {
	in          io.Reader
	out, errOut io.Writer

	// flags are kubectl's connection flags.
	flags *genericclioptions.ConfigFlags
	// noColor turns color off (it is off anyway when out is not a
	// terminal).
	noColor bool

	// now tells the time (ages in output).
	now func() time.Time
	// newClient connects to the cluster; nil uses flags.
	newClient func() (client.WithWatch, error)
}

// newOptions returns the options of a command line run.
func newOptions(in io.Reader, out, errOut io.Writer) *options {
	return &options{
		in: in, out: out, errOut: errOut,
		flags: genericclioptions.NewConfigFlags(true),
		now:   time.Now,
	}
}

// addFlags adds kubectl's connection flags and --no-color to root.
func (o *options) addFlags(root *cobra.Command) {
	o.flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVar(&o.noColor, "no-color", false, "Print without color (also off when stdout is not a terminal)")
}

// color reports whether output gets color: not with --no-color or
// NO_COLOR, and only on a terminal.
func (o *options) color() bool {
	if o.noColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := o.out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// namespace is the namespace of the command: -n, or the kubeconfig
// context's, or "default".
func (o *options) namespace() (string, error) {
	ns, _, err := o.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("read the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// client connects to the cluster named by the flags.
func (o *options) client() (client.WithWatch, error) {
	if o.newClient != nil {
		return o.newClient()
	}
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("read the kubeconfig: %w", err)
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
	}
	return c, nil
}

// Scheme returns the kinds the plugin reads and writes: Ramp's and the
// Kubernetes kinds it shows (ReplicaSets, pods, Services, Events).
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		rampv1alpha1.AddToScheme, appsv1.AddToScheme, corev1.AddToScheme, eventsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(fmt.Sprintf("build the plugin's scheme: %v", err))
		}
	}
	return s
}
