package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

func TestSignKnownVector(t *testing.T) {
	key := []byte("s3cret")
	ts := time.Unix(1767225600, 0)
	body := []byte(`{"trigger":"Aborted"}`)

	h := hmac.New(sha256.New, key)
	h.Write([]byte(`1767225600.{"trigger":"Aborted"}`))
	want := "sha256=" + hex.EncodeToString(h.Sum(nil))

	if got := Sign(key, ts, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	key := []byte("s3cret")
	signed := time.Unix(1767225600, 0)
	body := []byte(`{"trigger":"Aborted"}`)
	sig := Sign(key, signed, body)
	ts := "1767225600"
	now := signed.Add(time.Minute)

	if err := Verify(key, ts, sig, body, now, 5*time.Minute); err != nil {
		t.Fatalf("Verify of a good signature: %v", err)
	}
	cases := []struct {
		name    string
		key     []byte
		ts, sig string
		body    string
		now     time.Time
		maxAge  time.Duration
		want    error
	}{
		{"tampered body", key, ts, sig, `{"trigger":"Healthy"}`, now, 0, ErrBadSignature},
		{"other key", []byte("other"), ts, sig, string(body), now, 0, ErrBadSignature},
		{"other timestamp", key, "1767225601", sig, string(body), now, 0, ErrBadSignature},
		{"no prefix", key, ts, sig[len("sha256="):], string(body), now, 0, ErrBadSignature},
		{"not hex", key, ts, "sha256=zz", string(body), now, 0, ErrBadSignature},
		{"missing", key, ts, "", string(body), now, 0, ErrBadSignature},
		{"stale", key, ts, sig, string(body), signed.Add(10 * time.Minute), 5 * time.Minute, ErrStaleTimestamp},
		{"stale by default", key, ts, sig, string(body), signed.Add(6 * time.Minute), 0, ErrStaleTimestamp},
		{"from the future", key, ts, sig, string(body), signed.Add(-time.Hour), time.Minute, ErrStaleTimestamp},
		{"no timestamp", key, "", sig, string(body), now, 0, ErrStaleTimestamp},
		{"bad timestamp", key, "yesterday", sig, string(body), now, 0, ErrStaleTimestamp},
	}
	for _, c := range cases {
		err := Verify(c.key, c.ts, c.sig, []byte(c.body), c.now, c.maxAge)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}
