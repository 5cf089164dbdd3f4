package bentley

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// SharedStore is state shared between replicas (the Redis tier): a key-value store with expiry,
// and a broadcast of rate-limit hold-offs. Implementations bound every call by their own short
// timeout and answer a miss, never an error, when the store is unreachable: the gateway then
// serves without it.
type SharedStore interface {
	// Get returns the value at key, or false (missing, expired, or the store is unreachable).
	Get(ctx context.Context, key string) ([]byte, bool)
	// Set stores value at key for ttl, or does nothing when the store is unreachable.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration)
	// PublishHoldOff tells every replica that calls with scope must wait until until.
	PublishHoldOff(scope string, until time.Time)
}

// WithSharedStore makes the response cache (WithCache) a two-tier cache, the second tier shared
// by every replica, and shares rate-limit hold-offs through it. Call HoldOff with the hold-offs
// other replicas publish.
func WithSharedStore(s SharedStore) Option {
	return func(c *Client) error {
		c.shared = s
		return nil
	}
}

// Answers in the shared tier: the key names a hash of the share key (credential hash, method,
// URL, Prefer, body), so the store learns no URL, id or token; the value is sealed with AES-GCM
// under a key derived (HKDF-SHA-256) from the caller's own token, with the key name as additional
// data. Without the token the value cannot be read, and a value found under another caller's key
// (a collision, or a tampered store) fails authentication and counts as a miss.

const sharedAnswerInfo = "itwin-graphql-gateway shared response cache v1"

func sharedAnswerKey(share string) string {
	sum := sha256.Sum256([]byte(share))
	return "answer:" + hex.EncodeToString(sum[:])
}

func answerAEAD(token string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(token), nil, sharedAnswerInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealAnswer encodes a 2xx answer (status, Content-Type, body) and seals it for token.
func sealAnswer(token, name string, res *rawResponse) ([]byte, error) {
	aead, err := answerAEAD(token)
	if err != nil {
		return nil, err
	}
	ctype := res.header.Get("Content-Type")
	plain := make([]byte, 0, 4+len(ctype)+len(res.body))
	plain = binary.BigEndian.AppendUint16(plain, uint16(res.status))
	plain = binary.BigEndian.AppendUint16(plain, uint16(len(ctype)))
	plain = append(plain, ctype...)
	plain = append(plain, res.body...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, []byte(name)), nil
}

// openAnswer reverses sealAnswer; false for anything that does not authenticate or parse.
func openAnswer(token, name string, sealed []byte) (*rawResponse, bool) {
	aead, err := answerAEAD(token)
	if err != nil || len(sealed) < aead.NonceSize() {
		return nil, false
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(name))
	if err != nil || len(plain) < 4 {
		return nil, false
	}
	status := int(binary.BigEndian.Uint16(plain))
	n := int(binary.BigEndian.Uint16(plain[2:]))
	if len(plain) < 4+n || status < 200 || status > 299 {
		return nil, false
	}
	header := http.Header{}
	if n > 0 {
		header.Set("Content-Type", string(plain[4:4+n]))
	}
	return &rawResponse{status: status, header: header, body: plain[4+n:]}, true
}

func bearer(req *request) string {
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
}

// sharedGet looks an answer up in the shared tier.
func (c *Client) sharedGet(req *request, key string) (*rawResponse, bool) {
	name := sharedAnswerKey(key)
	sealed, ok := c.shared.Get(req.Context(), name)
	if !ok {
		return nil, false
	}
	return openAnswer(bearer(req), name, sealed)
}

// sharedPut stores an answer in the shared tier for the cache's time to live.
func (c *Client) sharedPut(req *request, key string, res *rawResponse) {
	name := sharedAnswerKey(key)
	sealed, err := sealAnswer(bearer(req), name, res)
	if err != nil {
		return
	}
	c.shared.Set(req.Context(), name, sealed, c.cache.ttl)
}
