package notes

import (
	"context"
	"strings"
)

// Resolver holds the notes; they never change after Handler builds them, so no lock. It is
// written by hand (gqlgen.yml generates no resolver stubs).
type Resolver struct {
	byITwin map[string][]*Note
	byID    map[string]*Note
}

// Entity returns EntityResolver implementation.
func (r *Resolver) Entity() EntityResolver { return &entityResolver{r} }

// Query returns QueryResolver implementation.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

type (
	entityResolver struct{ *Resolver }
	queryResolver  struct{ *Resolver }
)

// FindITwinByID answers the router's ITwin representations: the notes of that iTwin (none for
// an iTwin nobody wrote about, which is still an ITwin: the gateway's subgraph owns it).
func (r *entityResolver) FindITwinByID(ctx context.Context, id string) (*ITwin, error) {
	notes := r.byITwin[strings.ToLower(id)]
	if notes == nil {
		notes = []*Note{}
	}
	return &ITwin{ID: id, Notes: notes}, nil
}

// Note is the resolver for the note field.
func (r *queryResolver) Note(ctx context.Context, id string) (*Note, error) {
	return r.byID[id], nil
}
