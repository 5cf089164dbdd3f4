package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/itwin-graphql/gateway/internal/testenv"
)

// SIGHUP swaps the manifest while requests keep coming: none fails, the new document is served
// once reloaded, and a broken manifest leaves the one in force.
func TestTrustedDocumentsReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "persisted-documents.json")
	write := func(content string) {
		t.Helper()
		tmp := filepath.Join(dir, "next.json")
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil { // as a deploy would: whole, at once
			t.Fatal(err)
		}
	}
	me := `"me": "query Me { me { id displayName } }"`
	write("{" + me + "}")
	g := startGateway(t, map[string]string{"TRUSTED_DOCUMENTS": path})

	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				body := post(t, g.url, g.token, `{"documentId":"me"}`)
				sent.Add(1)
				if !strings.Contains(body, `"displayName"`) || strings.Contains(body, `"errors"`) {
					failed.Add(1)
				}
			}
		}()
	}
	served := func(id string) bool {
		return strings.Contains(post(t, g.url, g.token, `{"documentId":"`+id+`"}`), `"displayName"`)
	}
	testenv.Eventually(t, "the load is under way", func() bool { return sent.Load() >= 20 })
	if served("team") {
		t.Fatal("a document not yet in the manifest was served")
	}
	write("{" + me + `, "team": "query Team { me { displayName } }"}`)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the reloaded manifest's new document is served", func() bool { return served("team") })
	// A broken manifest is not loaded; the last good one stays.
	write("{ not json")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the failed reload is logged", func() bool {
		return g.logs.find("trusted documents not reloaded; the previous manifest stays in force") != nil
	})
	if !served("team") || !served("me") {
		t.Error("a failed reload dropped the manifest in force")
	}
	after := sent.Load()
	testenv.Eventually(t, "the load goes on after the failed reload", func() bool { return sent.Load() >= after+20 })
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || sent.Load() < 50 {
		t.Errorf("%d of %d requests failed across two reloads", failed.Load(), sent.Load())
	}
	t.Logf("%d requests across two reloads, %d failed", sent.Load(), failed.Load())
}

// Enforced without a bypass key, GraphiQL (which sends its own documents) is not served.
func TestTrustedDocumentsTurnGraphiQLOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(path, []byte(`{"me":"{ me { id } }"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, startGateway(t, map[string]string{"TRUSTED_DOCUMENTS": path}).url+"/"); status != 404 {
		t.Errorf("GraphiQL in enforce mode without a bypass key: %d, want 404", status)
	}
	with := startGateway(t, map[string]string{"TRUSTED_DOCUMENTS": path, "TRUSTED_DOCUMENTS_BYPASS_KEY": "sixteen-chars-or-more"})
	if status, _ := get(t, with.url+"/"); status != 200 {
		t.Errorf("GraphiQL with a bypass key: %d, want 200", status)
	}
	if status, _ := get(t, startGateway(t, map[string]string{"TRUSTED_DOCUMENTS": path, "TRUSTED_DOCUMENTS_MODE": "log"}).url+"/"); status != 200 {
		t.Errorf("GraphiQL in log mode: %d, want 200", status)
	}
}
