package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// requireTool finds a program a test needs. Missing, the test skips with the reason on a
// developer's machine and fails in CI (CI=true), where .ci/run installs it.
func requireTool(t *testing.T, why string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := why + ": none of " + strings.Join(names, ", ") + " is installed"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (.ci/run installs it)")
	}
	t.Skip(msg + "; run .ci/run, or install it, to run this test")
	return ""
}

// artifactsDir is where tests leave files for a person to look at: ARTIFACTS_DIR, or artifacts/
// in the checkout (ignored by git).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// A real browser opens GraphiQL on the emulator-backed gateway with every other host
// unreachable, runs the prefilled query, and shows the emulator's answer: the page needs nothing
// from the internet. The screenshot is left in the artifacts folder.
func TestGraphiQLInHeadlessChromium(t *testing.T) {
	browser := requireTool(t, "GraphiQL's browser test needs Chromium", "chromium", "chromium-browser", "google-chrome")
	g := startGateway(t, nil)

	// What the page must end up showing: the same query, asked directly.
	var want struct {
		Data struct {
			Itwin struct{ DisplayName string }
		}
	}
	body := post(t, g.url, g.token, `{"query":"query($id: ID!) { itwin(id: $id) { displayName } }","variables":{"id":"`+g.itwin+`"}}`)
	if err := json.Unmarshal([]byte(body), &want); err != nil || want.Data.Itwin.DisplayName == "" {
		t.Fatalf("direct query: %s", body)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Every host but loopback is unreachable: names resolve to nothing and anything that
		// still tries goes to a proxy that is not there. Loopback bypasses proxies.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.ProxyServer("http://127.0.0.1:9"),
	)
	// The allocator gives the browser a new empty profile and removes it once the browser exits.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Every request the page makes, and every error it raises or logs.
	var mu sync.Mutex
	var requests, problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *network.EventLoadingFailed:
			problems = append(problems, "request failed: "+ev.ErrorText)
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				problems = append(problems, "console.error")
			}
		}
	})

	var shown string
	var found bool
	var png []byte
	name, _ := json.Marshal(want.Data.Itwin.DisplayName)
	err := chromedp.Run(ctx,
		network.Enable(),
		chromedp.Navigate(g.url+"/"),
		chromedp.WaitVisible(".graphiql-execute-button", chromedp.ByQuery),
		chromedp.Click(".graphiql-execute-button", chromedp.ByQuery),
		// Until the result pane shows the iTwin's name (CodeMirror renders it as text).
		chromedp.Poll(`((document.querySelector('.result-window') || {}).innerText || '').includes(`+string(name)+`)`, &found,
			chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Text(".result-window", &shown, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	shot := filepath.Join(artifactsDir(t), "graphiql.png")
	if len(png) > 0 {
		if werr := os.WriteFile(shot, png, 0o644); werr != nil {
			t.Error(werr)
		}
		t.Logf("screenshot: %s", shot)
	}
	if err != nil {
		t.Fatalf("GraphiQL did not show the answer: %v\nresult pane: %q\nproblems: %v", err, shown, problems)
	}
	for _, part := range []string{`"displayName": "` + want.Data.Itwin.DisplayName + `"`, `"account"`, `"user"`} {
		if !strings.Contains(shown, part) {
			t.Errorf("result pane lacks %s:\n%s", part, shown)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if !strings.HasPrefix(u, g.url+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page asked another host: %s", u)
		}
	}
	if len(problems) > 0 {
		t.Errorf("the page raised errors: %v", problems)
	}
}
