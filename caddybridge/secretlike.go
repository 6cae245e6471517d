package caddybridge

import (
	"fmt"
	"strconv"
)

// secretRunMin is the length from which a run of base64 or hex
// characters may be a secret: 32 bytes are 43 characters in base64 and
// 64 in hex, and 16 bytes (openssl rand -hex 16) are 32 in hex.
const secretRunMin = 32

// LooksLikeSecret reports whether v may be a secret, so that an error
// message must describe it (see QuoteValue) rather than quote it. That is
// the case when v decodes as a config secret (base64 of at least
// MinSecretSize bytes), when it contains a run of at least 32
// characters from the base64 standard and URL alphabets that mixes upper
// case, lower case and digits, as random base64 does, or when it contains
// a run of at least 32 hexadecimal digits (openssl rand -hex). Origins,
// host names, option names and durations do not: an origin's ':' and '.'
// break the runs, and a long host label or path is seldom hexadecimal or
// in mixed case with digits.
func LooksLikeSecret(v string) bool {
	if len(v) < secretRunMin {
		return false
	}
	if _, err := decodeSecret(v); err == nil {
		return true
	}
	return hasRun(v, isBase64Char, mixedCaseAndDigits) || hasRun(v, isHexChar, func(string) bool { return true })
}

// hasRun reports whether v has a maximal run of at least secretRunMin
// characters for which in is true, and for which ok is true.
func hasRun(v string, in func(byte) bool, ok func(string) bool) bool {
	start := -1
	for i := 0; i <= len(v); i++ {
		if i < len(v) && in(v[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= secretRunMin && ok(v[start:i]) {
			return true
		}
		start = -1
	}
	return false
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

func isHexChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func mixedCaseAndDigits(r string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(r); i++ {
		c := r[i]
		upper = upper || c >= 'A' && c <= 'Z'
		lower = lower || c >= 'a' && c <= 'z'
		digit = digit || c >= '0' && c <= '9'
	}
	return upper && lower && digit
}

// QuoteValue returns v quoted for an error message, or, when v looks like
// a secret (LooksLikeSecret), a description in parentheses that contains
// none of it, such as "(a 44-character value that looks like a secret)".
// Every error that repeats a value from the config goes through it,
// because the likeliest slip with a secret is to write it where another
// value goes.
func QuoteValue(v string) string {
	if LooksLikeSecret(v) {
		return "(" + DescribeSecret(v) + ")"
	}
	return strconv.Quote(v)
}

// DescribeSecret describes v without quoting any of it.
func DescribeSecret(v string) string {
	return fmt.Sprintf("a %d-character value that looks like a secret", len(v))
}

// SecretSlipHint is appended to a message whose value looks like a
// secret: it says where a secret goes.
const SecretSlipHint = `did you mean "secret <value>"? A secret goes on its own line in the block after an embed or parent line's origins, for example: embed https://widget.example.com { secret {env.BRIDGE_SECRET} }`

// SecretNote returns "; " + SecretSlipHint when v looks like a secret,
// and "" otherwise.
func SecretNote(v string) string {
	if LooksLikeSecret(v) {
		return "; " + SecretSlipHint
	}
	return ""
}
