package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed request.
const (
	// HeaderTimestamp carries the time of signing, in Unix seconds.
	HeaderTimestamp = "X-Ramp-Timestamp"
	// HeaderSignature carries Sign's result.
	HeaderSignature = "X-Ramp-Signature"
	// signaturePrefix names the signature's algorithm.
	signaturePrefix = "sha256="
	// DefaultMaxAge is the age of a signature Verify accepts when given no
	// maxAge.
	DefaultMaxAge = 5 * time.Minute
)

// Errors of Verify, to match with errors.Is.
var (
	// ErrBadSignature: the signature is missing, malformed or does not
	// match the body and timestamp.
	ErrBadSignature = errors.New("bad signature")
	// ErrStaleTimestamp: the timestamp is missing, malformed, or too far
	// from the current time.
	ErrStaleTimestamp = errors.New("stale timestamp")
)

// Sign returns the signature of a request's body sent at timestamp:
// "sha256=" and, in hex, HMAC-SHA256 with key of the timestamp in Unix
// seconds, a dot and the body.
func Sign(key []byte, timestamp time.Time, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(key, strconv.FormatInt(timestamp.Unix(), 10), body))
}

func mac(key []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signed request for a receiver: timestampHeader and
// signatureHeader are the values of HeaderTimestamp and HeaderSignature,
// body the request's body. It rejects a signature that does not match
// (ErrBadSignature) and a timestamp more than maxAge before or after now
// (ErrStaleTimestamp); maxAge of zero or less means DefaultMaxAge. The
// signatures are compared in constant time.
func Verify(key []byte, timestampHeader, signatureHeader string, body []byte, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	timestampHeader = strings.TrimSpace(timestampHeader)
	secs, err := strconv.ParseInt(timestampHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not Unix seconds: %w", truncate(timestampHeader, 32), ErrStaleTimestamp)
	}
	age := now.Sub(time.Unix(secs, 0))
	if age > maxAge || age < -maxAge {
		return fmt.Errorf("timestamp is %s from now, more than %s: %w", age.Round(time.Second), maxAge, ErrStaleTimestamp)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signatureHeader), signaturePrefix)
	if !ok {
		return fmt.Errorf("signature does not start with %q: %w", signaturePrefix, ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", ErrBadSignature)
	}
	if !hmac.Equal(got, mac(key, timestampHeader, body)) {
		return fmt.Errorf("signature does not match the body: %w", ErrBadSignature)
	}
	return nil
}
