package main

// The floor (-floor): the load generator starts, in the gateway's place, a copy of itself as a
// bare proxy for the mix. Each request makes the same four platform calls as the gateway, in
// parallel, under the same number of slots, over a transport set up as the gateway's, decodes the
// answers into the same bentley types with encoding/json and writes the same answer. There is no
// GraphQL, no loader, no retry, no cache, no log and no metric but the process's own. It is what
// any Go service on net/http and encoding/json pays for this query's work on this machine: the
// gateway's CPU and allocations per query above it are GraphQL execution and the gateway's own
// features; its q/s at a given latency is the most the machine, the emulator and the load
// generator leave any such service.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itwin-graphql/gateway/bentley"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// floorEnv, set in the child's environment, makes the loadtest binary serve the floor proxy.
const floorEnv = "LOADTEST_FLOOR_PROXY"

const (
	acceptV1 = "application/vnd.bentley.itwin-platform.v1+json"
	acceptV2 = "application/vnd.bentley.itwin-platform.v2+json"
)

// floorProxy answers the mix's query by calling the platform directly.
type floorProxy struct {
	base      string
	transport http.RoundTripper
	slots     chan struct{}
}

// serveFloor runs the floor proxy on HOST:PORT against BENTLEY_API_URL, with
// UPSTREAM_MAX_CONCURRENCY slots (the gateway's default when unset), until SIGTERM.
func serveFloor() error {
	slots := defaultUpstreamSlots
	if v := os.Getenv("UPSTREAM_MAX_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("UPSTREAM_MAX_CONCURRENCY: %q", v)
		}
		slots = n
	}
	debug.SetGCPercent(400) // as the gateway's default GOGC, so that both pay the same for collection
	p := &floorProxy{
		base:      strings.TrimSuffix(os.Getenv("BENTLEY_API_URL"), "/"),
		transport: bentley.NewTransportFor(slots), // the gateway's transport and idle pool
		slots:     make(chan struct{}, slots),
	}
	mux := http.NewServeMux()
	mux.Handle("POST /graphql", p)
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := &http.Server{Addr: net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT")), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// mixAnswer is the mix query's answer, field for field.
type mixAnswer struct {
	Data struct {
		ITwin struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			Class       string `json:"class"`
			SubClass    string `json:"subClass"`
			Status      string `json:"status"`
			Account     struct {
				ID          string `json:"id"`
				DisplayName string `json:"displayName"`
			} `json:"account"`
			Member struct {
				Email *string `json:"email"`
				Roles []struct {
					DisplayName string `json:"displayName"`
				} `json:"roles"`
				User struct {
					ID               string  `json:"id"`
					Email            *string `json:"email"`
					OrganizationName *string `json:"organizationName"`
				} `json:"user"`
			} `json:"member"`
		} `json:"itwin"`
	} `json:"data"`
}

func (p *floorProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Variables struct{ ITwin, Member string }
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.Variables.ITwin == "" || in.Variables.Member == "" {
		http.Error(w, "the floor proxy answers the mix only", http.StatusBadRequest)
		return
	}
	auth := r.Header.Get("Authorization")
	var (
		itwin   struct{ ITwin bentley.ITwin }
		account struct{ ITwin bentley.ITwin }
		member  struct{ Member bentley.Member }
		users   struct{ Users []bentley.User }
		errs    [4]error
		wg      sync.WaitGroup
	)
	calls := []func() error{
		func() error {
			return p.call(r.Context(), auth, "GET", "/itwins/"+in.Variables.ITwin, acceptV1, "", &itwin)
		},
		func() error {
			return p.call(r.Context(), auth, "GET", "/itwins/"+in.Variables.ITwin+"/account", acceptV1, "", &account)
		},
		func() error {
			return p.call(r.Context(), auth, "GET", "/accesscontrol/itwins/"+in.Variables.ITwin+"/members/users/"+in.Variables.Member, acceptV2, "", &member)
		},
		func() error {
			return p.call(r.Context(), auth, "POST", "/users/getbyidlist", acceptV1, `["`+in.Variables.Member+`"]`, &users)
		},
	}
	for i := 1; i < len(calls); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = calls[i]()
		}()
	}
	errs[0] = calls[0]()
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil || len(users.Users) != 1 {
		http.Error(w, fmt.Sprintf("upstream: %v (%d users)", err, len(users.Users)), http.StatusBadGateway)
		return
	}
	var out mixAnswer
	it := &out.Data.ITwin
	it.ID, it.DisplayName = itwin.ITwin.ID, itwin.ITwin.DisplayName
	it.Class, it.SubClass, it.Status = schemaEnum(itwin.ITwin.Class), schemaEnum(itwin.ITwin.SubClass), schemaEnum(itwin.ITwin.Status)
	it.Account.ID, it.Account.DisplayName = account.ITwin.ID, account.ITwin.DisplayName
	it.Member.Email = member.Member.Email
	for _, role := range member.Member.Roles {
		it.Member.Roles = append(it.Member.Roles, struct {
			DisplayName string `json:"displayName"`
		}{role.DisplayName})
	}
	u := users.Users[0]
	it.Member.User.ID, it.Member.User.Email, it.Member.User.OrganizationName = u.ID, u.Email, u.OrganizationName
	body, err := json.Marshal(&out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// call makes one platform call under a slot and decodes its 200 answer into v.
func (p *floorProxy) call(ctx context.Context, auth, method, path, accept, body string, v any) error {
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", auth)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return json.Unmarshal(data, v)
}

// schemaEnum spells a platform enum value as the schema does: "WorkPackage" -> "WORK_PACKAGE".
func schemaEnum(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
