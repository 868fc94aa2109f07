// Package notifier sends the notifications of Rollouts' transitions to the
// receivers of the NotificationConfigs that subscribe to them.
//
// The rollout controller calls Notify after the status write a transition
// is part of; Notify only queues (a full queue drops, counted in
// ramp_notifications_sent_total{result="dropped"}). A goroutine of the
// Notifier then finds the subscribed configs in the informer cache, reads
// their Secrets from the API server and gives each receiver's message to
// a notify.Sender, which posts it with bounded retries. A delivery that
// fails for good is reported as a Warning Event (NotificationFailed) on
// the NotificationConfig; its text names the receiver and the cause, never
// a URL or a secret.
package notifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	recorder "k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rampdev/ramp/analysis"
	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
	"github.com/rampdev/ramp/notify"
)

// +kubebuilder:rbac:groups=ramp.dev,resources=notificationconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// QueueSize bounds the notifications waiting for their configs to be
// read.
const QueueSize = 1024

// ReasonNotificationFailed is the reason of the Warning Event recorded on
// a NotificationConfig when a message could not be delivered.
const ReasonNotificationFailed = "NotificationFailed"

// Notifier sends notifications; see the package comment.
type Notifier struct {
	// Reader reads NotificationConfigs (the informer cache).
	Reader client.Reader
	// APIReader reads Secrets from the API server.
	APIReader client.Reader
	// Recorder records failed deliveries on NotificationConfigs.
	Recorder recorder.EventRecorder
	// Sender delivers the messages.
	Sender *notify.Sender

	queue chan pending
}

// pending is a message waiting for its configs to be read.
type pending struct {
	subscribed []string
	msg        notify.Message
}

// New returns a Notifier whose Sender reports failures through the
// Notifier's Recorder. opts configures the Sender (OnResult is set here).
func New(reader, apiReader client.Reader, rec recorder.EventRecorder, opts notify.Options) *Notifier {
	n := &Notifier{Reader: reader, APIReader: apiReader, Recorder: rec, queue: make(chan pending, QueueSize)}
	opts.OnResult = n.reportResult
	n.Sender = notify.NewSender(opts)
	return n
}

// Notify queues m about ro; it never blocks.
func (n *Notifier) Notify(ro *rampv1alpha1.Rollout, m notify.Message) {
	p := pending{msg: m}
	for _, name := range strings.Split(ro.Annotations[rampv1alpha1.AnnotationNotify], ",") {
		if name = strings.TrimSpace(name); name != "" {
			p.subscribed = append(p.subscribed, name)
		}
	}
	select {
	case n.queue <- p:
	default:
		notify.CountDropped()
	}
}

// Start sends the queued notifications until ctx ends.
func (n *Notifier) Start(ctx context.Context) error {
	senderDone := make(chan error, 1)
	go func() { senderDone <- n.Sender.Start(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return <-senderDone
		case p := <-n.queue:
			n.dispatch(ctx, p)
		}
	}
}

// NeedLeaderElection is true: only the leader reconciles, so only it has
// anything to send.
func (n *Notifier) NeedLeaderElection() bool { return true }

// dispatch hands p's message to each receiver of the configs that
// subscribe to it.
func (n *Notifier) dispatch(ctx context.Context, p pending) {
	var configs rampv1alpha1.NotificationConfigList
	if err := n.Reader.List(ctx, &configs, client.InNamespace(p.msg.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "List NotificationConfigs", "namespace", p.msg.Namespace)
		notify.CountFailed()
		return
	}
	for i := range configs.Items {
		cfg := &configs.Items[i]
		if !Subscribes(cfg, p.subscribed, p.msg.Trigger) {
			continue
		}
		msg := p.msg
		if base := strings.TrimRight(cfg.Spec.DashboardURL, "/"); base != "" {
			msg.DashboardURL = fmt.Sprintf("%s/namespaces/%s/rollouts/%s", base, msg.Namespace, msg.Rollout)
		}
		for j := range cfg.Spec.Receivers {
			rcv := &cfg.Spec.Receivers[j]
			target, err := n.target(ctx, cfg, rcv)
			if err != nil {
				notify.CountFailed()
				n.failed(cfg, rcv.Name, msg, err.Error())
				continue
			}
			n.Sender.Send(notify.Delivery{Target: target, Message: msg})
		}
	}
}

// Subscribes reports whether cfg sends trigger about a Rollout whose
// ramp.dev/notify annotation names subscribed.
func Subscribes(cfg *rampv1alpha1.NotificationConfig, subscribed []string, trigger rampv1alpha1.NotificationTrigger) bool {
	if cfg.Spec.Subscription == rampv1alpha1.SubscriptionAnnotation && !slices.Contains(subscribed, cfg.Name) {
		return false
	}
	triggers := cfg.Spec.Triggers
	if len(triggers) == 0 {
		triggers = rampv1alpha1.DefaultNotificationTriggers
	}
	return slices.Contains(triggers, trigger)
}

// target resolves a receiver: its kind, and its URL, headers and signing
// key with the values of Secrets read.
func (n *Notifier) target(ctx context.Context, cfg *rampv1alpha1.NotificationConfig, rcv *rampv1alpha1.NotificationReceiver) (notify.Target, error) {
	secrets := analysis.NamespaceSecrets{Reader: n.APIReader, Namespace: cfg.Namespace}
	t := notify.Target{Config: types.NamespacedName{Namespace: cfg.Namespace, Name: cfg.Name}, Receiver: rcv.Name}
	var chat *rampv1alpha1.ChatReceiver
	switch {
	case rcv.Slack != nil:
		t.Kind, chat = notify.KindSlack, rcv.Slack
	case rcv.MSTeams != nil:
		t.Kind, chat = notify.KindMSTeams, rcv.MSTeams
	case rcv.GoogleChat != nil:
		t.Kind, chat = notify.KindGoogleChat, rcv.GoogleChat
	case rcv.Webhook != nil:
		return webhookTarget(ctx, t, rcv.Webhook, secrets)
	default:
		return t, fmt.Errorf("receiver %s sets no webhook, slack, msteams or googlechat", rcv.Name)
	}
	var err error
	t.URL, err = readSecret(ctx, secrets, "urlFrom", chat.URLFrom.SecretKeyRef)
	return t, err
}

// webhookTarget resolves a generic webhook receiver.
func webhookTarget(ctx context.Context, t notify.Target, hook *rampv1alpha1.WebhookReceiver, secrets analysis.SecretReader) (notify.Target, error) {
	t.Kind, t.URL = notify.KindWebhook, hook.URL
	var err error
	if hook.URLFrom != nil {
		if t.URL, err = readSecret(ctx, secrets, "webhook.urlFrom", hook.URLFrom.SecretKeyRef); err != nil {
			return t, err
		}
	}
	if len(hook.Headers) > 0 {
		if t.Headers, _, err = analysis.HeaderValues(ctx, secrets, hook.Headers); err != nil {
			return t, fmt.Errorf("webhook.headers: %w", err)
		}
	}
	if hook.SigningKeyFrom != nil {
		key, err := readSecret(ctx, secrets, "webhook.signingKeyFrom", hook.SigningKeyFrom.SecretKeyRef)
		if err != nil {
			return t, err
		}
		t.SigningKey = []byte(key)
	}
	return t, nil
}

// readSecret reads a Secret-backed field; errors name the field.
func readSecret(ctx context.Context, secrets analysis.SecretReader, field string, ref rampv1alpha1.SecretKeyRef) (string, error) {
	v, err := secrets.SecretValue(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// reportResult records a delivery that failed for good.
func (n *Notifier) reportResult(res notify.Result) {
	if res.Err == nil {
		return
	}
	t := res.Delivery.Target
	cfg := &rampv1alpha1.NotificationConfig{}
	if err := n.Reader.Get(context.Background(), t.Config, cfg); err != nil {
		return // the config is gone: nobody to tell
	}
	why := res.Err.Error()
	var de *notify.DeliveryError
	if errors.As(res.Err, &de) {
		why = de.Err.Error()
	}
	n.failed(cfg, t.Receiver, res.Delivery.Message, fmt.Sprintf("%s (%d attempts)", why, res.Attempts))
}

// failed records that msg could not reach receiver of cfg.
func (n *Notifier) failed(cfg *rampv1alpha1.NotificationConfig, receiver string, msg notify.Message, why string) {
	if n.Recorder == nil {
		return
	}
	n.Recorder.Eventf(cfg, nil, "Warning", ReasonNotificationFailed, "Notify",
		"Could not send %s about rollout %s to receiver %s: %s", msg.Trigger, msg.Rollout, receiver, why)
}
