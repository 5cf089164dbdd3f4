// Package graph serves the GraphQL schema: resolvers, per-request loaders and the error
// presenter. Resolvers reach the platform only through the request's Loaders.
package graph

import (
	"context"
	"errors"
)

//go:generate go tool gqlgen generate

// Resolver is the root resolver. It holds nothing: everything a resolver needs for a request
// (the loaders, hence the caller's token) travels in the request context.
type Resolver struct {
	// maxUserIDs bounds the ids of one users(ids:) field.
	maxUserIDs int
}

// errNoLoaders means the handler was built without Middleware: a wiring bug, not a client's.
var errNoLoaders = errors.New("graph: no loaders in request context")

// requestLoaders returns the request's loaders.
func requestLoaders(ctx context.Context) (*Loaders, error) {
	if l := loadersFrom(ctx); l != nil {
		return l, nil
	}
	return nil, errNoLoaders
}
