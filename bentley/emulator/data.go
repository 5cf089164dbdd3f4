package emulator

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// The demo dataset is built from fixed tables by a deterministic procedure, so every id,
// name and membership is the same on every run and can be written into docs and tests.

// organization is an IMS organization: its users and the Account iTwins it owns.
type organization struct {
	id       string
	name     string
	domain   string
	accounts []*itwin // accounts[0] is the primary account
}

// user is an IMS user. A deleted user has vanished from IMS but may still be a member
// of iTwins, where Access Control reports it with null profile fields.
type user struct {
	id       string
	email    string
	given    string
	surname  string
	org      *organization
	phone    string
	city     string
	country  string
	language string
	created  string
	token    string
	orgAdmin bool
	deleted  bool
}

// role is an Access Control role defined on an Account iTwin and assignable on every
// iTwin of that account.
type role struct {
	id          string
	displayName string
	description string
	permissions []string
}

// membership is one user member of an iTwin with its assigned roles.
type membership struct {
	user  *user
	roles []*role
}

// itwin holds the full representation of an iTwin plus the emulator's bookkeeping.
type itwin struct {
	id            string
	class         string
	subClass      string
	typ           *string
	number        string
	displayName   string
	status        string
	dataCenter    string
	parentID      *string
	accountID     string
	geographic    *string
	latitude      *float64
	longitude     *float64
	timeZone      *string
	created       string
	createdBy     *user
	lastModified  string
	lastModifedBy *user

	org     *organization
	roles   []*role // only on Account iTwins
	members []*membership
}

func (t *itwin) member(userID string) *membership {
	for _, m := range t.members {
		if m.user.id == userID {
			return m
		}
	}
	return nil
}

// dataset is the whole emulated platform: every index the handlers need.
type dataset struct {
	orgs      []*organization
	users     []*user
	usersByID map[string]*user
	byToken   map[string]*user
	itwins    []*itwin
	itwinByID map[string]*itwin
	// service is the principal of the demo service application.
	service *user
}

// stableID derives a UUID-shaped id (version 4 and RFC 4122 variant bits set) from a name,
// so the dataset's ids never change between runs.
func stableID(kind, name string) string {
	sum := sha256.Sum256([]byte("itwin-emulator/" + kind + "/" + name))
	sum[6] = sum[6]&0x0f | 0x40
	sum[8] = sum[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

var epoch = time.Date(2021, time.January, 4, 9, 0, 0, 0, time.UTC)

// dateForms are the shapes the platform's documented examples write dates in
// (https://developer.bentley.com/apis/itwins/operations/get-itwin/ and the other operations' pages): seven or six fractional digits with Z, a fraction with +00:00, no fraction, and
// (an old tutorial only) no zone at all. Fixtures rotate through them so clients meet each.
var dateForms = []string{
	"2006-01-02T15:04:05.0000000Z",
	"2006-01-02T15:04:05.000000Z",
	"2006-01-02T15:04:05.0000000+00:00", // "+00:00" is literal text in a Go layout; t is UTC
	"2006-01-02T15:04:05Z",
	"2006-01-02T15:04:05.00",
}

// timestamp renders a fixture date, in one of the platform's date forms chosen by its inputs.
func timestamp(days int, minutes int) string {
	t := epoch.AddDate(0, 0, days).Add(time.Duration(minutes)*time.Minute + time.Duration(days*7919+minutes*104729)%time.Second)
	return t.Format(dateForms[(days+minutes)%len(dateForms)])
}

func strPtr(s string) *string     { return &s }
func floatPtr(f float64) *float64 { return &f }

var givenNames = []string{
	"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Margaret", "Claude", "Frances",
	"Tim", "Radia", "Ken", "Sophie", "Linus", "Hedy", "John", "Annie", "Dennis", "Joan",
	"Niklaus", "Evelyn", "Bjarne", "Carol", "Guido", "Mary", "James", "Adele", "Leslie", "Jean",
	"Robin", "Shafi", "Whitfield", "Lynn", "Vint", "Susan", "Ivan", "Karen", "Marvin", "Ruth",
}

var surnames = []string{
	"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Shannon", "Allen",
	"Berners-Lee", "Perlman", "Thompson", "Wilson", "Torvalds", "Lamarr", "McCarthy", "Easley", "Ritchie", "Clarke",
	"Wirth", "Berezin", "Stroustrup", "Shaw", "van Rossum", "Keller", "Gosling", "Goldberg", "Lamport", "Sammet",
	"Milner", "Goldwasser", "Diffie", "Conway", "Cerf", "Kare", "Sutherland", "Jones", "Minsky", "Teitelman",
}

var cities = []struct{ city, country, language string }{
	{"Exton", "US", "EN"}, {"Dublin", "IE", "EN"}, {"Vilnius", "LT", "LT"}, {"Munich", "DE", "DE"},
	{"Pune", "IN", "EN"}, {"Brisbane", "AU", "EN"}, {"Quebec", "CA", "FR"}, {"Helsinki", "FI", "FI"},
}

// orgSpec describes one organization of the demo dataset.
type orgSpec struct {
	name, domain string
	users        int
	accounts     []string
}

var orgSpecs = []orgSpec{
	{"Contoso Engineering", "contoso.example", 55, []string{"Contoso Engineering", "Contoso Infrastructure"}},
	{"Fabrikam Consulting", "fabrikam.example", 35, []string{"Fabrikam Consulting"}},
	{"Northwind Rail", "northwind.example", 20, []string{"Northwind Rail"}},
}

// itwinSpec is one non-account iTwin of an account; parent indexes into the same account's list.
type itwinSpec struct {
	subClass, typ, number, name, status string
	parent                              int // -1 for none
	geo                                 string
	lat, lon                            float64
	tz                                  string
}

// Every account gets the same shape of portfolio, so the demo covers every subclass and status.
var accountTemplate = []itwinSpec{
	{"Portfolio", "Bridge Portfolio", "PF-01", "%s Bridge Portfolio", "Active", -1, "", 0, 0, ""},
	{"Asset", "Bridge", "AS-01", "%s Millbrook Viaduct", "Active", 0, "Millbrook, PA", 40.0381, -75.5966, "America/New_York"},
	{"Asset", "Tunnel", "AS-02", "%s Harbour Tunnel", "Trial", 0, "Dublin, Ireland", 53.3498, -6.2603, "Europe/Dublin"},
	{"Program", "Capital Program", "PG-01", "%s Regional Rail Program", "Active", -1, "", 0, 0, ""},
	{"Project", "Construction Project", "PR-01", "%s Millbrook Viaduct Retrofit", "Active", 3, "Millbrook, PA", 40.0381, -75.5966, "America/New_York"},
	{"Project", "Design Project", "PR-02", "%s Station Upgrade", "Trial", 3, "Vilnius, Lithuania", 54.6872, 25.2797, "Europe/Vilnius"},
	{"Project", "Survey", "PR-03", "%s Legacy Survey 2019", "Inactive", -1, "", 0, 0, ""},
	{"WorkPackage", "Work Package", "WP-01", "%s Deck Replacement", "Active", 4, "", 0, 0, ""},
	{"WorkPackage", "Work Package", "WP-02", "%s Signalling Works", "Inactive", 5, "", 0, 0, ""},
}

var accountRoles = []struct {
	name, description string
	permissions       []string
}{
	{"iTwin Reader", "Read-only access to the iTwin and its iModels", []string{"itwins_read", "imodels_read"}},
	{"Contributor", "Reads and writes iModels", []string{"itwins_read", "imodels_read", "imodels_write"}},
	{"iTwin Manager", "Manages the iTwin, its roles and its members", []string{
		"itwins_read", "itwins_modify", "imodels_read", "imodels_write",
		"administration_manage_roles", "administration_invite_member"}},
}

// seed builds the demo dataset. It is deterministic: no clock, no randomness.
func seed() *dataset {
	d := &dataset{
		usersByID: map[string]*user{},
		byToken:   map[string]*user{},
		itwinByID: map[string]*itwin{},
	}
	userIndex := 0
	for oi, spec := range orgSpecs {
		org := &organization{id: stableID("org", spec.name), name: spec.name, domain: spec.domain}
		d.orgs = append(d.orgs, org)
		var orgUsers []*user
		for i := 0; i < spec.users; i++ {
			given := givenNames[userIndex%len(givenNames)]
			surname := surnames[(userIndex+userIndex/len(givenNames)*7)%len(surnames)]
			local := strings.ToLower(given + "." + strings.ReplaceAll(strings.ReplaceAll(surname, " ", ""), "-", ""))
			place := cities[userIndex%len(cities)]
			u := &user{
				id:       stableID("user", local+"@"+spec.domain),
				email:    local + "@" + spec.domain,
				given:    given,
				surname:  surname,
				org:      org,
				phone:    fmt.Sprintf("+1-555-%04d", 100+userIndex),
				city:     place.city,
				country:  place.country,
				language: place.language,
				created:  timestamp(userIndex*3, userIndex*17),
				token:    "demo-" + local,
				orgAdmin: i == 0,
				// The last two users of every organization have left it: deleted from IMS,
				// yet still listed as members of some iTwins (the platform's "missing users").
				deleted: i >= spec.users-2,
			}
			userIndex++
			orgUsers = append(orgUsers, u)
			d.users = append(d.users, u)
			d.usersByID[u.id] = u
			if !u.deleted {
				d.byToken[u.token] = u
			}
		}

		for ai, accountName := range spec.accounts {
			account := &itwin{
				id:            stableID("itwin", accountName),
				class:         "Account",
				subClass:      "Account",
				number:        accountName,
				displayName:   accountName,
				status:        "Active",
				dataCenter:    "East US",
				created:       timestamp(oi*40+ai*5, 0),
				createdBy:     orgUsers[0],
				lastModified:  timestamp(oi*40+ai*5+200, 30),
				lastModifedBy: orgUsers[0],
				org:           org,
			}
			account.accountID = account.id
			for _, r := range accountRoles {
				account.roles = append(account.roles, &role{
					id:          stableID("role", accountName+"/"+r.name),
					displayName: r.name,
					description: r.description,
					permissions: r.permissions,
				})
			}
			org.accounts = append(org.accounts, account)
			d.add(account)
			// Everyone in the organization can see its accounts; the admin is an explicit member.
			account.members = append(account.members, &membership{user: orgUsers[0], roles: account.roles[2:3]})

			// "Contoso Engineering" -> "Contoso", "Contoso Infrastructure" -> "Infrastructure":
			// distinct prefixes keep iTwin numbers unique within the organization.
			words := strings.Fields(accountName)
			prefix := words[min(ai, len(words)-1)]
			var children []*itwin
			for ti, s := range accountTemplate {
				t := &itwin{
					id:            stableID("itwin", accountName+"/"+s.number),
					class:         classOf(s.subClass),
					subClass:      s.subClass,
					typ:           strPtr(s.typ),
					number:        s.number + "-" + strings.ToUpper(prefix[:3]),
					displayName:   fmt.Sprintf(s.name, prefix),
					status:        s.status,
					dataCenter:    "East US",
					accountID:     account.id,
					created:       timestamp(oi*40+ai*5+ti+1, ti*11),
					createdBy:     orgUsers[ti%3],
					lastModified:  timestamp(oi*40+ai*5+ti+300, ti*13),
					lastModifedBy: orgUsers[(ti+1)%3],
					org:           org,
				}
				if s.parent >= 0 {
					t.parentID = strPtr(children[s.parent].id)
				} else {
					t.parentID = strPtr(account.id)
				}
				if s.geo != "" {
					t.geographic = strPtr(s.geo)
					t.latitude = floatPtr(s.lat)
					t.longitude = floatPtr(s.lon)
					t.timeZone = strPtr(s.tz)
				}
				t.members = members(account, orgUsers, ti)
				children = append(children, t)
				d.add(t)
			}
		}
	}
	addGuests(d)
	addSites(d)
	addFieldStaff(d)
	addServiceClient(d)
	return d
}

// siteCount is how many survey sites Contoso Engineering runs: with them its administrator is a
// member of some fifty iTwins, enough for paging to show in GraphiQL.
const siteCount = 32

// addSites adds Contoso Engineering's survey sites: small projects under its account, each with
// the creator team and a few readers, a quarter of them inactive.
func addSites(d *dataset) {
	org := d.orgs[0]
	account := org.accounts[0]
	staff := d.orgUsers(org)
	for i := 1; i <= siteCount; i++ {
		status := "Active"
		switch i % 8 {
		case 0, 5:
			status = "Inactive"
		case 3:
			status = "Trial"
		}
		number := fmt.Sprintf("ST-%02d-CON", i)
		t := &itwin{
			id: stableID("itwin", account.displayName+"/"+number), class: "Endeavor", subClass: "Project",
			typ: strPtr("Site Survey"), number: number, displayName: fmt.Sprintf("Contoso Site Survey %02d", i),
			status: status, dataCenter: "East US", parentID: strPtr(account.id), accountID: account.id,
			created: timestamp(400+i*3, i*7), createdBy: staff[i%3],
			lastModified: timestamp(500+i*3, i*9), lastModifedBy: staff[(i+1)%3], org: org,
		}
		t.members = members(account, staff, 10+i)
		d.add(t)
	}
}

// fieldStaffCount is how many field staff Contoso employs on its rail program, so one iTwin
// has a team of more than 250 members to page through.
const fieldStaffCount = 260

// addFieldStaff adds Contoso's field staff: users of the organization who are readers of the
// Regional Rail Program only. Their names combine the name tables, with a number where a
// combination repeats.
func addFieldStaff(d *dataset) {
	org := d.orgs[0]
	var program *itwin
	for _, t := range d.itwins {
		if t.org == org && t.number == "PG-01-CON" {
			program = t
		}
	}
	reader := org.accounts[0].roles[0]
	// Tokens are "demo-" and the email's local part, so local parts must be unique across
	// organizations, not only within one.
	taken := map[string]bool{}
	for _, u := range d.users {
		taken[strings.TrimPrefix(u.token, "demo-")] = true
	}
	for i := 0; i < fieldStaffCount; i++ {
		// Each block of 40 shifts the surnames by a different step, so no pair repeats.
		given := givenNames[i%len(givenNames)]
		surname := surnames[(i+i/len(givenNames)*13+7)%len(surnames)]
		base := strings.ToLower(given + "." + strings.ReplaceAll(strings.ReplaceAll(surname, " ", ""), "-", ""))
		local := base
		for n := 2; taken[local]; n++ {
			local = fmt.Sprintf("%s%d", base, n)
		}
		place := cities[i%len(cities)]
		u := &user{
			id: stableID("user", local+"@"+org.domain), email: local + "@" + org.domain,
			given: given, surname: surname, org: org, phone: fmt.Sprintf("+1-555-%04d", 2000+i),
			city: place.city, country: place.country, language: place.language,
			created: timestamp(600+i, i*13), token: "demo-" + local,
		}
		taken[local] = true
		d.users = append(d.users, u)
		d.usersByID[u.id] = u
		d.byToken[u.token] = u
		program.members = append(program.members, &membership{user: u, roles: []*role{reader}})
	}
}

// addServiceClient creates the demo service application's principal. A service application
// "does not represent any user or organization and does not have access to any project data by
// default": it stands alone, with the single Account the platform creates for a user without an
// organization, and is invited as a reader to the showcase project only.
func addServiceClient(d *dataset) {
	org := &organization{id: stableID("org", "service"), name: "demo-service-client (service application)", domain: "clients.example"}
	svc := &user{
		id: stableID("user", "service:"+DemoClientID), email: DemoClientID + "@clients.example",
		given: "Demo", surname: "Service Client", org: org, created: timestamp(100, 0),
	}
	account := &itwin{
		id: stableID("itwin", "service account"), class: "Account", subClass: "Account",
		number: svc.email, displayName: svc.email, status: "Active", dataCenter: "East US",
		created: timestamp(100, 1), createdBy: svc, lastModified: timestamp(100, 1), lastModifedBy: svc, org: org,
	}
	account.accountID = account.id
	org.accounts = []*itwin{account}
	d.add(account)
	d.service = svc
	d.usersByID[svc.id] = svc
	contoso := d.orgs[0].accounts[0]
	for _, t := range d.itwins {
		if t.org == d.orgs[0] && t.number == "PR-01-CON" {
			t.members = append(t.members, &membership{user: svc, roles: contoso.roles[:1]})
		}
	}
}

// members picks a deterministic team for the ti-th iTwin of an account: the creator team
// (first three users) with manager and contributor roles, a rotating group of readers, and on
// some iTwins one of the organization's deleted users.
func members(account *itwin, orgUsers []*user, ti int) []*membership {
	reader, contributor, manager := account.roles[0], account.roles[1], account.roles[2]
	out := []*membership{
		{user: orgUsers[0], roles: []*role{manager}},
		{user: orgUsers[1], roles: []*role{contributor, reader}},
		{user: orgUsers[2], roles: []*role{contributor}},
	}
	active := len(orgUsers) - 2
	for k := 0; k < 5; k++ {
		u := orgUsers[3+(ti*5+k)%(active-3)]
		out = append(out, &membership{user: u, roles: []*role{reader}})
	}
	if ti%2 == 0 {
		out = append(out, &membership{user: orgUsers[active+ti/2%2], roles: []*role{reader}})
	}
	return out
}

// addGuests makes a few users members of iTwins owned by other organizations, the way
// consultants are invited to a client's projects. Their profiles are not visible through
// the Users API to the host organization's callers.
func addGuests(d *dataset) {
	for oi, org := range d.orgs {
		guestOrg := d.orgs[(oi+1)%len(d.orgs)]
		guests := d.orgUsers(guestOrg)
		for ai, account := range org.accounts {
			for _, t := range d.itwins {
				if t.accountID != account.id || t.class == "Account" {
					continue
				}
				if t.subClass == "Project" || t.subClass == "Asset" {
					g := guests[1+ai]
					t.members = append(t.members, &membership{user: g, roles: []*role{account.roles[0]}})
				}
			}
		}
	}
}

func (d *dataset) add(t *itwin) {
	d.itwins = append(d.itwins, t)
	d.itwinByID[t.id] = t
}

func (d *dataset) orgUsers(org *organization) []*user {
	var out []*user
	for _, u := range d.users {
		if u.org == org {
			out = append(out, u)
		}
	}
	return out
}

// classOf maps a subclass to its class, as the iTwins changelog of 2022-10-28 defines it.
func classOf(subClass string) string {
	switch subClass {
	case "Account":
		return "Account"
	case "Asset", "Portfolio":
		return "Thing"
	default:
		return "Endeavor"
	}
}
