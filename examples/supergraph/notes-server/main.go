// Command notes-server runs the supergraph example's notes subgraph on PORT (default 4001) at
// /query, with a few notes about the emulator's showcase iTwin (its ids are fixed).
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/itwin-graphql/gateway/bentley/emulator"
	"github.com/itwin-graphql/gateway/examples/supergraph/notes"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "4001"
	}
	emu := emulator.New()
	show := emu.Showcase()
	emu.Close()
	ada := emu.DemoUsers()[0]
	mux := http.NewServeMux()
	mux.Handle("/query", notes.Handler([]notes.Seed{
		{ITwinID: show.ITwinID, AuthorID: show.MemberID, Text: "Bearing inspection booked for March."},
		{ITwinID: show.ITwinID, AuthorID: ada.ID, Text: "Deck drawings approved."},
	}))
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("notes subgraph at http://%s/query", srv.Addr)
	log.Fatal(srv.ListenAndServe())
}
