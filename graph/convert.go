package graph

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/graph/model"
)

// enumFromUpstream turns the platform's PascalCase ("WorkPackage") into GraphQL's
// SCREAMING_SNAKE_CASE ("WORK_PACKAGE").
func enumFromUpstream(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// enumToUpstream is the inverse of enumFromUpstream: "WORK_PACKAGE" -> "WorkPackage".
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

// upstreamEnum maps an upstream enum value to the schema's, failing on a value the schema does
// not know: an answer the gateway cannot understand, not a reason to invent a value.
func upstreamEnum[E interface {
	~string
	IsValid() bool
}](field, v string) (E, error) {
	e := E(enumFromUpstream(v))
	if !e.IsValid() {
		return e, fmt.Errorf("%s %q is not in the schema: %w", field, v, bentley.ErrMalformedResponse)
	}
	return e, nil
}

// optionalStatus maps an absent status (the summary representation has none) to null.
func optionalStatus(v string) (*model.ITwinStatus, error) {
	if v == "" {
		return nil, nil
	}
	s, err := upstreamEnum[model.ITwinStatus]("status", v)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func toITwin(t *bentley.ITwin) (*model.ITwin, error) {
	class, err := upstreamEnum[model.ITwinClass]("class", t.Class)
	if err != nil {
		return nil, err
	}
	subClass, err := upstreamEnum[model.ITwinSubClass]("subClass", t.SubClass)
	if err != nil {
		return nil, err
	}
	status, err := optionalStatus(t.Status)
	if err != nil {
		return nil, err
	}
	return &model.ITwin{
		ID:                   t.ID,
		Class:                class,
		SubClass:             subClass,
		Type:                 t.Type,
		Number:               t.Number,
		DisplayName:          t.DisplayName,
		Status:               status,
		DataCenterLocation:   nonEmpty(t.DataCenterLocation),
		ParentID:             t.ParentID,
		ITwinAccountID:       t.ITwinAccountID,
		GeographicLocation:   t.GeographicLocation,
		Latitude:             t.Latitude,
		Longitude:            t.Longitude,
		IanaTimeZone:         t.IANATimeZone,
		ImageName:            t.ImageName,
		Image:                t.Image,
		CreatedDateTime:      t.CreatedDateTime,
		CreatedBy:            t.CreatedBy,
		LastModifiedDateTime: t.LastModifiedDateTime,
		LastModifiedBy:       t.LastModifiedBy,
	}, nil
}

func toAccount(t *bentley.ITwin) (*model.Account, error) {
	full, err := toITwin(t)
	if err != nil {
		return nil, err
	}
	return &model.Account{
		ID:                 full.ID,
		Class:              full.Class,
		SubClass:           full.SubClass,
		Type:               full.Type,
		Number:             full.Number,
		DisplayName:        full.DisplayName,
		Status:             full.Status,
		DataCenterLocation: full.DataCenterLocation,
		CreatedDateTime:    full.CreatedDateTime,
		CreatedBy:          full.CreatedBy,
	}, nil
}

func toMember(m *bentley.Member) *model.Member {
	out := &model.Member{
		ID:           m.ID,
		Email:        m.Email,
		GivenName:    m.GivenName,
		Surname:      m.Surname,
		Organization: m.Organization,
		Roles:        make([]*model.Role, 0, len(m.Roles)),
	}
	for _, r := range m.Roles {
		out.Roles = append(out.Roles, &model.Role{
			ID:          r.ID,
			DisplayName: r.DisplayName,
			Description: r.Description,
			Permissions: r.Permissions,
		})
	}
	return out
}

func toUser(u *bentley.User) *model.User {
	return &model.User{
		ID:               u.ID,
		Email:            u.Email,
		GivenName:        u.GivenName,
		Surname:          u.Surname,
		OrganizationName: u.OrganizationName,
		DisplayName:      displayName(u),
		AlternateEmail:   u.AlternateEmail,
		Phone:            u.Phone,
		City:             u.City,
		Country:          u.Country,
		Language:         u.Language,
		CreatedDateTime:  u.CreatedDateTime,
	}
}

// displayName is the platform's display name where it has one (only /users/me does), else
// "givenName surname", else null.
func displayName(u *bentley.User) *string {
	if u.DisplayName != nil && *u.DisplayName != "" {
		return u.DisplayName
	}
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
