package server_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// The tutorial notebook's coffee problem: four customers whose preferred
// coffee depends on the weather and the time of day.
var (
	notebookNames    = []string{"Alice", "Bob", "Cathy", "Dave"}
	notebookWeathers = []string{"Sunny", "Rainy", "Snowy"}
	notebookTimes    = []string{"Morning", "Afternoon", "Evening"}

	// notebookPreferences[name][weather][time of day] is the coffee that
	// earns reward 1.
	notebookPreferences = map[string]map[string]map[string]string{
		"Alice": {
			"Sunny": {"Morning": "Cold brew", "Afternoon": "Iced mocha", "Evening": "Cold brew"},
			"Rainy": {"Morning": "Latte", "Afternoon": "Cappucino", "Evening": "Latte"},
			"Snowy": {"Morning": "Cappucino", "Afternoon": "Cappucino", "Evening": "Cappucino"},
		},
		"Bob": {
			"Sunny": {"Morning": "Cappucino", "Afternoon": "Iced mocha", "Evening": "Cold brew"},
			"Rainy": {"Morning": "Latte", "Afternoon": "Latte", "Evening": "Latte"},
			"Snowy": {"Morning": "Iced mocha", "Afternoon": "Iced mocha", "Evening": "Iced mocha"},
		},
		"Cathy": {
			"Sunny": {"Morning": "Latte", "Afternoon": "Cold brew", "Evening": "Cappucino"},
			"Rainy": {"Morning": "Cappucino", "Afternoon": "Latte", "Evening": "Iced mocha"},
			"Snowy": {"Morning": "Cold brew", "Afternoon": "Iced mocha", "Evening": "Cappucino"},
		},
		"Dave": {
			"Sunny": {"Morning": "Iced mocha", "Afternoon": "Iced mocha", "Evening": "Iced mocha"},
			"Rainy": {"Morning": "Latte", "Afternoon": "Latte", "Evening": "Latte"},
			"Snowy": {"Morning": "Cappucino", "Afternoon": "Cappucino", "Evening": "Cappucino"},
		},
	}
)

// notebookActions is the notebook's coffee list, sent with every Rank.
const notebookActions = `[
	{"id":"Cappucino","features":[{"type":"hot","origin":"kenya","organic":"yes","roast":"dark"}]},
	{"id":"Cold brew","features":[{"type":"cold","origin":"brazil","organic":"yes","roast":"light"}]},
	{"id":"Iced mocha","features":[{"type":"cold","origin":"ethiopia","organic":"no","roast":"light"}]},
	{"id":"Latte","features":[{"type":"hot","origin":"brazil","organic":"no","roast":"dark"}]}]`

// notebookSession sends requests the way the notebook's `requests` calls
// did: JSON bodies with Content-Type application/json and the key header.
type notebookSession struct {
	t    *testing.T
	base string // ends in /personalizer/v1.0/
}

// call sends one request, checks the status and decodes a JSON response
// into out when out is not nil.
func (s *notebookSession) call(method, path, body string, want int, out any) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewBufferString(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ocp-Apim-Subscription-Key", "notebook-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read response: %v", method, path, err)
	}
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: response %s: %v", method, path, data, err)
		}
	}
}

// TestNotebookLearnsCoffee replays the tutorial notebook over plain HTTP
// against the embedded loop: 10,000 events, each a Rank with a new event
// id and a Reward of 1 when rewardActionId is the customer's preferred
// coffee. With the serving model refreshed every 500 events it must learn.
func TestNotebookLearnsCoffee(t *testing.T) {
	const (
		events      = 10000
		updateEvery = 500
		window      = 2000
		policy      = "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj"
	)
	loop, err := local.New(local.Options{
		ModelExportFrequency: int64(time.Minute),
		RewardWait:           int64(10 * time.Minute),
		Seed:                 11,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(loop, server.WithKey("notebook-key")))
	defer ts.Close()
	s := &notebookSession{t: t, base: ts.URL + "/personalizer/v1.0/"}

	// Settings, as the notebook's setup cells and an apply_settings run
	// send them.
	var cfg map[string]any
	s.call("GET", "configurations/service", "", http.StatusOK, &cfg)
	cfg["rewardWaitTime"] = "PT10M"
	cfg["modelExportFrequency"] = "PT1M"
	cfg["modelUpdateEveryEvents"] = updateEvery
	body, _ := json.Marshal(cfg)
	s.call("PUT", "configurations/service", string(body), http.StatusOK, &cfg)
	if cfg["modelUpdateEveryEvents"] != float64(updateEvery) {
		t.Fatalf("stored modelUpdateEveryEvents = %v, want %d", cfg["modelUpdateEveryEvents"], updateEvery)
	}
	var stored map[string]string
	s.call("PUT", "configurations/policy", fmt.Sprintf(`{"name":"notebook","arguments":%q}`, policy), http.StatusOK, &stored)

	var props map[string]string
	s.call("GET", "model/properties", "", http.StatusOK, &props)
	if props["lastModifiedTime"] != "0001-01-01T00:00:00+00:00" {
		t.Errorf("lastModifiedTime before any event = %q, want the zero time", props["lastModifiedTime"])
	}

	rng := rand.New(rand.NewPCG(2019, 8))
	rewards := make([]float64, events)
	for i := range events {
		name := notebookNames[rng.IntN(len(notebookNames))]
		weather := notebookWeathers[rng.IntN(len(notebookWeathers))]
		timeOfDay := notebookTimes[rng.IntN(len(notebookTimes))]
		var id [16]byte
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		eventID := hex.EncodeToString(id[:]) // the notebook's uuid4().hex

		rank := fmt.Sprintf(`{"contextFeatures":[{"timeofday":%q,"weather":%q,"name":%q}],"actions":%s,"excludedActions":[],"eventId":%q,"deferActivation":false}`,
			timeOfDay, weather, name, notebookActions, eventID)
		var ranked struct {
			RewardActionID string `json:"rewardActionId"`
		}
		s.call("POST", "rank", rank, http.StatusCreated, &ranked)

		reward := 0
		if ranked.RewardActionID == notebookPreferences[name][weather][timeOfDay] {
			reward = 1
		}
		rewards[i] = float64(reward)
		s.call("POST", "events/"+eventID+"/reward", fmt.Sprintf(`{"value":%d}`, reward), http.StatusNoContent, nil)
	}

	s.call("GET", "model/properties", "", http.StatusOK, &props)
	if props["lastModifiedTime"] == "0001-01-01T00:00:00+00:00" {
		t.Errorf("lastModifiedTime after %d events is still the zero time, want a refreshed model", events)
	}

	untrained := mean(rewards[:updateEvery])
	first, last := mean(rewards[:window]), mean(rewards[events-window:])
	t.Logf("mean reward: events 1-%d %.3f (untrained model), 1-%d %.3f, %d-%d %.3f",
		updateEvery, untrained, window, first, events-window+1, events, last)
	if untrained > 0.4 {
		t.Errorf("mean reward of the first %d events = %.3f, want about 0.25 from the untrained model's uniform choice", updateEvery, untrained)
	}
	if last <= 0.6 {
		t.Errorf("mean reward of the last %d events = %.3f, want above 0.6", window, last)
	}
	if last < first+0.1 {
		t.Errorf("mean reward went from %.3f to %.3f, want a rise of at least 0.1", first, last)
	}
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// TestModelRefreshesOnWallClock checks the service's own refresh rule
// over HTTP: with modelUpdateEveryEvents 0 the serving model is refreshed
// every modelExportFrequency of wall-clock time, which model/properties
// shows.
func TestModelRefreshesOnWallClock(t *testing.T) {
	loop, err := local.New(local.Options{
		ModelExportFrequency: int64(time.Hour),
		RewardWait:           int64(10 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(loop))
	defer ts.Close()
	s := &notebookSession{t: t, base: ts.URL + "/personalizer/v1.0/"}

	s.call("PUT", "configurations/service", `{"rewardWaitTime":"PT10M","defaultReward":0,"rewardAggregation":"earliest",
		"explorationPercentage":0.2,"modelExportFrequency":"PT0.05S","logRetentionDays":90,"modelUpdateEveryEvents":0}`, http.StatusOK, nil)

	rank := fmt.Sprintf(`{"contextFeatures":[{"name":"Alice"}],"actions":%s}`, notebookActions)
	var props map[string]string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ranked struct {
			EventID string `json:"eventId"`
		}
		s.call("POST", "rank", rank, http.StatusCreated, &ranked)
		s.call("POST", "events/"+ranked.EventID+"/reward", `{"value":1}`, http.StatusNoContent, nil)
		s.call("GET", "model/properties", "", http.StatusOK, &props)
		if props["lastModifiedTime"] != "0001-01-01T00:00:00+00:00" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no model refresh within 20 s at modelExportFrequency PT0.05S; model properties %v", props)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if props["creationTime"] == "0001-01-01T00:00:00+00:00" {
		t.Errorf("creationTime still the zero time after a refresh: %v", props)
	}
}
