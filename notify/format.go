package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Receiver kinds: the formats a Target's Kind names.
const (
	// KindWebhook posts the Message as JSON: every field of Message under
	// its JSON name (trigger, namespace, rollout, revision, podTemplateHash,
	// images, strategy, step, steps, weight, phase, reason, message,
	// dashboardURL, time as RFC 3339 in UTC), plus "title", the Message's
	// Title. Fields may be added in later versions; none are removed or
	// renamed.
	KindWebhook = "webhook"
	// KindSlack posts a Slack incoming-webhook message with Block Kit
	// blocks.
	KindSlack = "slack"
	// KindMSTeams posts a Microsoft Teams message (incoming webhook or
	// workflow) carrying an Adaptive Card 1.4.
	KindMSTeams = "msteams"
	// KindGoogleChat posts a Google Chat text message.
	KindGoogleChat = "googlechat"
)

// Limits of the chat services, in characters.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
	chatTextMax     = 4000
	linkLabel       = "Open in Ramp"
)

// body formats m for a receiver of the given kind.
func body(kind string, m Message) ([]byte, error) {
	var v any
	switch kind {
	case KindWebhook:
		v = webhookBody(m)
	case KindSlack:
		v = slackBody(m)
	case KindMSTeams:
		v = teamsBody(m)
	case KindGoogleChat:
		v = googleChatBody(m)
	default:
		return nil, fmt.Errorf("unknown receiver kind %q", kind)
	}
	// Without HTML escaping: receivers get "<" rather than "\u003c".
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("format %s message: %w", kind, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// webhookMessage is the JSON a webhook receives.
type webhookMessage struct {
	Title string `json:"title"`
	Message
}

func webhookBody(m Message) webhookMessage {
	m.Time = m.Time.UTC()
	return webhookMessage{Title: m.Title(), Message: m}
}

// truncate shortens s to at most n runes, ending in "…" when shortened.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// slackEscape escapes the characters Slack's mrkdwn gives meaning to as
// markup (links, mentions): &, < and >.
func slackEscape(s string) string {
	return slackEscaper.Replace(s)
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Slack Block Kit, the parts used.
type (
	slackMessage struct {
		Text   string       `json:"text"`
		Blocks []slackBlock `json:"blocks"`
	}
	slackText struct {
		Type  string `json:"type"` // plain_text or mrkdwn
		Text  string `json:"text"`
		Emoji bool   `json:"emoji,omitempty"`
	}
	slackElement struct {
		Type string     `json:"type"`
		Text *slackText `json:"text,omitempty"`
		URL  string     `json:"url,omitempty"`
	}
	slackBlock struct {
		Type     string         `json:"type"`
		Text     *slackText     `json:"text,omitempty"`
		Fields   []slackText    `json:"fields,omitempty"`
		Elements []slackElement `json:"elements,omitempty"`
	}
)

func slackBody(m Message) slackMessage {
	title := m.Title()
	msg := slackMessage{Text: slackEscape(title)}
	// A header's plain text is shown as is: it needs no escaping.
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "header",
		Text: &slackText{Type: "plain_text", Text: truncate(title, slackHeaderMax), Emoji: true}})
	if m.Text != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: truncate(slackEscape(m.Text), slackSectionMax)}})
	}
	if facts := m.facts(); len(facts) > 0 {
		fields := make([]slackText, 0, len(facts))
		for _, f := range facts {
			value := slackEscape(f.value)
			if f.name == "Images" {
				value = slackImages(m.Images)
			}
			fields = append(fields, slackText{Type: "mrkdwn",
				Text: truncate("*"+f.name+"*\n"+value, slackFieldMax)})
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: fields})
	}
	if m.DashboardURL != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "actions", Elements: []slackElement{{
			Type: "button",
			Text: &slackText{Type: "plain_text", Text: linkLabel},
			URL:  m.DashboardURL,
		}}})
	}
	return msg
}

// slackImages lists images one a line, as code.
func slackImages(images []string) string {
	lines := make([]string, len(images))
	for i, image := range images {
		lines[i] = "`" + slackEscape(strings.ReplaceAll(image, "`", "'")) + "`"
	}
	return strings.Join(lines, "\n")
}

// Microsoft Teams message with an Adaptive Card, the parts used.
type (
	teamsMessage struct {
		Type        string            `json:"type"`
		Attachments []teamsAttachment `json:"attachments"`
	}
	teamsAttachment struct {
		ContentType string    `json:"contentType"`
		ContentURL  *string   `json:"contentUrl"`
		Content     teamsCard `json:"content"`
	}
	teamsCard struct {
		Schema  string         `json:"$schema"`
		Type    string         `json:"type"`
		Version string         `json:"version"`
		Body    []teamsElement `json:"body"`
		Actions []teamsAction  `json:"actions,omitempty"`
	}
	teamsElement struct {
		Type   string      `json:"type"`
		Text   string      `json:"text,omitempty"`
		Weight string      `json:"weight,omitempty"`
		Size   string      `json:"size,omitempty"`
		Wrap   bool        `json:"wrap,omitempty"`
		Facts  []teamsFact `json:"facts,omitempty"`
	}
	teamsFact struct {
		Title string `json:"title"`
		Value string `json:"value"`
	}
	teamsAction struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
)

func teamsBody(m Message) teamsMessage {
	card := teamsCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body:    []teamsElement{{Type: "TextBlock", Text: m.Title(), Weight: "Bolder", Size: "Medium", Wrap: true}},
	}
	if m.Text != "" {
		card.Body = append(card.Body, teamsElement{Type: "TextBlock", Text: truncate(m.Text, chatTextMax), Wrap: true})
	}
	if facts := m.facts(); len(facts) > 0 {
		set := teamsElement{Type: "FactSet"}
		for _, f := range facts {
			set.Facts = append(set.Facts, teamsFact{Title: f.name, Value: f.value})
		}
		card.Body = append(card.Body, set)
	}
	if m.DashboardURL != "" {
		card.Actions = []teamsAction{{Type: "Action.OpenUrl", Title: linkLabel, URL: m.DashboardURL}}
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content:     card,
	}}}
}

// googleChatMessage is a Google Chat text message.
type googleChatMessage struct {
	Text string `json:"text"`
}

func googleChatBody(m Message) googleChatMessage {
	text := m.Title()
	if m.Text != "" {
		text += "\n" + truncate(m.Text, chatTextMax)
	}
	if m.DashboardURL != "" {
		text += "\n" + m.DashboardURL
	}
	return googleChatMessage{Text: text}
}
