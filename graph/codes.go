package graph

import "github.com/99designs/gqlgen/graphql/errcode"

// Every extensions.code the gateway answers with, in one place. They are part of the public
// contract: clients branch on them (README, "Errors"). A test holds the rest of the module to
// naming codes through these constants.
const (
	// Fields that failed, from the platform's answer or the caller's arguments.
	CodeUnauthenticated     = "UNAUTHENTICATED"       // no token, a token the platform refused, or no valid API key
	CodeForbidden           = "FORBIDDEN"             // the caller lacks the permission the field needs
	CodeNotFound            = "NOT_FOUND"             // the platform has no such object for this caller
	CodeBadUserInput        = "BAD_USER_INPUT"        // an argument is malformed or out of range
	CodeRateLimited         = "RATE_LIMITED"          // the platform's rate limit; extensions.retryAfter when known
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"  // the platform did not answer, in time or at all
	CodeUpstreamError       = "UPSTREAM_ERROR"        // the platform answered something the gateway cannot use
	CodeInternal            = "INTERNAL_SERVER_ERROR" // a bug; logged, never explained

	// Limits of one request.
	CodeRequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED" // the request's budget of upstream calls is spent
	CodeDepthLimitExceeded   = "DEPTH_LIMIT_EXCEEDED"   // MAX_DEPTH
	// CodeComplexityLimitExceeded is the code gqlgen's complexity limit uses; the field count
	// check reuses it, being a bound of the same kind.
	CodeComplexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeAliasLimitExceeded      = "ALIAS_LIMIT_EXCEEDED" // MAX_ALIASES
	CodeRequestTooLarge         = "REQUEST_TOO_LARGE"    // MAX_BODY_BYTES (413)

	// Requests refused before GraphQL execution.
	CodeBadRequest = "BAD_REQUEST" // not a GraphQL-over-HTTP request this server takes
	CodeOverloaded = "OVERLOADED"  // no execution place or body budget in time (503): retry shortly, or on another replica
	// CodePersistedQueryNotFound: the request names a document (documentId or an APQ hash) the
	// gateway does not hold; Apollo clients branch on it to send the text.
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodePersistedQueryNotInList: the request sends a document's text, and it is not in the
	// trusted documents manifest (enforce mode). Apollo Router's code for the same refusal.
	CodePersistedQueryNotInList = "PERSISTED_QUERY_NOT_IN_LIST"

	// gqlgen's own, for documents that do not parse or validate.
	CodeParseFailed      = errcode.ParseFailed
	CodeValidationFailed = errcode.ValidationFailed
)
