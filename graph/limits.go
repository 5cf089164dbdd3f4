package graph

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

func (l Limits) WithDefaults() Limits {
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
