package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/itwin-graphql/gateway/graph"
	"github.com/itwin-graphql/gateway/internal/sharedstate"
)

// persistedQueries serves Apollo's automatic persisted queries: a client sends a query's SHA-256,
// and the query itself only when the server does not know the hash yet. gqlgen's own extension
// stores every query it is sent before parsing it; this one stores a query only once it has parsed
// and validated (MutateOperationContext runs after validation), in a store bounded in bytes, so
// invalid or oversized documents never take memory beyond their own request.
type persistedQueries struct {
	// store holds the queries by hash: in memory, or in memory in front of the store replicas
	// share (Redis), so a query registered on one replica is served by all of them.
	store sharedstate.Store
	ttl   time.Duration
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string                          { return "AutomaticPersistedQuery" }
func (persistedQueries) Validate(schema graphql.ExecutableSchema) error { return nil }

// apqHash reads the persistedQuery extension: its hash, whether it is there, and an error when it
// is malformed or of another version.
func apqHash(ext map[string]any) (string, bool, *gqlerror.Error) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return "", false, nil
	}
	m, _ := raw.(map[string]any)
	hash, _ := m["sha256Hash"].(string)
	if hash == "" {
		return "", true, graph.CodedError(graph.CodeBadRequest, "extensions.persistedQuery needs a sha256Hash")
	}
	if fmt.Sprint(m["version"]) == "1" { // a json.Number, an int or a float, as decoders give it
		return hash, true, nil
	}
	return "", true, graph.CodedError(graph.CodeBadRequest, "extensions.persistedQuery.version must be 1")
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	hash, ok, err := apqHash(params.Extensions)
	if !ok || err != nil {
		return err
	}
	if params.Query == "" {
		raw, found := p.store.Get(ctx, "apq:"+hash)
		if !found {
			return graph.CodedError(graph.CodePersistedQueryNotFound, "PersistedQueryNotFound")
		}
		params.Query = string(raw)
		return nil
	}
	sum := sha256.Sum256([]byte(params.Query))
	if hex.EncodeToString(sum[:]) != hash {
		return graph.CodedError(graph.CodeBadRequest, "extensions.persistedQuery.sha256Hash does not match the query")
	}
	return nil
}

// hashChecked is a store of queries another replica may have written (Redis): a value is served
// only if it still hashes to the name it is stored under, so a tampered store cannot swap a
// query. This replica's own store needs no check: it holds only queries whose hash was checked
// when they were sent.
type hashChecked struct{ sharedstate.Store }

func (h hashChecked) Get(ctx context.Context, key string) ([]byte, bool) {
	raw, ok := h.Store.Get(ctx, key)
	if !ok {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	if "apq:"+hex.EncodeToString(sum[:]) != key {
		return nil, false
	}
	return raw, true
}

// MutateOperationContext stores a query sent with its hash, now that it has parsed and validated.
func (p persistedQueries) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if hash, ok, _ := apqHash(rc.Extensions); ok {
		if _, known := p.store.Get(ctx, "apq:"+hash); !known {
			p.store.Set(ctx, "apq:"+hash, []byte(rc.RawQuery), p.ttl)
		}
	}
	return nil
}
