package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/itwin-graphql/gateway/graph/model"
)

// panickingResolver is the real resolver except that me panics.
type panickingResolver struct{ *Resolver }

func (r panickingResolver) Query() QueryResolver { return panickingQuery{&queryResolver{r.Resolver}} }

type panickingQuery struct{ *queryResolver }

func (panickingQuery) Me(context.Context) (*model.User, error) { panic("boom: secret detail") }

func TestPanicBecomesInternalServerError(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	gql := handler.New(NewExecutableSchema(Config{Resolvers: panickingResolver{&Resolver{}}}))
	gql.AddTransport(transport.POST{})
	gql.SetErrorPresenter(NewErrorPresenter(logger))
	gql.SetRecoverFunc(NewRecoverFunc(logger))
	srv := httptest.NewServer(gql)
	defer srv.Close()

	for i := 0; i < 2; i++ { // and the server keeps serving
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"query":"{ me { id } __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data   map[string]any
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != CodeInternal || strings.Contains(out.Errors[0].Message, "secret") {
			t.Fatalf("errors = %+v, want one INTERNAL_SERVER_ERROR without the panic's text", out.Errors)
		}
		if out.Data["__typename"] != "Query" || out.Data["me"] != nil {
			t.Errorf("data = %v: the sibling field must survive", out.Data)
		}
	}
	if !strings.Contains(logs.String(), "boom: secret detail") {
		t.Error("the panic was not logged")
	}
}

func TestUnexpectedErrorsAreLoggedNotShown(t *testing.T) {
	p, unexpected := classify(errNoLoaders)
	if p.code != CodeInternal || !unexpected || strings.Contains(p.message, "loaders") {
		t.Errorf("classify(errNoLoaders) = %+v, %v", p, unexpected)
	}
}
