package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// countingLoop is the embedded loop, prepared path included, counting the
// rank requests that reach its general Rank method.
type countingLoop struct {
	*local.Loop
	generalRanks atomic.Int64
}

func (c *countingLoop) Rank(ctx context.Context, req *personalizer.RankRequest) (*personalizer.RankResponse, error) {
	c.generalRanks.Add(1)
	return c.Loop.Rank(ctx, req)
}

// generalOnly hides the embedded loop's prepared path from the server, so
// every rank request goes through Rank.
type generalOnly struct {
	server.Backend
}

// newEquivalenceLoop returns an embedded loop on a manual clock that
// refreshes its serving model every 7 events and waits 40 ticks for
// rewards, so refreshes and default rewards both happen within a test.
func newEquivalenceLoop(t *testing.T) (*local.Loop, *local.ManualClock) {
	t.Helper()
	clock := &local.ManualClock{}
	loop, err := local.New(local.Options{
		Policy:           "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q ::",
		ModelUpdateEvery: 7,
		RewardWait:       40,
		Seed:             5,
		Clock:            clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return loop, clock
}

// equivalenceActions are the action lists the test draws from: the
// notebook's, the same coffees without white space, and actions with
// numbers, a nested namespace and no features.
var equivalenceActions = []string{
	notebookActions,
	`[{"id":"Cappucino","features":[{"type":"hot","origin":"kenya","organic":"yes","roast":"dark"}]},{"id":"Cold brew","features":[{"type":"cold","origin":"brazil","organic":"yes","roast":"light"}]},{"id":"Iced mocha","features":[{"type":"cold","origin":"ethiopia","organic":"no","roast":"light"}]},{"id":"Latte","features":[{"type":"hot","origin":"brazil","organic":"no","roast":"dark"}]}]`,
	`[{"id":"small <&>","features":[{"size":1,"price":{"eur":2.5}}]},{"id":"large é","features":[{"size":3,"price":{"eur":4}}]},{"id":"none","features":[]}]`,
}

// invalidRanks are rank bodies that both paths must reject with the same
// response. The server rejects all but one itself, before the loop.
var invalidRanks = []struct {
	body        string
	reachesLoop bool
}{
	{body: `{"contextFeatures":[{"tags":["a","b"]}],"actions":` + notebookActions + `,"eventId":"bad-1"}`},
	{body: `{"contextFeatures":[null],"actions":` + notebookActions + `,"eventId":"bad-2"}`},
	{body: `{"actions":[{"id":"x","features":[]},{"id":"x","features":[]}],"eventId":"bad-3"}`},
	{body: `{"actions":[{"id":"x"}],"eventId":"bad-4"}`},
	{body: `{"actions":[{"id":"","features":[]}],"eventId":"bad-5"}`},
	{body: `{"actions":[],"eventId":"bad-6"}`},
	{body: `{"contextFeatures":[{"name":"Alice"}],"eventId":"bad-7"}`},
	{body: `{"actions":` + notebookActions + `,"eventId":"` + strings.Repeat("x", 257) + `"}`},
	// 200 characters but 400 bytes: the server's check passes and the
	// loop's, which counts bytes, rejects it.
	{body: `{"actions":` + notebookActions + `,"eventId":"` + strings.Repeat("é", 200) + `"}`, reachesLoop: true},
	{body: `{"actions":` + notebookActions + `,"excludedActions":["Cappucino","Cold brew","Iced mocha","Latte"],"eventId":"bad-9"}`},
	{body: `{"actions":` + notebookActions + `,"eventId":"bad-10"`},
}

// TestPreparedPathMatchesRank replays one random event stream against two
// servers over two identical embedded loops, one using the prepared path
// and one only Rank, and requires byte-identical responses. The stream
// mixes repeated and new contexts, three action lists, deferred
// activation, excluded actions, event ids that need escaping, rewards,
// missing rewards, invalid requests, policy changes and a model reset. It
// has more distinct contexts than the cache has slots, so entries get
// replaced, and the serving model refreshes every 7 events.
func TestPreparedPathMatchesRank(t *testing.T) {
	fastLoop, fastClock := newEquivalenceLoop(t)
	generalLoop, generalClock := newEquivalenceLoop(t)
	fast := &countingLoop{Loop: fastLoop}
	fastURL := startServer(t, fast) + "/personalizer/v1.0/"
	generalURL := startServer(t, generalOnly{generalLoop}) + "/personalizer/v1.0/"

	// compare sends one request to both servers and returns the status
	// and body, failing the test when the responses differ.
	compare := func(path, body string) (int, []byte) {
		t.Helper()
		fastStatus, fastHeader, fastBody := send(t, "POST", fastURL+path, body, nil)
		generalStatus, generalHeader, generalBody := send(t, "POST", generalURL+path, body, nil)
		if fastStatus != generalStatus || !bytes.Equal(fastBody, generalBody) {
			t.Fatalf("POST %s %s:\nprepared path: %d %s\ngeneral path:  %d %s", path, body, fastStatus, fastBody, generalStatus, generalBody)
		}
		for _, name := range []string{"Content-Type", "Content-Length"} {
			if fastHeader.Get(name) != generalHeader.Get(name) {
				t.Fatalf("POST %s: %s %q on the prepared path, %q on the general path", path, name, fastHeader.Get(name), generalHeader.Get(name))
			}
		}
		return fastStatus, fastBody
	}

	const events = 1500
	rng := rand.New(rand.NewPCG(3, 14))
	var wantGeneral int64
	for i := range events {
		fastClock.Set(int64(i))
		generalClock.Set(int64(i))

		// Policy and model changes reach both loops between events.
		switch i {
		case 500: // new interactions: the loop resets its model and term cache
			changeBoth(t, "PUT", "configurations/policy", `{"name":"p","arguments":"--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFj"}`, fastURL, generalURL)
		case 900:
			changeBoth(t, "DELETE", "model", "", fastURL, generalURL)
		case 1200: // only the exploration changes: the model and terms stay
			changeBoth(t, "PUT", "configurations/policy", `{"name":"p","arguments":"--cb_explore_adf --epsilon 0.05 --power_t 0 --cb_type mtr -q :: --interactions FFj"}`, fastURL, generalURL)
		}

		if i%50 == 49 {
			invalid := invalidRanks[(i/50)%len(invalidRanks)]
			if status, _ := compare("rank", invalid.body); status != http.StatusBadRequest {
				t.Fatalf("rank %s = %d, want 400", invalid.body, status)
			}
			if invalid.reachesLoop {
				wantGeneral++
			}
			continue
		}

		eventID := fmt.Sprintf("ev-%d", i)
		if i%9 == 0 {
			eventID = fmt.Sprintf("ev <&> é/%d", i)
		}
		var features string
		switch i % 13 {
		case 0:
			features = `"contextFeatures":null,`
		case 1:
			features = ""
		case 2:
			features = `"contextFeatures":[],`
		case 3:
			features = fmt.Sprintf(`"contextFeatures":[{"name":%q},{"device":{"os":"ios","screen":6.1}}],`, notebookNames[rng.IntN(4)])
		default:
			features = fmt.Sprintf(`"contextFeatures":[{"name":%q,"weather":%q,"user":"u%d"}],`,
				notebookNames[rng.IntN(4)], notebookWeathers[rng.IntN(3)], rng.IntN(3000))
		}
		extra := ""
		deferred := i%11 == 0
		if deferred {
			extra = `,"deferActivation":true`
		}
		if i%17 == 0 {
			extra += `,"excludedActions":["Latte","none"]`
			wantGeneral++
		}
		body := fmt.Sprintf(`{%s"actions":%s,"eventId":%q%s}`,
			features, equivalenceActions[rng.IntN(len(equivalenceActions))], eventID, extra)

		status, resp := compare("rank", body)
		if status != http.StatusCreated {
			t.Fatalf("rank %s = %d %s, want 201", body, status, resp)
		}
		var ranked personalizer.RankResponse
		if err := json.Unmarshal(resp, &ranked); err != nil {
			t.Fatalf("rank response %s: %v", resp, err)
		}
		if ranked.EventID != eventID {
			t.Fatalf("rank response eventId %q, want %q", ranked.EventID, eventID)
		}

		events := "events/" + url.PathEscape(eventID) + "/"
		if deferred && rng.IntN(2) == 0 {
			compare(events+"activate", "")
		}
		switch r := rng.IntN(10); {
		case r < 4:
			compare(events+"reward", `{"value":1}`)
		case r < 8:
			compare(events+"reward", `{"value":0}`)
		case r < 9:
			compare(events+"reward", ` { "value" : 0.5 } `)
		}
	}

	if got := fast.generalRanks.Load(); got != wantGeneral {
		t.Errorf("%d rank requests reached Rank on the prepared server, want %d (excluded actions and requests only the loop rejects)", got, wantGeneral)
	}
}

// changeBoth sends one configuration or model request to both servers and
// requires success from each.
func changeBoth(t *testing.T, method, path, body string, endpoints ...string) {
	t.Helper()
	for _, endpoint := range endpoints {
		header := http.Header{"Content-Type": {"application/json"}}
		if status, _, resp := send(t, method, endpoint+path, body, header); status/100 != 2 {
			t.Fatalf("%s %s = %d %s, want 2xx", method, endpoint+path, status, resp)
		}
	}
}

func TestPreparedPathGeneratesEventID(t *testing.T) {
	loop, _ := newEquivalenceLoop(t)
	fast := &countingLoop{Loop: loop}
	base := startServer(t, fast) + "/personalizer/v1.0"
	checkGeneratedEventIDs(t, base, `{"actions":`+notebookActions+`}`)
	if got := fast.generalRanks.Load(); got != 0 {
		t.Errorf("%d rank requests reached Rank, want 0 on the prepared path", got)
	}
}
