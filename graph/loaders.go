package graph

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/itwin-graphql/gateway/bentley"
)

// DefaultBatchWait is the library's window for keys nobody foresaw: how long a loader collects
// them before it calls the platform (dispatch.go). The library's 16 ms default would add that
// much to every such batch.
const DefaultBatchWait = 2 * time.Millisecond

// maxFanOut caps the keys of one batch for endpoints without a batch call (one GET per key).
const maxFanOut = 100

// memberKey identifies a user member of an iTwin.
type memberKey struct {
	itwinID  string
	memberID string
}

// memberPageKey identifies one page of an iTwin's user members.
type memberPageKey struct {
	itwinID   string
	top, skip int
}

// LoaderOptions configures one request's loaders.
type LoaderOptions struct {
	// Wait is how long a batch of keys nobody foresaw waits for more keys (the library's window).
	Wait time.Duration
	// CallBudget bounds the request's upstream calls; 0 means unlimited.
	CallBudget int
	// Observer, when set, is told each batch's size.
	Observer Observer
	// CursorKey, when set, signs the connections' cursors (HMAC-SHA-256); without it they carry
	// a plain checksum.
	CursorKey []byte
}

// Loaders batch and deduplicate one request's upstream calls. They live for exactly one HTTP
// request and hold that caller's token in the contexts they are called with, so nothing they
// cache can reach another request or caller.
type Loaders struct {
	client *bentley.Client
	// cursors sign and read the request's connection cursors.
	cursors cursors
	itwins  loader[string, *bentley.ITwin]
	// accounts loads the Account of an iTwin by the iTwin's id; accountsByID by the Account's own
	// id, when it is known, so iTwins of one Account share one call (see Account).
	accounts     loader[string, *bentley.ITwin]
	accountsByID loader[string, *bentley.ITwin]
	members      loader[memberKey, *bentley.Member]
	memberPages  loader[memberPageKey, *bentley.MemberPage]
	roles        loader[string, []bentley.Role]
	permissions  loader[string, []string]
	users        loader[string, *bentley.User]
	me           memo[*bentley.User]
	primary      memo[*bentley.ITwin]
	budget       *callBudget
	observer     Observer
	dispatch     dispatcher // when the loaders' open windows go

	mu sync.Mutex
	// accountVia maps an Account id to an iTwin of that Account: the Account is read through
	// GET /itwins/{that iTwin}/account, which works for anyone who sees the iTwin, where
	// GET /itwins/{account id} would not for a guest of another organization.
	accountVia map[string]string
	// accountByITwin marks the iTwins whose Account load was started by iTwin id (by lookahead,
	// before the iTwin's Account id was known); their account fields keep that load.
	accountByITwin map[string]bool
	// pageUsers marks the member pages whose members' profiles the operation selects.
	pageUsers map[memberPageKey]bool
	// refs marks the references the operation selects on iTwins loaded by id (wantRefsOf).
	refs map[string]itwinRef
	// root sends the keys the operation's root fields foresee, once (prefetchRoot).
	root sync.Once
}

// itwinRef is a reference an operation selects on an iTwin known by id alone.
type itwinRef uint8

const (
	refCreator itwinRef = 1 << iota
	refModifier
	refParent
)

// wantRefsOf records that the operation selects ref on the iTwin id, whose body is not back yet.
func (l *Loaders) wantRefsOf(id string, ref itwinRef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refs == nil {
		l.refs = map[string]itwinRef{}
	}
	l.refs[id] |= ref
}

// itwinRefs adds to k the loads of the references the operation selects on the iTwin t.
func (l *Loaders) itwinRefs(id string, t *bentley.ITwin, k *known) {
	l.mu.Lock()
	refs := l.refs[id]
	l.mu.Unlock()
	add := func(to *[]string, ref *string) {
		if ref != nil && isUUID(*ref) {
			*to = append(*to, strings.ToLower(*ref))
		}
	}
	if refs&refCreator != 0 {
		add(&k.users, t.CreatedBy)
	}
	if refs&refModifier != 0 {
		add(&k.users, t.LastModifiedBy)
	}
	if refs&refParent != 0 {
		add(&k.itwins, t.ParentID)
	}
}

func (l *Loaders) wantUsersOf(key memberPageKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set(&l.pageUsers, key, true)
}

func (l *Loaders) wantsUsersOf(key memberPageKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pageUsers[key]
}

// NewLoaders returns fresh loaders for one request.
func NewLoaders(client *bentley.Client, opts LoaderOptions) *Loaders {
	l := &Loaders{
		client: client, budget: &callBudget{max: int64(max(opts.CallBudget, 0))}, observer: opts.Observer,
		cursors: cursors{key: opts.CursorKey},
	}
	d := &l.dispatch
	d.wait = opts.Wait
	if opts.Observer != nil {
		l.budget.refused = opts.Observer.BudgetExceeded
	}
	fetchMember := func(ctx context.Context, k memberKey) (*bentley.Member, error) {
		return client.GetUserMember(ctx, k.itwinID, k.memberID)
	}
	fetchMemberPage := func(ctx context.Context, k memberPageKey) (*bentley.MemberPage, error) {
		return client.ListUserMembers(ctx, k.itwinID, k.top, k.skip)
	}
	fetchAccountByID := func(ctx context.Context, accountID string) (*bentley.ITwin, error) {
		l.mu.Lock()
		via := l.accountVia[accountID]
		l.mu.Unlock()
		return client.GetITwinAccount(ctx, via)
	}
	// A batch of iTwins sends, as soon as it is back, the loads of the references the operation
	// selects on them (wantRefsOf): every creator in one getbyidlist, every parent in one batch.
	fetchITwins := fetchEach(l.budget, client.GetITwin)
	l.itwins.init(d, observed(l, "itwin", func(ctx context.Context, keys []string) []*dataloader.Result[*bentley.ITwin] {
		results := fetchITwins(ctx, keys)
		var k known
		for i, key := range keys {
			if r := results[i]; r.Error == nil && r.Data != nil {
				l.itwinRefs(key, r.Data, &k)
			}
		}
		l.users.now(ctx, k.users)
		l.itwins.now(ctx, k.itwins)
		return results
	}), maxFanOut)
	l.accounts.init(d, observed(l, "account", fetchEach(l.budget, client.GetITwinAccount)), maxFanOut)
	l.accountsByID.init(d, observed(l, "account", fetchEach(l.budget, fetchAccountByID)), maxFanOut)
	l.members.init(d, observed(l, "member", fetchEach(l.budget, fetchMember)), maxFanOut)
	// A batch of member pages sends, as soon as it is back, one batch of all the profiles its
	// pages' selections asked for (wantUsersOf): one getbyidlist for a portfolio's 25 teams.
	fetchPages := fetchEach(l.budget, fetchMemberPage)
	l.memberPages.init(d, observed(l, "memberPage", func(ctx context.Context, keys []memberPageKey) []*dataloader.Result[*bentley.MemberPage] {
		results := fetchPages(ctx, keys)
		var ids []string
		for i, key := range keys {
			if r := results[i]; r.Error == nil && r.Data != nil && l.wantsUsersOf(key) {
				for _, m := range r.Data.Members {
					ids = append(ids, strings.ToLower(m.ID))
				}
			}
		}
		l.users.now(ctx, ids)
		return results
	}), maxFanOut)
	l.roles.init(d, observed(l, "roles", fetchEach(l.budget, client.GetRoles)), maxFanOut)
	l.permissions.init(d, observed(l, "permissions", fetchEach(l.budget, client.GetMyPermissions)), maxFanOut)
	l.users.init(d, observed(l, "user", l.fetchUsers), bentley.MaxUsersPerCall)
	return l
}

// set puts k: v in *m, making the map on first use: a request touches few of the loaders' maps.
func set[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// observed reports each batch's size to the loaders' observer.
func observed[K comparable, V any](l *Loaders, name string, batch dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	if l.observer == nil {
		return batch
	}
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		l.observer.LoaderBatch(name, len(keys))
		return batch(ctx, keys)
	}
}

// UpstreamCalls reports how many HTTP requests the platform got for this request, retries
// included: answers from the cache or shared with another caller's identical call are not counted.
func (l *Loaders) UpstreamCalls() int {
	return int(l.budget.sent.Load())
}

// ITwin loads an iTwin by (lower-case) id.
func (l *Loaders) ITwin(ctx context.Context, id string) (*bentley.ITwin, error) {
	return load(ctx, &l.itwins, id)
}

// Account loads the Account owning an iTwin. When the iTwin's Account id is known (the full
// representation carries it), iTwins of one Account share one call; otherwise, or when lookahead
// already started the load by iTwin id, the load is by iTwin id.
func (l *Loaders) Account(ctx context.Context, itwinID string, accountID *string) (*bentley.ITwin, error) {
	return l.account(ctx, itwinID, accountID)()
}

// account starts an Account load (see Account) and returns its thunk.
func (l *Loaders) account(ctx context.Context, itwinID string, accountID *string) dataloader.Thunk[*bentley.ITwin] {
	byID, key := l.accountKey(itwinID, accountID)
	if byID {
		return loadThunk(ctx, &l.accountsByID, key)
	}
	return loadThunk(ctx, &l.accounts, key)
}

// accountKey picks how an iTwin's Account is loaded: by the Account's own id (byID) when it is
// known and no load by iTwin id has started, else by the iTwin's id.
func (l *Loaders) accountKey(itwinID string, accountID *string) (byID bool, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if accountID == nil || *accountID == "" || l.accountByITwin[itwinID] {
		set(&l.accountByITwin, itwinID, true)
		return false, itwinID
	}
	id := strings.ToLower(*accountID)
	if _, ok := l.accountVia[id]; !ok {
		set(&l.accountVia, id, itwinID)
	}
	return true, id
}

// MemberPage loads one page of an iTwin's user members.
func (l *Loaders) MemberPage(ctx context.Context, itwinID string, top, skip int) (*bentley.MemberPage, error) {
	return load(ctx, &l.memberPages, memberPageKey{itwinID: itwinID, top: top, skip: skip})
}

// Roles loads the roles that can be assigned on an iTwin.
func (l *Loaders) Roles(ctx context.Context, itwinID string) ([]bentley.Role, error) {
	return load(ctx, &l.roles, itwinID)
}

// Permissions loads the caller's permissions on an iTwin.
func (l *Loaders) Permissions(ctx context.Context, itwinID string) ([]string, error) {
	return load(ctx, &l.permissions, itwinID)
}

// ITwinPage reads one page of an iTwins list (list is one of the list* names). A page in the
// full representation also primes the iTwin loader, so a parent that is on the page costs no
// second call; a summary does not, since it lacks what GET /itwins/{id} answers.
func (l *Loaders) ITwinPage(ctx context.Context, list string, q bentley.ITwinQuery) (*bentley.ITwinPage, error) {
	fetch := l.client.ListITwins
	switch list {
	case listFavorites:
		fetch = l.client.ListFavoriteITwins
	case listRecents:
		fetch = l.client.ListRecentITwins
	}
	page, err := budgeted(l.budget, func(ctx context.Context) (*bentley.ITwinPage, error) { return fetch(ctx, q) })(ctx)
	if err != nil {
		return nil, err
	}
	if q.Full {
		for i := range page.ITwins {
			l.itwins.Prime(ctx, strings.ToLower(page.ITwins[i].ID), &page.ITwins[i])
		}
	}
	return page, nil
}

// SearchUsers runs one user search.
func (l *Loaders) SearchUsers(ctx context.Context, text string) ([]bentley.User, error) {
	return budgeted(l.budget, func(ctx context.Context) ([]bentley.User, error) {
		return l.client.SearchUsers(ctx, text)
	})(ctx)
}

// Member loads a user member of an iTwin.
func (l *Loaders) Member(ctx context.Context, itwinID, memberID string) (*bentley.Member, error) {
	return load(ctx, &l.members, memberKey{itwinID: itwinID, memberID: memberID})
}

// User loads a user profile; it returns nil and no error when the Users API leaves the user out.
func (l *Loaders) User(ctx context.Context, id string) (*bentley.User, error) {
	return load(ctx, &l.users, id)
}

// Users loads many profiles at once, one result and one error slot per id. Every key is
// enqueued from this goroutine before any is awaited (Load does not block), so all of them land
// in the same batch window; the library's LoadMany starts a goroutine per key instead, and a
// long list then straggles over several windows and upstream calls.
func (l *Loaders) Users(ctx context.Context, ids []string) ([]*bentley.User, []error) {
	l.users.now(ctx, ids) // every id is known: no window
	thunks := make([]dataloader.Thunk[*bentley.User], len(ids))
	for i, id := range ids {
		thunks[i] = l.users.Load(ctx, id)
	}
	users := make([]*bentley.User, len(ids))
	errs := make([]error, len(ids))
	for i, thunk := range thunks {
		users[i], errs[i] = thunk()
		if errs[i] != nil && bentley.IsTemporary(errs[i]) {
			l.users.Clear(ctx, ids[i])
		}
	}
	return users, errs
}

// Me loads the caller's own profile once per request.
func (l *Loaders) Me(ctx context.Context) (*bentley.User, error) {
	return l.me.get(ctx, budgeted(l.budget, l.client.GetMe))
}

// PrimaryAccount loads the caller's primary account once per request.
func (l *Loaders) PrimaryAccount(ctx context.Context) (*bentley.ITwin, error) {
	return l.primary.get(ctx, budgeted(l.budget, l.client.GetMyPrimaryAccount))
}

// budgeted spends one call of the budget before each call of fetch.
func budgeted[V any](b *callBudget, fetch func(context.Context) (V, error)) func(context.Context) (V, error) {
	return func(ctx context.Context) (V, error) {
		if err := b.take(); err != nil {
			var zero V
			return zero, err
		}
		return fetch(ctx)
	}
}

// load waits for one key and forgets a transient failure, so a later field of the same request
// asks again instead of repeating a 429 or 503 the platform may already have recovered from.
func load[K comparable, V any](ctx context.Context, l *loader[K, V], key K) (V, error) {
	return loadThunk(ctx, l, key)()
}

// loadThunk starts a load and returns its thunk, which forgets a transient failure as load does.
func loadThunk[K comparable, V any](ctx context.Context, l *loader[K, V], key K) dataloader.Thunk[V] {
	thunk := l.Load(ctx, key)
	return func() (V, error) {
		v, err := thunk()
		if err != nil && bentley.IsTemporary(err) {
			l.Clear(ctx, key)
		}
		return v, err
	}
}

// fetchEach adapts a one-key platform call to a batch function: the batch's calls run
// concurrently and the results come back in key order, one per key.
func fetchEach[K comparable, V any](budget *callBudget, fetch func(context.Context, K) (V, error)) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		results := make([]*dataloader.Result[V], len(keys))
		inParallel(len(keys), func(i int) {
			if err := budget.take(); err != nil {
				results[i] = &dataloader.Result[V]{Error: err}
				return
			}
			v, err := fetch(ctx, keys[i])
			results[i] = &dataloader.Result[V]{Data: v, Error: err}
		})
		return results
	}
}

// inParallel runs do(0) .. do(n-1) concurrently and waits for them. do(0) runs on the calling
// goroutine: most batches hold one key, and a goroutine (with a stack to grow through the HTTP
// client) for it would be pure overhead.
func inParallel(n int, do func(i int)) {
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do(i)
		}()
	}
	if n > 0 {
		do(0)
	}
	wg.Wait()
}

// fetchUsers resolves a batch of user ids with POST /users/getbyidlist, at most MaxUsersPerCall
// ids a call, calls running concurrently. The platform answers in no particular order and
// leaves out users it does not return, so results are matched by id: a left-out id gets nil.
func (l *Loaders) fetchUsers(ctx context.Context, ids []string) []*dataloader.Result[*bentley.User] {
	results := make([]*dataloader.Result[*bentley.User], len(ids))
	chunks := (len(ids) + bentley.MaxUsersPerCall - 1) / bentley.MaxUsersPerCall
	inParallel(chunks, func(c int) {
		start := c * bentley.MaxUsersPerCall
		chunk := ids[start:min(start+bentley.MaxUsersPerCall, len(ids))]
		out := results[start : start+len(chunk)]
		if err := l.budget.take(); err != nil {
			for i := range out {
				out[i] = &dataloader.Result[*bentley.User]{Error: err}
			}
			return
		}
		users, err := l.client.GetUsers(ctx, chunk)
		byID := make(map[string]*bentley.User, len(users))
		for i := range users {
			byID[strings.ToLower(users[i].ID)] = &users[i]
		}
		for i, id := range chunk {
			out[i] = &dataloader.Result[*bentley.User]{Data: byID[id], Error: err}
		}
	})
	return results
}

// memo holds one value per request, fetched at most once unless the fetch failed transiently.
type memo[V any] struct {
	mu   sync.Mutex
	done bool
	v    V
	err  error
}

func (m *memo[V]) get(ctx context.Context, fetch func(context.Context) (V, error)) (V, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return m.v, m.err
	}
	v, err := fetch(ctx)
	if err == nil || !bentley.IsTemporary(err) {
		m.done, m.v, m.err = true, v, err
	}
	return v, err
}

// Observer receives what the GraphQL core measures; the server turns it into metrics. It must be
// safe for concurrent use. Nothing passed to it carries a token or a variable.
type Observer interface {
	// LoaderBatch reports the keys of one loader batch.
	LoaderBatch(loader string, keys int)
	// BudgetExceeded reports an upstream call refused because the request's budget was spent.
	BudgetExceeded()
}

type loadersKey struct{}

// WithLoaders returns a context for one request's execution with its loaders: their platform
// calls spend the request's budget (retries included), and the request's Stats, if it has one,
// report them.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	ctx = bentley.WithBudget(ctx, l.budget)
	if s, _ := ctx.Value(statsKey{}).(*Stats); s != nil {
		s.loaders.Store(l)
	}
	return context.WithValue(ctx, loadersKey{}, l)
}

// Stats is what a request's execution reports to whoever serves the request (the request log),
// which puts it in the context with WithStats before the loaders are made.
type Stats struct{ loaders atomic.Pointer[Loaders] }

type statsKey struct{}

// WithStats returns a context whose request's loaders report to s.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// UpstreamCalls is the HTTP requests the platform received for the request (see
// Loaders.UpstreamCalls); 0 before any loaders were made.
func (s *Stats) UpstreamCalls() int {
	if l := s.loaders.Load(); l != nil {
		return l.UpstreamCalls()
	}
	return 0
}

// loadersFrom returns the request's loaders; WithLoaders puts them there.
func loadersFrom(ctx context.Context) *Loaders {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	return l
}
