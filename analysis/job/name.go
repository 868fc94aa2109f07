package job

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// hashLen is the number of hex digits of the hash that ends a name or label
// value too long (or, for a name, not valid) to be used as it is.
const hashLen = 8

// jobName returns the name of the Job of measurement n of a metric:
// <run>-<metric>-<n> when that is a valid DNS-1123 label (at most 63
// characters, since Job names become pod label values). Otherwise the
// name is lowercased, every character other than a-z, 0-9 and - becomes -,
// it is cut to leave room for a hash, and it ends with -<hash of
// <run>-<metric>-<n>>: stable for the same inputs, different for every
// measurement, and still readable.
func jobName(run, metric string, n int32) string {
	base := run + "-" + metric + "-" + strconv.FormatInt(int64(n), 10)
	if len(validation.IsDNS1123Label(base)) == 0 {
		return base
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, base)
	return cutWithHash(clean, base, validation.DNS1123LabelMaxLength, isLowerAlphanumeric)
}

// labelValue returns v when it fits a label value (63 characters), else v
// cut and suffixed with -<hash of v>. v must otherwise be a valid label
// value, as run names (DNS subdomains) and metric names (pattern-checked by
// the CRD) are.
func labelValue(v string) string {
	if len(v) <= validation.LabelValueMaxLength {
		return v
	}
	return cutWithHash(v, v, validation.LabelValueMaxLength, isAlphanumeric)
}

// cutWithHash cuts s so that it ends with a character accepted by keep and,
// followed by - and the hash of hashed, is at most limit characters long.
func cutWithHash(s, hashed string, limit int, keep func(byte) bool) string {
	sum := sha256.Sum256([]byte(hashed))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	s = s[:min(len(s), limit-1-hashLen)]
	for s != "" && !keep(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if s == "" {
		return hash
	}
	return s + "-" + hash
}

// isLowerAlphanumeric reports whether c is a-z or 0-9.
func isLowerAlphanumeric(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

// isAlphanumeric reports whether c is a-z, A-Z or 0-9.
func isAlphanumeric(c byte) bool {
	return isLowerAlphanumeric(c) || (c >= 'A' && c <= 'Z')
}
