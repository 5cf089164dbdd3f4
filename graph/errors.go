package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/subgraph"
)

// maxLoggedError bounds an error text in a log line: texts can carry what a client sent.
const maxLoggedError = 500

// inputError is a problem with the query's arguments, reported as BAD_USER_INPUT.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// errPanic stands for a recovered resolver panic, already logged by the recover func.
var errPanic = errors.New("resolver panic")

// notFoundError says the platform did not return what was asked for, without an error status
// (getbyidlist leaves unknown ids out of a 200 answer).
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what + " not found" }

// presentation is what a client is told about an error: a stable code, a fixed message and
// extensions. It never carries an upstream body, a URL or a token.
type presentation struct {
	code    string
	message string
	ext     map[string]any
}

// classify maps any error a resolver can return to its presentation. unexpected is true when
// the error is a bug or an unforeseen failure that should be logged.
func classify(err error) (p presentation, unexpected bool) {
	var (
		in  *inputError
		nf  *notFoundError
		api *bentley.Error
	)
	switch {
	case errors.As(err, &in):
		return presentation{code: CodeBadUserInput, message: in.msg}, false
	case errors.As(err, &nf):
		return presentation{code: CodeNotFound, message: nf.Error()}, false
	case errors.Is(err, bentley.ErrNoCredentials):
		return presentation{code: CodeUnauthenticated, message: "a bearer token is required: send Authorization: Bearer <token>"}, false
	case errors.As(err, &api):
		return classifyUpstream(api), false
	case errors.Is(err, bentley.ErrMalformedResponse), errors.Is(err, bentley.ErrInvalidID):
		return presentation{code: CodeUpstreamError, message: "the iTwin Platform sent an answer the gateway could not understand"}, false
	case errors.Is(err, bentley.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return presentation{code: CodeUpstreamUnavailable, message: "the iTwin Platform did not answer in time or could not be reached"}, false
	case errors.Is(err, errBudgetExceeded):
		return presentation{code: CodeRequestLimitExceeded, message: "this query needs more upstream calls than one request may make; split it"}, false
	case errors.Is(err, errPanic):
		return presentation{code: CodeInternal, message: "internal server error"}, false
	case errors.Is(err, subgraph.ErrTypeNotFound):
		// A representation federation could not route: the router's (the client's) mistake.
		return presentation{code: CodeBadUserInput, message: "a representation names no entity this subgraph resolves"}, false
	case errors.Is(err, context.Canceled):
		return presentation{code: CodeUpstreamUnavailable, message: "the request was cancelled before the iTwin Platform answered"}, false
	}
	return presentation{code: CodeInternal, message: "internal server error"}, true
}

func classifyUpstream(e *bentley.Error) presentation {
	upstream := map[string]any{"status": e.Status}
	if e.Code != "" {
		upstream["code"] = e.Code
	}
	p := presentation{ext: map[string]any{"upstream": upstream}}
	switch {
	case e.Status == 401: // Unauthorized
		p.code, p.message = CodeUnauthenticated, "the iTwin Platform refused the bearer token"
	case e.Status == 403: // Forbidden
		p.code, p.message = CodeForbidden, "the caller lacks the permission this field needs"
	case e.Status == 404: // Not Found
		p.code, p.message = CodeNotFound, notFoundMessage(e)
	case e.Status == 429: // Too Many Requests
		p.code, p.message = CodeRateLimited, "the iTwin Platform's rate limit was reached; retry later"
		if e.RetryAfter > 0 {
			p.ext["retryAfter"] = int(math.Ceil(e.RetryAfter.Seconds()))
		}
	case e.Status >= 500:
		p.code, p.message = CodeUpstreamUnavailable, "the iTwin Platform failed to answer"
	default:
		p.code, p.message = CodeUpstreamError, "the iTwin Platform rejected the gateway's request"
	}
	return p
}

func notFoundMessage(e *bentley.Error) string {
	switch {
	case e.Code == "TeamMemberNotFound":
		return "member not found"
	case strings.HasPrefix(e.Endpoint, "users."):
		return "user not found"
	default:
		return "iTwin not found"
	}
}

// NewErrorPresenter returns the one error presenter of the server: every resolver error
// becomes a GraphQL error with extensions.code; unexpected ones are logged, never shown.
func NewErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// gqlgen's own parse and validation errors already carry their code.
			return gqlErr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		p, unexpected := classify(err)
		if unexpected {
			logger.ErrorContext(ctx, "unexpected resolver error", "path", Truncate(out.Path.String(), maxLoggedError), "error", Truncate(err.Error(), maxLoggedError))
		}
		out.Message = p.message
		out.Extensions = map[string]any{"code": p.code}
		for k, v := range p.ext {
			out.Extensions[k] = v
		}
		return out
	}
}

// NewRecoverFunc turns a resolver panic into INTERNAL_SERVER_ERROR after logging it, so one
// bad field never takes the server down.
func NewRecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "resolver panic", "panic", Truncate(fmt.Sprint(p), maxLoggedError))
		return errPanic
	}
}

// CodedError is a GraphQL error with extensions.code, for refusals raised before execution (the
// limits and protocol checks around the core use it too).
func CodedError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	return err
}

// Truncate cuts s to at most n bytes, on a character boundary: for client-chosen texts in log
// lines and messages.
func Truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
