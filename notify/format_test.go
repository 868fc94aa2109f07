package notify

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	rampv1alpha1 "github.com/rampdev/ramp/api/v1alpha1"
)

func mustBody(t *testing.T, kind string, m Message) []byte {
	t.Helper()
	b, err := body(kind, m)
	if err != nil {
		t.Fatalf("body(%s): %v", kind, err)
	}
	if !json.Valid(b) {
		t.Fatalf("body(%s) is not JSON: %s", kind, b)
	}
	return b
}

func TestWebhookBodyRoundTrips(t *testing.T) {
	m := testMessage()
	m.Time = time.Date(2026, 3, 4, 6, 6, 7, 0, time.FixedZone("CET", 3600))
	b := mustBody(t, KindWebhook, m)

	var got Message
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(m.Time) {
		t.Errorf("time %v, want %v", got.Time, m.Time)
	}
	got.Time, m.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}

	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{
		"title":   "shop/web: update aborted",
		"trigger": "Aborted",
		"message": "Aborted: metric error-rate failed: 0.3 > 0.05",
		"time":    "2026-03-04T05:06:07Z",
		"step":    2.0,
		"weight":  20.0,
	} {
		if fields[name] != want {
			t.Errorf("%s = %v, want %v", name, fields[name], want)
		}
	}
}

// slackPayload is what the tests read of a Slack message.
type slackPayload struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"elements"`
	} `json:"blocks"`
}

func slackOf(t *testing.T, m Message) slackPayload {
	t.Helper()
	var p slackPayload
	if err := json.Unmarshal(mustBody(t, KindSlack, m), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSlackBody(t *testing.T) {
	p := slackOf(t, testMessage())
	if p.Text != "shop/web: update aborted" {
		t.Errorf("text = %q", p.Text)
	}
	types := make([]string, len(p.Blocks))
	for i, b := range p.Blocks {
		types[i] = b.Type
	}
	if got := strings.Join(types, ","); got != "header,section,section,actions" {
		t.Fatalf("blocks %s, want header,section,section,actions", got)
	}
	if h := p.Blocks[0].Text; h.Type != "plain_text" || h.Text != "shop/web: update aborted" {
		t.Errorf("header %+v", h)
	}
	if s := p.Blocks[1].Text; s.Type != "mrkdwn" || s.Text != "Aborted: metric error-rate failed: 0.3 &gt; 0.05" {
		t.Errorf("text section %+v", s)
	}
	var fields []string
	for _, f := range p.Blocks[2].Fields {
		fields = append(fields, f.Text)
	}
	want := []string{
		"*Revision*\n7",
		"*Images*\n`web=registry.example.com/web:1.2.3`\n`proxy=envoy:1.30`",
		"*Step*\n2 of 5",
		"*Weight*\n20%",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields %q, want %q", fields, want)
	}
	if e := p.Blocks[3].Elements; len(e) != 1 || e[0].Type != "button" || e[0].URL != "https://ramp.example.com/rollouts/shop/web" {
		t.Errorf("actions %+v", e)
	}
}

func TestSlackBodyMinimal(t *testing.T) {
	p := slackOf(t, Message{Trigger: rampv1alpha1.TriggerHealthy, Namespace: "shop", Rollout: "web"})
	if len(p.Blocks) != 1 || p.Blocks[0].Type != "header" {
		t.Errorf("blocks %+v, want the header alone", p.Blocks)
	}
}

func TestSlackEscaping(t *testing.T) {
	m := testMessage()
	m.Rollout = "a&b"
	m.Text = "<!channel> look at <https://evil.example|this> & that"
	m.Images = []string{"web=<img>"}
	b := mustBody(t, KindSlack, m)
	if strings.Contains(string(b), "<!channel>") || strings.Contains(string(b), "<https") {
		t.Errorf("unescaped markup in %s", b)
	}
	p := slackOf(t, m)
	if want := "&lt;!channel&gt; look at &lt;https://evil.example|this&gt; &amp; that"; p.Blocks[1].Text.Text != want {
		t.Errorf("text %q, want %q", p.Blocks[1].Text.Text, want)
	}
	if want := "shop/a&amp;b: update aborted"; p.Text != want {
		t.Errorf("fallback text %q, want %q", p.Text, want)
	}
	if !strings.Contains(p.Blocks[2].Fields[1].Text, "web=&lt;img&gt;") {
		t.Errorf("images field %q not escaped", p.Blocks[2].Fields[1].Text)
	}
}

func TestSlackTruncatesLongText(t *testing.T) {
	m := testMessage()
	m.Text = strings.Repeat("é", 5000)
	p := slackOf(t, m)
	if n := len([]rune(p.Blocks[1].Text.Text)); n != slackSectionMax {
		t.Errorf("section of %d characters, want %d", n, slackSectionMax)
	}
}

func TestTeamsBody(t *testing.T) {
	var p struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []struct {
					Type  string `json:"type"`
					Text  string `json:"text"`
					Facts []struct {
						Title string `json:"title"`
						Value string `json:"value"`
					} `json:"facts"`
				} `json:"body"`
				Actions []struct {
					Type string `json:"type"`
					URL  string `json:"url"`
				} `json:"actions"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(mustBody(t, KindMSTeams, testMessage()), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "message" || len(p.Attachments) != 1 {
		t.Fatalf("payload %+v", p)
	}
	a := p.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" || a.Content.Version != "1.4" {
		t.Errorf("attachment %s, card %s %s", a.ContentType, a.Content.Type, a.Content.Version)
	}
	body := a.Content.Body
	if len(body) != 3 || body[0].Type != "TextBlock" || body[0].Text != "shop/web: update aborted" ||
		body[1].Type != "TextBlock" || body[1].Text != "Aborted: metric error-rate failed: 0.3 > 0.05" || body[2].Type != "FactSet" {
		t.Fatalf("card body %+v", body)
	}
	facts := map[string]string{}
	for _, f := range body[2].Facts {
		facts[f.Title] = f.Value
	}
	want := map[string]string{"Revision": "7", "Images": "web=registry.example.com/web:1.2.3, proxy=envoy:1.30",
		"Step": "2 of 5", "Weight": "20%"}
	if !reflect.DeepEqual(facts, want) {
		t.Errorf("facts %v, want %v", facts, want)
	}
	if len(a.Content.Actions) != 1 || a.Content.Actions[0].Type != "Action.OpenUrl" ||
		a.Content.Actions[0].URL != "https://ramp.example.com/rollouts/shop/web" {
		t.Errorf("actions %+v", a.Content.Actions)
	}

	m := testMessage()
	m.DashboardURL = ""
	if strings.Contains(string(mustBody(t, KindMSTeams, m)), "Action.OpenUrl") {
		t.Error("link without a dashboard URL")
	}
}

func TestGoogleChatBody(t *testing.T) {
	var p map[string]string
	if err := json.Unmarshal(mustBody(t, KindGoogleChat, testMessage()), &p); err != nil {
		t.Fatal(err)
	}
	want := "shop/web: update aborted\nAborted: metric error-rate failed: 0.3 > 0.05\nhttps://ramp.example.com/rollouts/shop/web"
	if len(p) != 1 || p["text"] != want {
		t.Errorf("payload %q, want text %q", p, want)
	}
}

func TestUnknownKind(t *testing.T) {
	_, err := body("pager", testMessage())
	if err == nil || !strings.Contains(err.Error(), `"pager"`) {
		t.Errorf("error %v, want one naming the kind", err)
	}
}
