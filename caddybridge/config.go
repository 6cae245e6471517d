package caddybridge

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinSecretSize is the smallest master secret accepted in config, in bytes.
const MinSecretSize = 32

// decodeSecret decodes a base64 secret (standard or URL alphabet, with or
// without padding) of at least MinSecretSize bytes. Its errors never
// contain the value.
func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the secret is empty; generate one with: openssl rand -base64 32")
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("the secret is not valid base64; generate one with: openssl rand -base64 32")
	}
	if len(b) < MinSecretSize {
		return nil, fmt.Errorf("the secret is shorter than %d bytes; generate one with: openssl rand -base64 32", MinSecretSize)
	}
	return b, nil
}

// CheckSecret reports whether s is an acceptable secret (see
// decodeSecret) without returning it.
func CheckSecret(s string) error {
	_, err := decodeSecret(s)
	return err
}

// HasPlaceholder reports whether s contains a runtime placeholder such as
// {env.NAME} or {file./path}; such values are checked when they are
// expanded, in Provision.
func HasPlaceholder(s string) bool {
	i := strings.IndexByte(s, '{')
	return i >= 0 && strings.IndexByte(s[i:], '}') > 0
}

func checkSigning(v string) error {
	switch v {
	case SigningRequired, SigningOptional, SigningOff:
		return nil
	}
	return fmt.Errorf("signing %s is not a signing mode; write required, optional or off%s", QuoteValue(v), SecretNote(v))
}

func checkSessionIn(v string) error {
	switch v {
	case SessionInQuery, SessionInHash:
		return nil
	}
	return fmt.Errorf("session_in %s is not a place; write query or hash%s", QuoteValue(v), SecretNote(v))
}

func checkCSPMode(v string) error {
	switch v {
	case CSPEnforce, CSPReportOnly, CSPOff:
		return nil
	}
	return fmt.Errorf("csp %s is not a mode; write enforce, report_only or off%s", QuoteValue(v), SecretNote(v))
}

// checkParamName accepts URL parameter names made of letters, digits and
// "_-.~", which need no escaping in a query or a fragment.
func checkParamName(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s cannot be empty; write a name such as %s", field, DefaultSessionParam)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.~", c) >= 0 {
			continue
		}
		return fmt.Errorf("%s %s contains %q; use only letters, digits and _ - . ~%s", field, QuoteValue(v), string(c), SecretNote(v))
	}
	return nil
}

// CheckParamName reports whether v is an acceptable name for the URL
// parameter field (session_param or parent_param): letters, digits and
// "_-.~" only. The Caddyfile parser calls it so that the error names the
// line; Validate calls it again for JSON configs.
func CheckParamName(field, v string) error {
	return checkParamName(field, v)
}

// CheckRuntimePath accepts an absolute path without a query, fragment,
// dot segments or placeholders, other than "/" itself.
func CheckRuntimePath(v string) error {
	if v == "/" {
		return fmt.Errorf("runtime_path / would take over the whole site; use a path of its own such as %s", DefaultRuntimePath)
	}
	if !strings.HasPrefix(v, "/") {
		return fmt.Errorf("runtime_path %s must be an absolute path such as %s%s", QuoteValue(v), DefaultRuntimePath, SecretNote(v))
	}
	if strings.ContainsAny(v, "?#{}*\\ \t") || strings.Contains(v, "//") {
		return fmt.Errorf("runtime_path %s must be a plain path (no query, fragment, placeholder, wildcard or empty segment), such as %s%s", QuoteValue(v), DefaultRuntimePath, SecretNote(v))
	}
	for _, seg := range strings.Split(v[1:], "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("runtime_path %s must not contain . or .. segments%s", QuoteValue(v), SecretNote(v))
		}
	}
	return nil
}
