package caddybridge

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/caddyserver/certmagic"
)

// Where the root secret lives in Caddy's storage, and the name of the
// lock that serializes its creation across instances sharing storage.
const (
	rootSecretStorageKey = "caddy_bridge/root_secret"
	rootSecretLockName   = "caddy_bridge_root_secret"
	rootSecretSize       = 32
	rootSecretPrefix     = "caddy-bridge root secret v1\n"
)

// loadOrCreateRootSecret returns the root secret kept in storage,
// creating it on first use. Creation happens under a storage lock, as in
// Caddy's distributedstek module, so that instances sharing storage (a
// Caddy cluster) starting together end up with one secret.
func loadOrCreateRootSecret(ctx context.Context, st certmagic.Storage) ([]byte, error) {
	secret, err := loadRootSecret(ctx, st)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := st.Lock(ctx, rootSecretLockName); err != nil {
		return nil, fmt.Errorf("locking storage to create the root secret: %w", err)
	}
	defer func() { _ = st.Unlock(ctx, rootSecretLockName) }()

	// Another instance may have created it while we waited for the lock.
	secret, err = loadRootSecret(ctx, st)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	secret = make([]byte, rootSecretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generating the root secret: %w", err)
	}
	if err := st.Store(ctx, rootSecretStorageKey, encodeRootSecret(secret)); err != nil {
		return nil, fmt.Errorf("storing the root secret: %w", err)
	}
	return secret, nil
}

// loadRootSecret reads the root secret from storage. A missing secret is
// an error wrapping fs.ErrNotExist.
func loadRootSecret(ctx context.Context, st certmagic.Storage) ([]byte, error) {
	b, err := st.Load(ctx, rootSecretStorageKey)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("loading the root secret from storage: %w", err)
	}
	secret, err := decodeRootSecret(b)
	if err != nil {
		return nil, fmt.Errorf("loading the root secret from storage key %s: %w", rootSecretStorageKey, err)
	}
	return secret, nil
}

// The stored form is a one-line header and the base64url secret, so that
// an operator looking at storage knows what the file is.
func encodeRootSecret(secret []byte) []byte {
	return []byte(rootSecretPrefix + base64.RawURLEncoding.EncodeToString(secret) + "\n")
}

func decodeRootSecret(b []byte) ([]byte, error) {
	s, ok := strings.CutPrefix(string(b), rootSecretPrefix)
	if !ok {
		return nil, errors.New("the stored value is not a caddy-bridge root secret; delete it to create a new one")
	}
	secret, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(secret) != rootSecretSize {
		return nil, errors.New("the stored root secret is damaged; delete it to create a new one")
	}
	return secret, nil
}
