package graph

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/graph/model"
)

func newLoaders(t *testing.T) (*emulator.Emulator, *Loaders, context.Context, emulator.Showcase) {
	t.Helper()
	emu := emulator.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)
	// No retries: these tests are about what the loaders cache, so a failure must reach them.
	client, err := bentley.NewClient(bentley.WithBaseURL(srv.URL), bentley.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	show := emu.Showcase()
	return emu, NewLoaders(client, LoaderOptions{Wait: DefaultBatchWait}), bentley.WithToken(context.Background(), show.Token), show
}

func TestTransientFailuresAreNotCached(t *testing.T) {
	emu, l, ctx, show := newLoaders(t)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointUsersByIDList, Kind: emulator.FaultStatus, Status: 503, Times: 1})
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointITwin, Kind: emulator.FaultStatus, Status: 429, Times: 1})
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointMe, Kind: emulator.FaultStatus, Status: 502, Times: 1})

	if _, err := l.User(ctx, show.MemberID); err == nil {
		t.Fatal("first user load: want the injected 503")
	}
	if u, err := l.User(ctx, show.MemberID); err != nil || u == nil {
		t.Fatalf("second user load = %v, %v; want the user (the 503 must not be cached)", u, err)
	}
	if _, err := l.ITwin(ctx, show.ITwinID); err == nil {
		t.Fatal("first iTwin load: want the injected 429")
	}
	if it, err := l.ITwin(ctx, show.ITwinID); err != nil || it == nil {
		t.Fatalf("second iTwin load = %v, %v", it, err)
	}
	if _, err := l.Me(ctx); err == nil {
		t.Fatal("first me: want the injected 502")
	}
	if me, err := l.Me(ctx); err != nil || me == nil {
		t.Fatalf("second me = %v, %v", me, err)
	}
	if emu.Calls(emulator.EndpointUsersByIDList) != 2 || emu.Calls(emulator.EndpointITwin) != 2 || emu.Calls(emulator.EndpointMe) != 2 {
		t.Errorf("calls: users %d, itwin %d, me %d; want 2 each", emu.Calls(emulator.EndpointUsersByIDList),
			emu.Calls(emulator.EndpointITwin), emu.Calls(emulator.EndpointMe))
	}
}

func TestDefinitiveAnswersAreCached(t *testing.T) {
	emu, l, ctx, show := newLoaders(t)
	unknown := "00000000-0000-4000-8000-000000000000"
	for i := 0; i < 3; i++ {
		if _, err := l.ITwin(ctx, unknown); !bentley.IsNotFound(err) {
			t.Fatalf("load %d: %v, want not found", i, err)
		}
		if u, err := l.User(ctx, unknown); u != nil || err != nil {
			t.Fatalf("user load %d: %v, %v; want nil, nil", i, u, err)
		}
		if _, err := l.Me(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Member(ctx, show.ITwinID, show.MemberID); err != nil {
			t.Fatal(err)
		}
	}
	for _, ep := range []string{emulator.EndpointITwin, emulator.EndpointUsersByIDList, emulator.EndpointMe, emulator.EndpointUserMember} {
		if n := emu.Calls(ep); n != 1 {
			t.Errorf("%s calls = %d, want 1 for three loads", ep, n)
		}
	}
}

func TestEnumConversion(t *testing.T) {
	cases := map[string]string{
		"Account": "ACCOUNT", "Asset": "ASSET", "Portfolio": "PORTFOLIO", "Program": "PROGRAM",
		"Project": "PROJECT", "WorkPackage": "WORK_PACKAGE", "Thing": "THING", "Endeavor": "ENDEAVOR",
		"Active": "ACTIVE", "Inactive": "INACTIVE", "Trial": "TRIAL",
	}
	for upstream, gql := range cases {
		if got := enumToUpstream(gql); got != upstream {
			t.Errorf("enumToUpstream(%q) = %q, want %q", gql, got, upstream)
		}
	}
	var logs strings.Builder
	c := newConverter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	// Case does not count: the overview pages write "active".
	got := c.iTwin(ctx, &bentley.ITwin{ID: "x", Class: "endeavor", SubClass: "workpackage", Status: "active"})
	if got.Class == nil || *got.Class != model.ITwinClassEndeavor || got.SubClass == nil || *got.SubClass != model.ITwinSubClassWorkPackage ||
		got.Status == nil || *got.Status != model.ITwinStatusActive {
		t.Errorf("lower-case values: %+v", got)
	}
	// A value the platform adds tomorrow nulls that field only, keeps the raw value, logs once.
	for range 3 {
		got = c.iTwin(ctx, &bentley.ITwin{ID: "x", Class: "Spaceship", SubClass: "Campus", Status: "Archived", DisplayName: "d"})
	}
	if got.Class != nil || got.SubClass != nil || got.Status != nil || got.RawClass != "Spaceship" ||
		got.RawSubClass != "Campus" || *got.RawStatus != "Archived" || got.DisplayName != "d" {
		t.Errorf("unknown values: %+v", got)
	}
	if n := strings.Count(logs.String(), "Campus"); n != 1 {
		t.Errorf("the unknown subClass was logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestDateForms(t *testing.T) {
	c := newConverter(nil)
	want := time.Date(2023, 11, 10, 14, 22, 42, 231788000, time.UTC)
	for _, s := range []string{
		"2023-11-10T14:22:42.2317880Z", "2023-11-10T14:22:42.231788Z", "2023-11-10T14:22:42.2317880+00:00",
		"2023-11-10T15:22:42.231788+01:00", "2023-11-10T14:22:42.231788",
	} {
		if got := c.date(context.Background(), "f", &s); got == nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("date(%q) = %v, want %v in UTC", s, got, want)
		}
	}
	for _, s := range []string{"", "yesterday", "2023-13-40T99:00:00Z", "10/11/2023"} {
		if got := c.date(context.Background(), "f", &s); got != nil {
			t.Errorf("date(%q) = %v, want null", s, got)
		}
	}
}

func TestParseID(t *testing.T) {
	good := []string{"76c1102e-4f33-4dfa-ad93-bcd9ab717977", "76C1102E-4F33-4DFA-AD93-BCD9AB717977"}
	bad := []string{"", "me", "76c1102e4f334dfaad93bcd9ab717977", "76c1102e-4f33-4dfa-ad93-bcd9ab71797", "../../users/me",
		"76c1102e-4f33-4dfa-ad93-bcd9ab71797g", "{76c1102e-4f33-4dfa-ad93-bcd9ab717977}", "76c1102e-4f33-4dfa-ad93_bcd9ab717977"}
	for _, id := range good {
		if got, err := parseID("id", id); err != nil || got != "76c1102e-4f33-4dfa-ad93-bcd9ab717977" {
			t.Errorf("parseID(%q) = %q, %v", id, got, err)
		}
	}
	for _, id := range bad {
		if _, err := parseID("id", id); err == nil {
			t.Errorf("parseID(%q) accepted", id)
		}
	}
}
