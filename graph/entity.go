package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/model"
	"github.com/itwin-graphql/gateway/graph/subgraph"
)

// Subgraph resolvers: the same Resolver, seen through the federation package's generated
// interfaces (whose methods are identical), plus the entity resolvers behind _entities.

// SubgraphResolver serves graph/subgraph's executable schema with this package's resolvers.
type SubgraphResolver struct{ *Resolver }

func (r SubgraphResolver) Account() subgraph.AccountResolver { return r.Resolver.Account() }
func (r SubgraphResolver) ITwin() subgraph.ITwinResolver     { return r.Resolver.ITwin() }
func (r SubgraphResolver) Member() subgraph.MemberResolver   { return r.Resolver.Member() }
func (r SubgraphResolver) Query() subgraph.QueryResolver     { return r.Resolver.Query() }
func (r SubgraphResolver) User() subgraph.UserResolver       { return r.Resolver.User() }
func (r SubgraphResolver) Entity() subgraph.EntityResolver   { return entityResolver{r.Resolver} }

// entityResolver resolves representations a batch per type, through the request's loaders, so
// 100 Users are one getbyidlist call and 50 iTwins one round of concurrent GETs. An id that is
// malformed, unknown or hidden from the caller is a null entry with its own error (NOT_FOUND or
// BAD_USER_INPUT at _entities[i]); the rest of the batch is answered.
type entityResolver struct{ *Resolver }

func (r entityResolver) FindManyITwinByIDs(ctx context.Context, reps []*subgraph.ITwinByIDsInput) ([]*model.ITwin, error) {
	ids := make([]string, len(reps))
	for i, rep := range reps {
		ids[i] = rep.ID
	}
	out := make([]*model.ITwin, len(reps))
	return out, r.eachITwin(ctx, ids, func(i int, t *bentley.ITwin) error {
		out[i] = r.convert().iTwin(ctx, t)
		return nil
	})
}

func (r entityResolver) FindManyAccountByIDs(ctx context.Context, reps []*subgraph.AccountByIDsInput) ([]*model.Account, error) {
	ids := make([]string, len(reps))
	for i, rep := range reps {
		ids[i] = rep.ID
	}
	out := make([]*model.Account, len(reps))
	return out, r.eachITwin(ctx, ids, func(i int, t *bentley.ITwin) error {
		// An Account is an iTwin of class Account; any other iTwin's id is no Account's.
		if !strings.EqualFold(t.Class, "Account") {
			return &notFoundError{what: "account"}
		}
		out[i] = r.convert().account(ctx, t)
		return nil
	})
}

// entityLoaders returns the request's loaders; entityCheck has bounded the representations.
func entityLoaders(ctx context.Context) (*Loaders, error) { return requestLoaders(ctx) }

// eachITwin loads every id's iTwin in one round (all loads start before any is awaited) and
// hands each to put; the per-index errors come back as a graphql.BatchErrorList.
func (r entityResolver) eachITwin(ctx context.Context, ids []string, put func(int, *bentley.ITwin) error) error {
	l, err := entityLoaders(ctx)
	if err != nil {
		return err
	}
	errs := make(graphql.BatchErrorList, len(ids))
	valid := make([]string, len(ids))
	for i, raw := range ids {
		if valid[i], errs[i] = parseID("id", raw); errs[i] != nil {
			valid[i] = ""
		}
	}
	l.itwins.now(ctx, slices.DeleteFunc(slices.Clone(valid), func(id string) bool { return id == "" }))
	thunks := make([]func() (*bentley.ITwin, error), len(ids))
	for i, id := range valid {
		if id != "" {
			thunks[i] = loadThunk(ctx, &l.itwins, id)
		}
	}
	return finish(errs, thunks, put)
}

func (r entityResolver) FindManyUserByIDs(ctx context.Context, reps []*subgraph.UserByIDsInput) ([]*model.User, error) {
	l, err := entityLoaders(ctx)
	if err != nil {
		return nil, err
	}
	errs := make(graphql.BatchErrorList, len(reps))
	out := make([]*model.User, len(reps))
	var ids []string
	var at []int
	for i, rep := range reps {
		id, err := parseID("id", rep.ID)
		if err != nil {
			errs[i] = err
			continue
		}
		ids = append(ids, id)
		at = append(at, i)
	}
	// Every id enqueued at once: one getbyidlist call per 1000.
	users, userErrs := l.Users(ctx, ids)
	for j, i := range at {
		switch {
		case userErrs[j] != nil:
			errs[i] = userErrs[j]
		case users[j] == nil:
			errs[i] = &notFoundError{what: "user"}
		default:
			out[i] = toUser(users[j])
		}
	}
	return out, batchErr(errs)
}

func (r entityResolver) FindManyMemberByIDs(ctx context.Context, reps []*subgraph.MemberByIDsInput) ([]*model.Member, error) {
	l, err := entityLoaders(ctx)
	if err != nil {
		return nil, err
	}
	errs := make(graphql.BatchErrorList, len(reps))
	keys := make([]memberKey, len(reps))
	for i, rep := range reps {
		if itwinID, userID, ok := parseMemberID(rep.ID); ok {
			keys[i] = memberKey{itwinID: itwinID, memberID: userID}
		}
	}
	l.members.now(ctx, slices.DeleteFunc(slices.Clone(keys), func(k memberKey) bool { return k.itwinID == "" }))
	thunks := make([]func() (*model.Member, error), len(reps))
	for i := range reps {
		itwinID := keys[i].itwinID
		if itwinID == "" {
			errs[i] = inputErrorf("id is not a Member id from this graph")
			continue
		}
		thunk := loadThunk(ctx, &l.members, keys[i])
		thunks[i] = func() (*model.Member, error) {
			m, err := thunk()
			if err != nil {
				return nil, err
			}
			return toMember(itwinID, m), nil
		}
	}
	out := make([]*model.Member, len(reps))
	return out, finish(errs, thunks, func(i int, m *model.Member) error {
		out[i] = m
		return nil
	})
}

// finish awaits each started load, hands what arrived to put and records every failure at its
// index; a nil result is NOT_FOUND.
func finish[T any](errs graphql.BatchErrorList, thunks []func() (*T, error), put func(int, *T) error) error {
	for i, thunk := range thunks {
		if thunk == nil {
			continue // refused before loading; its error is already in errs
		}
		v, err := thunk()
		if err == nil && v == nil {
			err = &notFoundError{what: "entity"}
		}
		if err == nil {
			err = put(i, v)
		}
		errs[i] = err
	}
	return batchErr(errs)
}

// batchErr is nil when no entry failed, so a clean batch carries no error at all.
func batchErr(errs graphql.BatchErrorList) error {
	for _, err := range errs {
		if err != nil {
			return errs
		}
	}
	return nil
}

// parseMemberID reads a Member id (memberID) back into its iTwin and user ids.
func parseMemberID(id string) (itwinID, userID string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "Member" || !isUUID(parts[1]) || !isUUID(parts[2]) {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// SubgraphSDL is the subgraph's SDL exactly as _service { sdl } answers a router, for publishing
// to a schema registry (gateway schema --federation). It runs that query in process.
func SubgraphSDL() (string, error) {
	es := subgraph.NewExecutableSchema(subgraph.Config{Resolvers: SubgraphResolver{&Resolver{}}})
	exec := executor.New(es)
	exec.Use(extension.Introspection{}) // _service is federation's introspection
	ctx := graphql.StartOperationTrace(context.Background())
	op, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: "{ _service { sdl } }"})
	if errs != nil {
		return "", errs
	}
	handle, ctx := exec.DispatchOperation(ctx, op)
	resp := handle(graphql.WithOperationContext(ctx, op))
	if len(resp.Errors) > 0 {
		return "", resp.Errors
	}
	var out struct {
		Service struct{ SDL string } `json:"_service"`
	}
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		return "", err
	}
	return out.Service.SDL, nil
}
