package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkServeRankReward measures rank+reward pairs over loopback HTTP
// against the handler serving the embedded loop. GOMAXPROCS × 4 goroutines
// each send a Rank of the coffee problem and the Reward of its event:
//
//   - client: through personalizer.Client, as `rankloop run --endpoint`
//     does, JSON encoding and decoding included;
//   - raw_http: through net/http with request bodies prepared in advance
//     and only rewardActionId decoded, as the tutorial notebook does, so
//     more of the CPU goes to the server.
//
// It reports pairs per second, the median and 99th-percentile latency of
// a pair, and the errors, which fail the benchmark. Client and server
// share the machine's cores, so cpu-µs/pair (both sides, from getrusage)
// measures what a pair costs even when other processes compete for them.
func BenchmarkServeRankReward(b *testing.B) {
	b.Run("client", func(b *testing.B) {
		endpoint := startBenchServer(b)
		client, err := personalizer.NewClient(endpoint, "", personalizer.WithRetries(1, 0, 0))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		runPairs(b, func(rng *rand.Rand) error {
			name := notebookNames[rng.IntN(len(notebookNames))]
			weather := notebookWeathers[rng.IntN(len(notebookWeathers))]
			timeOfDay := notebookTimes[rng.IntN(len(notebookTimes))]
			resp, err := client.Rank(ctx, &personalizer.RankRequest{
				ContextFeatures: []map[string]any{{"name": name, "weather": weather, "timeofday": timeOfDay}},
				Actions:         benchActions,
			})
			if err != nil {
				return err
			}
			return client.Reward(ctx, resp.EventID, notebookReward(name, weather, timeOfDay, resp.RewardActionID))
		})
	})

	b.Run("raw_http", func(b *testing.B) {
		endpoint := startBenchServer(b)
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 100
		httpClient := &http.Client{Transport: transport}
		base := endpoint + "/personalizer/v1.0/"

		runPairs(b, func(rng *rand.Rand) error {
			name := notebookNames[rng.IntN(len(notebookNames))]
			weather := notebookWeathers[rng.IntN(len(notebookWeathers))]
			timeOfDay := notebookTimes[rng.IntN(len(notebookTimes))]
			var id [16]byte
			for j := range id {
				id[j] = byte(rng.Uint32())
			}
			eventID := hex.EncodeToString(id[:])

			rank := fmt.Sprintf(`{"contextFeatures":[{"timeofday":%q,"weather":%q,"name":%q}],"actions":%s,"eventId":%q}`,
				timeOfDay, weather, name, notebookActions, eventID)
			body, err := post(httpClient, base+"rank", rank, http.StatusCreated)
			if err != nil {
				return err
			}
			var ranked struct {
				RewardActionID string `json:"rewardActionId"`
			}
			if err := json.Unmarshal(body, &ranked); err != nil {
				return err
			}
			reward := `{"value":0}`
			if notebookReward(name, weather, timeOfDay, ranked.RewardActionID) == 1 {
				reward = `{"value":1}`
			}
			_, err = post(httpClient, base+"events/"+eventID+"/reward", reward, http.StatusNoContent)
			return err
		})
	})
}

// benchActions are the notebook's coffees as the client sends them.
var benchActions = []personalizer.RankableAction{
	{ID: "Cappucino", Features: []map[string]any{{"type": "hot", "origin": "kenya", "organic": "yes", "roast": "dark"}}},
	{ID: "Cold brew", Features: []map[string]any{{"type": "cold", "origin": "brazil", "organic": "yes", "roast": "light"}}},
	{ID: "Iced mocha", Features: []map[string]any{{"type": "cold", "origin": "ethiopia", "organic": "no", "roast": "light"}}},
	{ID: "Latte", Features: []map[string]any{{"type": "hot", "origin": "brazil", "organic": "no", "roast": "dark"}}},
}

// notebookReward returns 1 when coffee is the customer's preference.
func notebookReward(name, weather, timeOfDay, coffee string) float64 {
	if notebookPreferences[name][weather][timeOfDay] == coffee {
		return 1
	}
	return 0
}

// startBenchServer serves a new embedded loop on loopback, refreshing its
// serving model every 1,000 events.
func startBenchServer(b *testing.B) string {
	b.Helper()
	loop, err := local.New(local.Options{
		Policy:               "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj",
		ModelUpdateEvery:     1000,
		ModelExportFrequency: int64(time.Minute),
		RewardWait:           int64(10 * time.Minute),
	})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(server.New(loop))
	b.Cleanup(ts.Close)
	return ts.URL
}

// post sends body and returns the response body, or an error when the
// status is not want.
func post(c *http.Client, url, body string, want int) ([]byte, error) {
	resp, err := c.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s = %d %s, want %d", url, resp.StatusCode, data, want)
	}
	return data, nil
}

// runPairs runs pair b.N times from parallel goroutines, each with its own
// random source, and reports the metrics described on
// BenchmarkServeRankReward.
func runPairs(b *testing.B, pair func(rng *rand.Rand) error) {
	var (
		errorCount atomic.Int64
		firstError atomic.Value
		seeds      atomic.Uint64
		mu         sync.Mutex
		latencies  []time.Duration
	)

	b.SetParallelism(4)
	b.ResetTimer()
	cpuBefore := cpuTime()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seeds.Add(1), 42))
		own := make([]time.Duration, 0, 1024)
		for pb.Next() {
			began := time.Now()
			if err := pair(rng); err != nil {
				errorCount.Add(1)
				firstError.CompareAndSwap(nil, err.Error())
				continue
			}
			own = append(own, time.Since(began))
		}
		mu.Lock()
		latencies = append(latencies, own...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuBefore
	b.StopTimer()

	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pairs/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/pair")
	b.ReportMetric(float64(errorCount.Load()), "errors")
	b.ReportMetric(0, "ns/op") // pairs/s replaces it
	if n := errorCount.Load(); n > 0 {
		b.Fatalf("%d of %d pairs failed; the first: %v", n, b.N, firstError.Load())
	}
}

// BenchmarkHandler measures the handler alone, without a network or an
// HTTP server, so that `go test -cpuprofile` shows its own costs. It
// ranks the coffee problem through the embedded loop's prepared path and
// through Rank, and rewards ranked events. Building each request and its
// httptest.ResponseRecorder is part of every operation.
func BenchmarkHandler(b *testing.B) {
	ranks := make([][]byte, 0, 36)
	for _, name := range notebookNames {
		for _, weather := range notebookWeathers {
			for _, timeOfDay := range notebookTimes {
				ranks = append(ranks, fmt.Appendf(nil, `{"contextFeatures":[{"name":%q,"weather":%q,"timeofday":%q}],"actions":%s,"eventId":"`,
					name, weather, timeOfDay, notebookActions))
			}
		}
	}
	newHandler := func(b *testing.B, general bool) http.Handler {
		loop, err := local.New(local.Options{
			ModelUpdateEvery:     1000,
			ModelExportFrequency: int64(time.Minute),
			RewardWait:           int64(10 * time.Minute),
		})
		if err != nil {
			b.Fatal(err)
		}
		if general {
			return server.New(generalOnly{loop})
		}
		return server.New(loop)
	}
	rank := func(b *testing.B, h http.Handler, i int) string {
		eventID := strconv.Itoa(i)
		body := slices.Concat(ranks[i%len(ranks)], []byte(eventID), []byte(`"}`))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/personalizer/v1.0/rank", bytes.NewReader(body)))
		if rec.Code != http.StatusCreated {
			b.Fatalf("rank = %d %s, want 201", rec.Code, rec.Body)
		}
		return eventID
	}

	for _, general := range []bool{false, true} {
		name := "rank_prepared"
		if general {
			name = "rank_general"
		}
		b.Run(name, func(b *testing.B) {
			h := newHandler(b, general)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rank(b, h, i)
				i++
			}
		})
	}

	b.Run("reward", func(b *testing.B) {
		h := newHandler(b, false)
		ids := make([]string, 10000)
		for i := range ids {
			ids[i] = rank(b, h, i)
		}
		body := []byte(`{"value":1}`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/personalizer/v1.0/events/"+ids[i%len(ids)]+"/reward", bytes.NewReader(body)))
			if rec.Code != http.StatusNoContent {
				b.Fatalf("reward = %d %s, want 204", rec.Code, rec.Body)
			}
			i++
		}
	})
}
