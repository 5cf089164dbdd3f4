package graph

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/model"
)

// The platform's answers become the schema's types here. Two of its habits need care:
//   - Enums grow without a new API version (subClass gained Portfolio, Program and WorkPackage in
//     2024). A value the schema does not know leaves that enum field null, keeps the platform's
//     spelling in the raw field beside it, and is logged once; the object itself survives.
//   - Dates come in several ISO 8601 forms. Each is read into a DateTime; one that cannot be read
//     leaves that field null and is logged once, never failing its object.

// maxOddValues bounds how many distinct odd values are remembered for logging once each.
const maxOddValues = 1000

// converter maps platform objects to schema objects, reporting odd values to its logger once.
type converter struct {
	logger *slog.Logger
	mu     sync.Mutex
	seen   map[string]bool
}

func newConverter(logger *slog.Logger) *converter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &converter{logger: logger, seen: map[string]bool{}}
}

// odd logs a value the gateway could not map, the first time it meets it. The value comes from
// the platform, not from a caller, and is cut short so one answer cannot flood the log.
func (c *converter) odd(ctx context.Context, field, value string) {
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	key := field + "\x00" + value
	c.mu.Lock()
	first := !c.seen[key] && len(c.seen) < maxOddValues
	if first {
		c.seen[key] = true
	}
	c.mu.Unlock()
	if first {
		c.logger.WarnContext(ctx, "platform value not understood; the field is null", "field", field, "value", value)
	}
}

// enumKey reduces an enum spelling to compare the platform's ("WorkPackage", "active") with the
// schema's ("WORK_PACKAGE", "ACTIVE"): case and underscores do not count.
func enumKey(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "_", ""))
}

// enumValues indexes an enum's values by enumKey.
func enumValues[E ~string](all []E) map[string]E {
	m := make(map[string]E, len(all))
	for _, e := range all {
		m[enumKey(string(e))] = e
	}
	return m
}

var (
	classes    = enumValues(model.AllITwinClass)
	subClasses = enumValues(model.AllITwinSubClass)
	statuses   = enumValues(model.AllITwinStatus)
)

// enum maps a platform enum value, case-insensitively; an unknown one is nil and logged.
func enum[E ~string](c *converter, ctx context.Context, values map[string]E, field, v string) *E {
	if v == "" {
		return nil
	}
	if e, ok := values[enumKey(v)]; ok {
		return &e
	}
	c.odd(ctx, field, v)
	return nil
}

// enumToUpstream spells a schema enum value the platform's way: "WORK_PACKAGE" -> "WorkPackage".
func enumToUpstream(s string) string {
	var b strings.Builder
	for _, word := range strings.Split(s, "_") {
		if word == "" {
			continue
		}
		b.WriteString(word[:1])
		b.WriteString(strings.ToLower(word[1:]))
	}
	return b.String()
}

// date reads one of the platform's date forms: RFC 3339 with any number of fractional digits
// and Z or an offset, or (an old tutorial's form) no zone at all, read as UTC.
func (c *converter) date(ctx context.Context, field string, s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, *s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	c.odd(ctx, field, *s)
	return nil
}

func (c *converter) iTwin(ctx context.Context, t *bentley.ITwin) *model.ITwin {
	return &model.ITwin{
		ID:                   t.ID,
		Class:                enum(c, ctx, classes, "iTwin.class", t.Class),
		RawClass:             t.Class,
		SubClass:             enum(c, ctx, subClasses, "iTwin.subClass", t.SubClass),
		RawSubClass:          t.SubClass,
		Type:                 t.Type,
		Number:               t.Number,
		DisplayName:          t.DisplayName,
		Status:               enum(c, ctx, statuses, "iTwin.status", t.Status),
		RawStatus:            nonEmpty(t.Status),
		DataCenterLocation:   nonEmpty(t.DataCenterLocation),
		ParentID:             t.ParentID,
		ITwinAccountID:       t.ITwinAccountID,
		GeographicLocation:   t.GeographicLocation,
		Latitude:             t.Latitude,
		Longitude:            t.Longitude,
		IanaTimeZone:         t.IANATimeZone,
		ImageName:            t.ImageName,
		Image:                t.Image,
		CreatedDateTime:      c.date(ctx, "iTwin.createdDateTime", t.CreatedDateTime),
		CreatedBy:            t.CreatedBy,
		LastModifiedDateTime: c.date(ctx, "iTwin.lastModifiedDateTime", t.LastModifiedDateTime),
		LastModifiedBy:       t.LastModifiedBy,
	}
}

// account maps an Account iTwin. Its class and subclass are ACCOUNT by definition: the endpoints
// that answer it (myprimaryaccount, {id}/account) return nothing else.
func (c *converter) account(ctx context.Context, t *bentley.ITwin) *model.Account {
	return &model.Account{
		ID:                 t.ID,
		Class:              model.ITwinClassAccount,
		SubClass:           model.ITwinSubClassAccount,
		Type:               t.Type,
		Number:             t.Number,
		DisplayName:        t.DisplayName,
		Status:             enum(c, ctx, statuses, "account.status", t.Status),
		RawStatus:          nonEmpty(t.Status),
		DataCenterLocation: nonEmpty(t.DataCenterLocation),
		CreatedDateTime:    c.date(ctx, "account.createdDateTime", t.CreatedDateTime),
		CreatedBy:          t.CreatedBy,
	}
}

// memberID is a membership's opaque id: one person's memberships of two iTwins are two objects
// to a client cache keyed by __typename and id.
func memberID(itwinID, userID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Member:" + strings.ToLower(itwinID) + ":" + strings.ToLower(userID)))
}

func toMember(itwinID string, m *bentley.Member) *model.Member {
	out := &model.Member{
		ID:           memberID(itwinID, m.ID),
		UserID:       m.ID,
		ITwinID:      itwinID,
		Email:        m.Email,
		GivenName:    m.GivenName,
		Surname:      m.Surname,
		Organization: m.Organization,
		Roles:        toRoles(m.Roles),
	}
	return out
}

func toRoles(roles []bentley.Role) []*model.Role {
	out := make([]*model.Role, 0, len(roles))
	for _, r := range roles {
		out = append(out, &model.Role{
			ID:          r.ID,
			DisplayName: r.DisplayName,
			Description: r.Description,
			Permissions: r.Permissions,
		})
	}
	return out
}

// toUser maps the fields every Users endpoint returns. The fields only /users/me has are
// resolved separately (userResolver), from /users/me, so that the caller's User carries them
// whichever field returned it and nobody else's ever does.
func toUser(u *bentley.User) *model.User {
	return &model.User{
		ID:               u.ID,
		Email:            u.Email,
		GivenName:        u.GivenName,
		Surname:          u.Surname,
		OrganizationName: u.OrganizationName,
		DisplayName:      displayName(u),
	}
}

// displayName is "givenName surname" for everyone. /users/me has a displayName of its own (the
// email, in the docs' example), but using it would give the caller two display names depending
// on the field that returned them.
func displayName(u *bentley.User) *string {
	var parts []string
	for _, p := range []*string{u.GivenName, u.Surname} {
		if p != nil && strings.TrimSpace(*p) != "" {
			parts = append(parts, strings.TrimSpace(*p))
		}
	}
	return nonEmpty(strings.Join(parts, " "))
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
