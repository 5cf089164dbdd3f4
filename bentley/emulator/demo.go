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
	// AccountID is the Account owning the iTwin (Contoso Engineering).
	AccountID string
	// GuestID is a member of the iTwin from another organization: Access Control lists them,
	// the Users API does not return them to the caller.
	GuestID string
	// DeletedID is a member deleted from IMS: Access Control reports null profile fields.
	DeletedID string
	// ReaderToken is the token of a member of the iTwin who holds only the iTwin Reader role, so
	// the platform refuses it the iTwin's roles (403).
	ReaderToken string
	// ProgramID is the Regional Rail Program, whose team of more than 250 members pages.
	ProgramID string
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
	show := Showcase{Token: users[0].token, ITwinID: project.id, MemberID: users[1].id, AccountID: project.accountID}
	show.ProgramID, _ = e.ITwinID("PG-01-CON")
	for _, m := range project.members {
		switch {
		case show.ReaderToken == "" && m.user.org == contoso && !m.user.deleted && len(m.roles) == 1 && m.roles[0].displayName == "iTwin Reader":
			show.ReaderToken = m.user.token
		case m.user.deleted && show.DeletedID == "":
			show.DeletedID = m.user.id
		case m.user.org != contoso && show.GuestID == "":
			show.GuestID = m.user.id
		}
	}
	return show
}

// ITwinID returns the id of the iTwin with the given number ("WP-01-CON"), if there is one.
func (e *Emulator) ITwinID(number string) (string, bool) {
	for _, t := range e.data.itwins {
		if t.number == number {
			return t.id, true
		}
	}
	return "", false
}
