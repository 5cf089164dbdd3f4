// Command go-client is a server-to-server caller of the gateway: a nightly job that reports every
// iTwin its service application can see, with each iTwin's team by role. It authenticates with
// the OAuth2 client-credentials grant (golang.org/x/oauth2/clientcredentials) and sends the token
// as a bearer token; the gateway passes it through to the platform. The GraphQL calls are typed
// Go functions that genqlient generated from operations.graphql and the gateway's schema.
//
// Configuration, from the environment:
//
//	GATEWAY_URL    the gateway's GraphQL endpoint (default http://localhost:8080/graphql)
//	TOKEN_URL      the token endpoint (default https://ims.bentley.com/connect/token)
//	CLIENT_ID      the service application's client id
//	CLIENT_SECRET  its secret
//	SCOPE          the scope asked for (default itwin-platform)
package main

//go:generate go tool genqlient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/oauth2/clientcredentials"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	if getenv("CLIENT_ID") == "" || getenv("CLIENT_SECRET") == "" {
		return fmt.Errorf("CLIENT_ID and CLIENT_SECRET are required")
	}
	creds := clientcredentials.Config{
		ClientID:     getenv("CLIENT_ID"),
		ClientSecret: getenv("CLIENT_SECRET"),
		TokenURL:     env("TOKEN_URL", "https://ims.bentley.com/connect/token"),
		Scopes:       []string{env("SCOPE", "itwin-platform")},
	}
	// The oauth2 transport fetches a token on first use and a new one before it expires.
	httpClient := creds.Client(ctx)
	httpClient.Timeout = 30 * time.Second
	gql := graphql.NewClient(env("GATEWAY_URL", "http://localhost:8080/graphql"), httpClient)

	itwins, err := allITwins(ctx, gql)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d iTwins\n", len(itwins))
	for _, it := range itwins {
		members, err := team(ctx, gql, it.Id)
		if code := errorCode(err); code == "NOT_FOUND" || code == "FORBIDDEN" {
			// Listed but not readable: an Account iTwin, for one, has no members to list.
			fmt.Fprintf(out, "%s  %s  [%s, %s]  team not visible (%s)\n", it.Id, it.DisplayName, deref(it.SubClass), deref(it.Status), code)
			continue
		}
		if err != nil {
			return fmt.Errorf("team of %s: %w", it.Id, err)
		}
		account := "(no account)"
		if it.Account != nil {
			account = it.Account.DisplayName
		}
		created := "unknown"
		if it.CreatedDateTime != nil {
			created = it.CreatedDateTime.Format("2006-01-02")
		}
		fmt.Fprintf(out, "%s  %s  [%s, %s, created %s, account %s]  %d members\n",
			it.Id, it.DisplayName, deref(it.SubClass), deref(it.Status), created, account, len(members))
		for _, line := range byRole(members) {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
	return nil
}

// allITwins walks the itwins connection to its end, following endCursor.
func allITwins(ctx context.Context, gql graphql.Client) ([]ITwinsPageItwinsITwinConnectionNodesITwin, error) {
	var all []ITwinsPageItwinsITwinConnectionNodesITwin
	var after *string
	for {
		page, err := ITwinsPage(ctx, gql, 50, after)
		if err != nil {
			return nil, fmt.Errorf("itwins: %w", err)
		}
		all = append(all, page.Itwins.Nodes...)
		if !page.Itwins.PageInfo.HasNextPage {
			return all, nil
		}
		after = page.Itwins.PageInfo.EndCursor
	}
}

// team walks an iTwin's members connection to its end.
func team(ctx context.Context, gql graphql.Client, itwin string) ([]TeamPageItwinITwinMembersMemberConnectionNodesMember, error) {
	var all []TeamPageItwinITwinMembersMemberConnectionNodesMember
	var after *string
	for {
		page, err := TeamPage(ctx, gql, itwin, 100, after)
		if err != nil {
			return nil, err
		}
		if page.Itwin == nil {
			return nil, fmt.Errorf("iTwin not found")
		}
		all = append(all, page.Itwin.Members.Nodes...)
		if !page.Itwin.Members.PageInfo.HasNextPage {
			return all, nil
		}
		after = page.Itwin.Members.PageInfo.EndCursor
	}
}

// byRole lists how many members hold each role, most first.
func byRole(members []TeamPageItwinITwinMembersMemberConnectionNodesMember) []string {
	count := map[string]int{}
	for _, m := range members {
		for _, r := range m.Roles {
			count[r.DisplayName]++
		}
	}
	roles := make([]string, 0, len(count))
	for r := range count {
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool {
		if count[roles[i]] != count[roles[j]] {
			return count[roles[i]] > count[roles[j]]
		}
		return roles[i] < roles[j]
	})
	lines := make([]string, len(roles))
	for i, r := range roles {
		lines[i] = fmt.Sprintf("%-24s %d", r, count[r])
	}
	return lines
}

// errorCode is the first GraphQL error's extensions.code: the gateway's stable error codes.
func errorCode(err error) string {
	var list gqlerror.List
	if errors.As(err, &list) && len(list) > 0 {
		code, _ := list[0].Extensions["code"].(string)
		return code
	}
	return ""
}

func deref[T ~string](p *T) string {
	if p == nil {
		return "-"
	}
	return strings.ToLower(string(*p))
}
