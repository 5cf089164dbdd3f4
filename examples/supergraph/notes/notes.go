// Package notes is the second subgraph of the supergraph example: an in-memory store of notes
// about iTwins, served with gqlgen's federation support. It extends the gateway's ITwin with a
// notes field and refers to authors as User entities, so a query through the router crosses
// both subgraphs in both directions.
package notes

//go:generate go tool gqlgen generate --config gqlgen.yml

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// Seed is one note to start with.
type Seed struct {
	ITwinID, AuthorID, Text string
}

// Handler serves the subgraph with the given notes.
func Handler(seeds []Seed) http.Handler {
	r := &Resolver{byITwin: map[string][]*Note{}, byID: map[string]*Note{}}
	for i, s := range seeds {
		n := &Note{ID: fmt.Sprintf("note-%d", i+1), Text: s.Text, Author: &User{ID: s.AuthorID}}
		key := strings.ToLower(s.ITwinID)
		r.byITwin[key] = append(r.byITwin[key], n)
		r.byID[n.ID] = n
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{}) // _service { sdl } is federation's introspection
	return srv
}
