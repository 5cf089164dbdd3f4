package emulator

import "sort"

// DemoUser is a seeded user whose bearer token the emulator accepts. Every active user of the
// dataset has one: "demo-" followed by the local part of the email ("demo-ada.lovelace").
type DemoUser struct {
	Token        string
	ID           string
	Email        string
	Name         string
	Organization string
	OrgAdmin     bool
}

// Showcase names the ids the README's example query uses: a caller, one of the caller's
// iTwins, and another member of that iTwin.
type Showcase struct {
	Token    string
	ITwinID  string
	MemberID string
}

// DemoUsers lists every user that can authenticate, organization administrators first.
func (e *Emulator) DemoUsers() []DemoUser {
	var out []DemoUser
	for _, u := range e.data.users {
		if u.deleted {
			continue
		}
		out = append(out, DemoUser{
			Token: u.token, ID: u.id, Email: u.email, Name: u.given + " " + u.surname,
			Organization: u.org.name, OrgAdmin: u.orgAdmin,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OrgAdmin && !out[j].OrgAdmin })
	return out
}

// Showcase returns Ada Lovelace (administrator of Contoso Engineering), the Millbrook Viaduct
// Retrofit project and Grace Hopper, a member of it.
func (e *Emulator) Showcase() Showcase {
	contoso := e.data.orgs[0]
	users := e.data.orgUsers(contoso)
	var project *itwin
	for _, t := range e.data.itwins {
		if t.org == contoso && t.number == "PR-01-CON" {
			project = t
		}
	}
	return Showcase{Token: users[0].token, ITwinID: project.id, MemberID: users[1].id}
}
