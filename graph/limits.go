package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/itwin-graphql/gateway/graph/model"
	"github.com/itwin-graphql/gateway/graph/subgraph"
)

// Limits bound what one request may ask of the gateway and, through it, of the platform. Each
// zero field takes its default.
type Limits struct {
	// MaxBodyBytes bounds a request body; larger ones are answered 413.
	MaxBodyBytes int64
	// MaxComplexity bounds a query's cost, where every field that calls the platform costs
	// upstreamFieldCost and users(ids:) costs per id.
	MaxComplexity int
	// MaxDepth bounds field nesting (introspection fields are not counted).
	MaxDepth int
	// MaxAliases bounds the aliased fields of an operation, fragments included.
	MaxAliases int
	// MaxTokens bounds the tokens the parser reads from a query.
	MaxTokens int
	// MaxUserIDs bounds the ids of one users(ids:) field.
	MaxUserIDs int
	// CallBudget bounds the upstream calls of one operation; fields past it resolve to null
	// with REQUEST_LIMIT_EXCEEDED while the rest of the answer stands.
	CallBudget int
}

// DefaultLimits are generous for the schema's real uses (the aggregation query costs about 60,
// 40 aliased users about 480, 1500 ids about 1520, a 25-iTwin page with accounts, creators and
// 10-member teams about 2,000) and small against abuse.
var DefaultLimits = Limits{
	MaxBodyBytes:  256 << 10,
	MaxComplexity: 5000,
	MaxDepth:      10,
	MaxAliases:    100,
	MaxTokens:     15000,
	MaxUserIDs:    2000,
	CallBudget:    100,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	l.MaxComplexity = pick(l.MaxComplexity, d.MaxComplexity)
	l.MaxDepth = pick(l.MaxDepth, d.MaxDepth)
	l.MaxAliases = pick(l.MaxAliases, d.MaxAliases)
	l.MaxTokens = pick(l.MaxTokens, d.MaxTokens)
	l.MaxUserIDs = pick(l.MaxUserIDs, d.MaxUserIDs)
	l.CallBudget = pick(l.CallBudget, d.CallBudget)
	return l
}

// Error codes of the limits.
const (
	CodeRequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED"
	CodeDepthLimitExceeded   = "DEPTH_LIMIT_EXCEEDED"
	// CodeComplexityLimitExceeded is the code gqlgen's complexity limit uses; the field count
	// check reuses it, being a bound of the same kind.
	CodeComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeAliasLimitExceeded      = "ALIAS_LIMIT_EXCEEDED"
	CodeRequestTooLarge         = "REQUEST_TOO_LARGE"
)

// upstreamFieldCost is the complexity of a field that makes (or shares) an upstream call, against
// 1 for a plain field: the cost that matters is the platform's.
const upstreamFieldCost = 10

// batchedFieldCost is the complexity of a field answered from a batch call many objects share
// (a user profile through getbyidlist): a fraction of a call each.
const batchedFieldCost = 2

// complexity assigns costs to the fields that call the platform. A connection costs one call
// plus its page size times what each item selects, so nested lists multiply as their calls do.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	upstream := func(child int) int { return upstreamFieldCost + child }
	batched := func(child int) int { return batchedFieldCost + child }
	page := func(child int, first *int) int {
		n := DefaultPageSize
		if first != nil && *first > 0 {
			n = min(*first, MaxPageSize) // out of range is refused by the resolver
		}
		return upstreamFieldCost + n*child
	}
	list := func(child int, first *int, _ *string, _ *model.ITwinFilter) int { return page(child, first) }
	c.Query.Me = upstream
	c.Query.MyPrimaryAccount = upstream
	c.Query.User = func(child int, _ string) int { return upstream(child) }
	c.Query.Itwin = func(child int, _ string) int { return upstream(child) }
	// A users(ids:) list costs one upstream call per 1000 ids plus one per id returned.
	c.Query.Users = func(_ int, ids []string) int {
		calls := (len(ids) + 999) / 1000
		return calls*upstreamFieldCost + len(ids)
	}
	// A search returns up to 1000 users; a page's worth is charged.
	c.Query.SearchUsers = func(child int, _ string) int { return page(child, nil) }
	c.Query.Itwins = list
	c.Query.FavoriteItwins = list
	c.Query.RecentItwins = list
	c.Account.Itwins = list
	c.ITwin.Account = upstream
	c.ITwin.Parent = upstream
	c.ITwin.Roles = upstream
	c.ITwin.MyPermissions = upstream
	c.ITwin.CreatedByUser = batched
	c.ITwin.LastModifiedByUser = batched
	c.ITwin.Member = func(child int, _ string) int { return upstream(child) }
	c.ITwin.Members = func(child int, first *int, _ *string) int { return page(child, first) }
	c.Member.User = batched
	return c
}

// errBudgetExceeded is returned for upstream calls past the operation's budget.
var errBudgetExceeded = errors.New("the operation's budget of upstream calls is spent")

// callBudget counts one operation's upstream attempts and refuses those past max (0: no limit).
// It is the operation's bentley.Budget.
type callBudget struct {
	max  int64
	used atomic.Int64
	// sent counts the HTTP requests actually sent for the operation: cache hits, calls shared with
	// another caller and calls never made (no token) are not among them.
	sent atomic.Int64
	// refused, when set, is told of every call refused for the budget.
	refused func()
}

// Take spends one attempt for the platform client's retries (bentley.Budget).
func (b *callBudget) Take() error { return b.take() }

// Sent records an HTTP request sent (bentley.Budget).
func (b *callBudget) Sent() { b.sent.Add(1) }

// take spends one attempt, or fails once the budget is spent.
func (b *callBudget) take() error {
	if b.max > 0 && b.used.Add(1) > b.max {
		if b.refused != nil {
			b.refused()
		}
		return errBudgetExceeded
	}
	return nil
}

// readBody reads a POST body before gqlgen does, and before the request takes an execution slot:
// through MAX_BODY_BYTES, under its own deadline (timeout, from the first byte awaited) and the
// budget of bytes all bodies may hold. It refuses what gqlgen would answer by echoing the body
// back (its decode errors quote it, variables and all) or with no extensions.code: a body over
// the limit (413), one that could not be read in time (408, with nothing of the connection in the
// message), one past the budget (503 OVERLOADED), one sent compressed (415), and one that is
// empty, not JSON, a batch (a JSON array) or not the shape of a GraphQL request (400
// BAD_REQUEST). With trusted documents, the fields it parsed go to their check. gqlgen then
// decodes the buffer.
func readBody(max int64, timeout time.Duration, budget *bodyBudget, trusted *TrustedDocuments, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			if msg := checkQueryParams(r.URL.Query()); msg != "" {
				writeRequestError(w, http.StatusBadRequest, CodeBadRequest, msg)
				return
			}
			// No body to wait for: the server's whole-request read deadline must not cut off an
			// execution that outlasts it.
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
			trusted.serve(w, r, nil, next)
			return
		}
		if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
			writeRequestError(w, http.StatusUnsupportedMediaType, CodeBadRequest, "compressed request bodies are not accepted; send the JSON as it is")
			return
		}
		if r.ContentLength > max {
			tooLarge(w, max)
			return
		}
		rc := http.NewResponseController(w)
		// The deadline is the body's alone: once read, the connection's reads are unbounded
		// again, so an execution that outlasts it is not cut off by it.
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		body, held, err := readAllBudgeted(r.Body, r.ContentLength, max, budget)
		defer budget.give(held)
		_ = rc.SetReadDeadline(time.Time{})
		if err != nil && r.ProtoMajor == 1 {
			// The rest of the body is not worth reading: without this the server would read it
			// to keep the connection, at the client's pace, before answering.
			w.Header().Set("Connection", "close")
		}
		switch {
		case errors.Is(err, errBodyTooLarge):
			tooLarge(w, max)
			return
		case errors.Is(err, errBodyBudget):
			w.Header().Set("Retry-After", "1")
			writeRequestError(w, http.StatusServiceUnavailable, CodeOverloaded, "the gateway is receiving as many request bodies as it may; retry shortly")
			return
		case err != nil && isTimeout(err):
			writeRequestError(w, http.StatusRequestTimeout, CodeBadRequest, "the request body was not received in time")
			return
		case err != nil:
			writeRequestError(w, http.StatusBadRequest, CodeBadRequest, "the request body could not be read")
			return
		}
		fields, msg := checkRequestJSON(body)
		if msg != "" {
			writeRequestError(w, http.StatusBadRequest, CodeBadRequest, msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		trusted.serve(w, r, fields, next) // the fields just parsed, not parsed again
	})
}

// requestFields are the members of a GraphQL-over-HTTP request body that gqlgen or the
// trusted-documents check read. encoding/json matches struct fields case-insensitively (with
// Unicode folding: "ſ" for "s") and keeps the last of repeated keys, skipping nulls; a map keeps
// the last key exactly as spelt. A body whose keys differ only in case, or repeat, would be read
// one way by the check and another by gqlgen, so such a body is refused: what is checked is then
// exactly what executes.
var requestFields = []string{"query", "operationName", "variables", "extensions", "documentId"}

// checkRequestJSON says what is wrong with a GraphQL-over-HTTP request body, in words of its own
// that quote nothing of the body; "" when nothing is.
func checkRequestJSON(body []byte) (fields map[string]json.RawMessage, msg string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, `the request body is empty; send {"query": "..."}`
	case trimmed[0] == '[':
		return nil, "batched requests (a JSON array) are not supported; send one operation per request"
	}
	// One pass: Unmarshal validates the whole body while it splits out the top-level fields.
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil {
		return nil, "the request body is not a JSON object"
	}
	if msg := checkKeys(trimmed, len(fields)); msg != "" {
		return nil, msg
	}
	for name, want := range map[string]byte{"query": '"', "operationName": '"', "variables": '{', "extensions": '{'} {
		raw := bytes.TrimSpace(fields[name])
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if raw[0] != want {
			kind := "a string"
			if want == '{' {
				kind = "an object"
			}
			return nil, name + " must be " + kind
		}
	}
	return fields, ""
}

// checkKeys refuses a body (a valid JSON object with distinct decoded keys) whose top-level keys
// repeat or spell a GraphQL-over-HTTP field in another case. Keys are compared decoded, as both
// readers see them ("\u0071uery" is "query").
func checkKeys(obj []byte, distinct int) string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	_, _ = dec.Token() // '{'
	seen := make(map[string]bool, distinct)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "the request body is not a JSON object"
		}
		key, _ := tok.(string)
		if seen[key] {
			for _, f := range requestFields {
				if strings.EqualFold(key, f) {
					return "the request body names " + f + " more than once"
				}
			}
			return "the request body repeats a key"
		}
		seen[key] = true
		for _, f := range requestFields {
			if key != f && strings.EqualFold(key, f) {
				return "the request body has a key that differs from " + f + " only in case; GraphQL-over-HTTP fields are spelt exactly"
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "the request body is not a JSON object"
		}
	}
	return ""
}

// checkQueryParams refuses a GET request that names a GraphQL-over-HTTP parameter twice: the
// check and gqlgen both read the first today, but nothing should hang on that.
func checkQueryParams(q url.Values) string {
	for _, f := range requestFields {
		if len(q[f]) > 1 {
			return "the request names " + f + " more than once"
		}
	}
	return ""
}

func tooLarge(w http.ResponseWriter, max int64) {
	writeRequestError(w, http.StatusRequestEntityTooLarge, CodeRequestTooLarge, fmt.Sprintf("the request body is larger than %d bytes", max))
}

// subgraphComplexity gives the subgraph schema the plain schema's costs: its object types are
// the same, and its Query has the same fields plus _service and _entities. gqlgen keeps the
// latter's cost functions unexported, so entitySchema costs _entities (its selection once per
// representation); entityCheck bounds the representations and the call budget their calls.
func subgraphComplexity() subgraph.ComplexityRoot {
	c := complexity()
	var s subgraph.ComplexityRoot
	s.Account, s.ITwin, s.Member, s.User = c.Account, c.ITwin, c.Member, c.User
	s.Query.Me = c.Query.Me
	s.Query.MyPrimaryAccount = c.Query.MyPrimaryAccount
	s.Query.User = c.Query.User
	s.Query.Itwin = c.Query.Itwin
	s.Query.Users = c.Query.Users
	s.Query.SearchUsers = c.Query.SearchUsers
	s.Query.Itwins = c.Query.Itwins
	s.Query.FavoriteItwins = c.Query.FavoriteItwins
	s.Query.RecentItwins = c.Query.RecentItwins
	return s
}
