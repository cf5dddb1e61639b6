package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rankloop/rankloop/personalizer"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	bad := 1.5
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"policy", Options{Policy: "--cb_explore_adf --bag 3", ModelUpdateEvery: 1}, `unsupported policy argument "--bag"`},
		{"aggregation", Options{RewardAggregation: "max", ModelUpdateEvery: 1}, `unsupported reward aggregation "max"`},
		{"exploration", Options{Exploration: &bad, ModelUpdateEvery: 1}, "invalid exploration 1.5"},
		{"no refresh", Options{}, "would never refresh"},
		{"negative wait", Options{RewardWait: -1, ModelUpdateEvery: 1}, "invalid RewardWait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestExplorationReplacesEpsilon(t *testing.T) {
	e := 0.1
	l, err := New(Options{Exploration: &e, ModelUpdateEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := l.Policy(context.Background())
	if want := "--cb_explore_adf --epsilon 0.1 --power_t 0 -l 0.001 --cb_type mtr -q ::"; p.Arguments != want {
		t.Errorf("policy %q, want %q", p.Arguments, want)
	}
}

func TestModelRefreshEveryNEvents(t *testing.T) {
	tl := newTestLoop(t, Options{ModelUpdateEvery: 3})
	var versions []int64
	for i := 0; i < 7; i++ {
		d := tl.rankAt(t, int64(i), fmt.Sprint("e", i), false)
		versions = append(versions, d.ModelVersion)
		tl.rewardAt(t, int64(i), fmt.Sprint("e", i), 1)
	}
	if diff := cmp.Diff([]int64{0, 0, 0, 1, 1, 1, 2}, versions); diff != "" {
		t.Errorf("model versions (-want +got):\n%s", diff)
	}
}

func TestModelRefreshOnClock(t *testing.T) {
	tl := newTestLoop(t, Options{ModelExportFrequency: 10})
	var versions []int64
	for _, tick := range []int64{0, 5, 9, 10, 15, 19, 20, 45} {
		versions = append(versions, tl.rankAt(t, tick, fmt.Sprint("e", tick), false).ModelVersion)
	}
	if diff := cmp.Diff([]int64{0, 0, 0, 1, 1, 1, 2, 3}, versions); diff != "" {
		t.Errorf("model versions (-want +got):\n%s", diff)
	}
}

func TestServingModelWaitsForRefresh(t *testing.T) {
	tl := newTestLoop(t, Options{ModelUpdateEvery: 50})
	uniform := []float64{0.5, 0.5}
	for i := 0; i < 50; i++ {
		d := tl.rankAt(t, int64(i), fmt.Sprint("e", i), false)
		if diff := cmp.Diff(uniform, d.Probabilities); diff != "" {
			t.Fatalf("event %d before the first refresh: probabilities differ from uniform (-want +got):\n%s", i, diff)
		}
		reward := 0.0
		if d.Chosen == 0 {
			reward = 1
		}
		tl.rewardAt(t, int64(i), fmt.Sprint("e", i), reward)
	}

	d := tl.rankAt(t, 50, "e50", false)
	if d.ModelVersion != 1 || d.Probabilities[0] <= d.Probabilities[1] {
		t.Errorf("after the refresh: version %d, probabilities %v; want version 1 favouring action a", d.ModelVersion, d.Probabilities)
	}
}

// assertServingMatchesTraining checks that the serving copy holds the
// training weights.
func assertServingMatchesTraining(t *testing.T, l *Loop) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv.own == nil {
		t.Fatal("the serving model shares the training table")
	}
	nonzero := 0
	for i, w := range l.srv.own {
		if w != l.lrn.table[i*slotStride] {
			t.Fatalf("slot %d: serving %v, training %v", i, w, l.lrn.table[i*slotStride])
		}
		if w != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("no weight learned; the check proves nothing")
	}
}

func TestRefreshCopiesWrittenWeights(t *testing.T) {
	for _, policy := range []string{
		"--cb_explore_adf -q ::",      // few slots written: copies the dirty ones
		"--cb_explore_adf -q :: -b 3", // more slots written than the limit: copies all
	} {
		t.Run(policy, func(t *testing.T) {
			tl := newTestLoop(t, Options{Policy: policy, ModelUpdateEvery: 7})
			for i := 0; i < 22; i++ {
				id := fmt.Sprint("e", i)
				tl.rankAt(t, int64(i), id, false)
				tl.rewardAt(t, int64(i), id, float64(i%3)/2)
			}
			tl.rankAt(t, 28, "last", false) // the 23rd Rank call: no refresh
			tl.mu.Lock()
			tl.refresh(28)
			tl.mu.Unlock()
			assertServingMatchesTraining(t, tl.Loop)
		})
	}
}

func TestUpdateEveryEventSharesTrainingTable(t *testing.T) {
	tl := newTestLoop(t, Options{ModelUpdateEvery: 1})
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.srv.own != nil || tl.lrn.dirty != nil {
		t.Error("ModelUpdateEvery 1 keeps a serving copy, want the training table shared")
	}
}

func TestSameEventIDSameDraw(t *testing.T) {
	a := newTestLoop(t, Options{Seed: 9})
	b := newTestLoop(t, Options{Seed: 9})
	for i := 0; i < 50; i++ {
		id := fmt.Sprint("event-", i)
		da, db := a.rankAt(t, int64(i), id, false), b.rankAt(t, int64(i), id, false)
		if da.Chosen != db.Chosen {
			t.Fatalf("event %s: loops with one seed chose %d and %d", id, da.Chosen, db.Chosen)
		}
	}
}

func TestRankValidatesRequests(t *testing.T) {
	l, err := New(Options{ModelUpdateEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	twoActions := []personalizer.RankableAction{{ID: "a"}, {ID: "b"}}
	for _, tc := range []struct {
		name string
		req  *personalizer.RankRequest
		want string
	}{
		{"nil", nil, "no actions"},
		{"no actions", &personalizer.RankRequest{}, "no actions"},
		{"duplicate ids", &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: "a"}, {ID: "a"}}}, "same id"},
		{"all excluded", &personalizer.RankRequest{Actions: twoActions, ExcludedActions: []string{"a", "b"}}, "every action is excluded"},
		{"long event id", &personalizer.RankRequest{Actions: twoActions, EventID: strings.Repeat("e", 257)}, "257 characters"},
		{"string array", &personalizer.RankRequest{Actions: twoActions, ContextFeatures: []map[string]any{{"tags": []any{"x"}}}}, "arrays of strings"},
		{"bad action feature", &personalizer.RankRequest{Actions: []personalizer.RankableAction{{ID: "a", Features: []map[string]any{{"n": []any{[]any{}}}}}}}, `actions[0] (id "a")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Rank(context.Background(), tc.req)
			var ire *InvalidRequestError
			if !errors.As(err, &ire) || ire.Code != CodeInvalidRankRequest {
				t.Fatalf("error %v, want an InvalidRankRequest", err)
			}
			if !strings.Contains(ire.Message, tc.want) {
				t.Errorf("message %q, want it to contain %q", ire.Message, tc.want)
			}
		})
	}
}

func TestRankKeepsExcludedActionsInPlace(t *testing.T) {
	l, err := New(Options{ModelUpdateEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	req := &personalizer.RankRequest{
		Actions: []personalizer.RankableAction{
			{ID: "News", Features: []map[string]any{{"topic": "news"}}},
			{ID: "Sports", Features: []map[string]any{{"topic": "sports"}}},
			{ID: "Entertainment", Features: []map[string]any{{"topic": "fun"}}},
		},
		ExcludedActions: []string{"Sports", "Unknown"},
	}
	for i := 0; i < 20; i++ {
		resp, err := l.Rank(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Ranking[1]; got.ID != "Sports" || got.Probability != 0 {
			t.Fatalf("ranking[1] = %+v, want Sports with probability 0", got)
		}
		if resp.Ranking[0].ID != resp.RewardActionID {
			t.Fatalf("ranking[0] is %s, want the reward action %s first among the rankable", resp.Ranking[0].ID, resp.RewardActionID)
		}
		if p := resp.Ranking[0].Probability + resp.Ranking[2].Probability; p != 1 {
			t.Fatalf("rankable probabilities sum to %v, want 1", p)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(resp.EventID) {
			t.Fatalf("generated event id %q, want 32 lowercase hex digits", resp.EventID)
		}
	}
}

func TestRankAndRankPreparedAgree(t *testing.T) {
	// Two loops, one driven through Rank and one through the fast path,
	// see the same coffee events and rewards and must rank alike.
	sim := loadCoffeeSim(t)
	opts := Options{Policy: coffeePolicies["G"], ModelUpdateEvery: 1, Seed: 3}
	api, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	actions, err := fast.PrepareActions(sim.actions)
	if err != nil {
		t.Fatal(err)
	}

	names := []string{"Alice", "Bob", "Cathy", "Dave"}
	weathers := []string{"Sunny", "Rainy", "Snowy"}
	times := []string{"Morning", "Afternoon", "Evening"}
	var d Decision
	for i := 0; i < 600; i++ {
		c := (i * 7) % 36
		id := fmt.Sprint("agree-", i)
		features := []map[string]any{{"name": names[c/9], "weather": weathers[c/3%3], "timeofday": times[c%3]}}

		resp, err := api.Rank(context.Background(), &personalizer.RankRequest{ContextFeatures: features, Actions: sim.actions, EventID: id})
		if err != nil {
			t.Fatal(err)
		}
		ctx, err := fast.PrepareContext(features)
		if err != nil {
			t.Fatal(err)
		}
		if err := fast.RankPrepared(id, false, ctx, actions, &d); err != nil {
			t.Fatal(err)
		}

		if resp.RewardActionID != actions.ID(d.Chosen) {
			t.Fatalf("event %d: Rank chose %s, RankPrepared %s", i, resp.RewardActionID, actions.ID(d.Chosen))
		}
		for k, ranked := range resp.Ranking {
			j := d.Order[k]
			if ranked.ID != actions.ID(j) || ranked.Probability != d.Probabilities[j] {
				t.Fatalf("event %d position %d: Rank has %+v, RankPrepared %s %v", i, k, ranked, actions.ID(j), d.Probabilities[j])
			}
		}
		if resp.Info.ModelVersion != d.ModelVersion || resp.Info.Explored != d.Explored {
			t.Fatalf("event %d: Rank info %+v, RankPrepared version %d explored %v", i, *resp.Info, d.ModelVersion, d.Explored)
		}

		reward := 0.0
		if resp.RewardActionID == sim.expected[c] {
			reward = 1
		}
		if err := api.Reward(context.Background(), id, reward); err != nil {
			t.Fatal(err)
		}
		if err := fast.RewardPrepared(id, reward); err != nil {
			t.Fatal(err)
		}
	}
	if api.Stats().Trained != 600 || fast.Stats().Trained != 600 {
		t.Errorf("trained %d and %d events, want 600 each", api.Stats().Trained, fast.Stats().Trained)
	}
}

func TestRewardRejectsNonFiniteValues(t *testing.T) {
	l, err := New(Options{ModelUpdateEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ire *InvalidRequestError
	err = l.Reward(context.Background(), "e", math.NaN())
	if !errors.As(err, &ire) || ire.Code != CodeInvalidRewardRequest {
		t.Errorf("error %v, want an InvalidRewardRequest", err)
	}
}

func TestServiceConfigurationRoundTrip(t *testing.T) {
	clock := &ManualClock{}
	clock.Set(int64(time.Hour))
	l, err := New(Options{ModelExportFrequency: int64(time.Minute), RewardWait: int64(10 * time.Minute), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := l.ServiceConfiguration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := &personalizer.ServiceConfiguration{
		RewardWaitTime:            10 * time.Minute,
		RewardAggregation:         AggregationEarliest,
		ExplorationPercentage:     0.2,
		ModelExportFrequency:      time.Minute,
		LogRetentionDays:          90,
		LearningMode:              "Online",
		LastConfigurationEditDate: time.Unix(3600, 0).UTC(),
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("initial configuration (-want +got):\n%s", diff)
	}

	clock.Set(int64(2 * time.Hour))
	cfg.ExplorationPercentage = 0.3
	cfg.RewardAggregation = "Average"
	cfg.DefaultReward = -0.5
	got, err := l.UpdateServiceConfiguration(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExplorationPercentage != 0.3 || got.RewardAggregation != AggregationAverage || got.DefaultReward != -0.5 ||
		!got.LastConfigurationEditDate.Equal(time.Unix(7200, 0)) {
		t.Errorf("updated configuration %+v", got)
	}
	p, _ := l.Policy(ctx)
	if !strings.Contains(p.Arguments, "--epsilon 0.3") {
		t.Errorf("policy %q, want --epsilon 0.3 after the exploration changed", p.Arguments)
	}

	cfg.LearningMode = "Apprentice"
	_, err = l.UpdateServiceConfiguration(ctx, cfg)
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.Code != CodeInvalidServiceConfiguration {
		t.Errorf("Apprentice mode: error %v, want an InvalidServiceConfiguration", err)
	}
}

func TestUpdatePolicyCouplesEpsilonAndResetsModel(t *testing.T) {
	tl := newTestLoop(t, Options{})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		tl.rankAt(t, int64(i), fmt.Sprint("e", i), false)
		tl.rewardAt(t, int64(i), fmt.Sprint("e", i), 1)
	}

	// Only the exploration changes: the model stays.
	p, err := tl.UpdatePolicy(ctx, &personalizer.PolicyContract{Name: "ignored", Arguments: WithEpsilon(tl.policyArgs, 0.4)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != tl.name {
		t.Errorf("policy name %q, want the loop id %q", p.Name, tl.name)
	}
	cfg, _ := tl.ServiceConfiguration(ctx)
	if cfg.ExplorationPercentage != 0.4 {
		t.Errorf("exploration %v after --epsilon 0.4, want 0.4", cfg.ExplorationPercentage)
	}
	if tl.learnedCost() != -1 {
		t.Error("the model was reset by an exploration change")
	}

	// No --epsilon: the exploration percentage is written in, and the
	// new learning rate starts a new model.
	p, err = tl.UpdatePolicy(ctx, &personalizer.PolicyContract{Arguments: "--cb_explore_adf -q :: -l 0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Arguments != "--cb_explore_adf -q :: -l 0.1 --epsilon 0.4" {
		t.Errorf("policy %q, want the exploration percentage appended", p.Arguments)
	}
	if tl.learnedCost() != 0 {
		t.Error("the model survived a change of learning rate")
	}

	_, err = tl.UpdatePolicy(ctx, &personalizer.PolicyContract{Arguments: "--cb_explore_adf --cover 3"})
	var ire *InvalidRequestError
	if !errors.As(err, &ire) || ire.Code != CodeInvalidPolicyConfiguration {
		t.Errorf("unsupported flag: error %v, want an InvalidPolicyConfiguration", err)
	}

	p, err = tl.ResetPolicy(ctx)
	if err != nil || p.Arguments != personalizer.DefaultPolicyArguments {
		t.Errorf("ResetPolicy = %+v, %v; want the default policy", p, err)
	}
	cfg, _ = tl.ServiceConfiguration(ctx)
	if cfg.ExplorationPercentage != 0.2 {
		t.Errorf("exploration %v after ResetPolicy, want 0.2", cfg.ExplorationPercentage)
	}
}

func TestModelPropertiesAndReset(t *testing.T) {
	tl := newTestLoop(t, Options{ModelUpdateEvery: 2})
	ctx := context.Background()
	props, err := tl.ModelProperties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !props.CreationTime.IsZero() || !props.LastModifiedTime.IsZero() {
		t.Errorf("untrained model properties %+v, want zero times", props)
	}
	if got := props.CreationTime.Format(time.RFC3339); got != "0001-01-01T00:00:00Z" {
		t.Errorf("zero time formats as %s", got)
	}

	for i := int64(0); i < 5; i++ {
		tl.rankAt(t, i*100, fmt.Sprint("e", i), false)
		tl.rewardAt(t, i*100, fmt.Sprint("e", i), 1)
	}
	props, _ = tl.ModelProperties(ctx)
	if !props.CreationTime.Equal(time.Unix(0, 200)) || !props.LastModifiedTime.Equal(time.Unix(0, 400)) {
		t.Errorf("properties %+v, want created at tick 200 and modified at tick 400", props)
	}

	if err := tl.ResetModel(ctx); err != nil {
		t.Fatal(err)
	}
	props, _ = tl.ModelProperties(ctx)
	if !props.LastModifiedTime.IsZero() || tl.learnedCost() != 0 {
		t.Errorf("after ResetModel: properties %+v, learned cost %v; want an untrained model", props, tl.learnedCost())
	}
	if d := tl.rankAt(t, 500, "after", false); d.ModelVersion != 0 {
		t.Errorf("model version %d after reset, want 0", d.ModelVersion)
	}
}

func TestLoopUnusedInteractions(t *testing.T) {
	tl := newTestLoop(t, Options{Policy: "--cb_explore_adf -q :: -q Uj --interactions FFj --cubic xFj"})
	got := tl.UnusedInteractions(tl.ctx, tl.actions)
	if diff := cmp.Diff([]string{"Uj", "xFj"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoopConcurrentUse(t *testing.T) {
	l, err := New(Options{ModelUpdateEvery: 10, RewardWait: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	actions := []personalizer.RankableAction{
		{ID: "a", Features: []map[string]any{{"kind": "x"}}},
		{ID: "b", Features: []map[string]any{{"kind": "y"}}},
	}
	ctx := context.Background()

	const workers, events = 4, 200
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < events; i++ {
				resp, err := l.Rank(ctx, &personalizer.RankRequest{
					ContextFeatures: []map[string]any{{"worker": float64(w + 1)}},
					Actions:         actions,
				})
				if err != nil {
					errs <- err
					return
				}
				if err := l.Reward(ctx, resp.EventID, 1); err != nil {
					errs <- err
					return
				}
				if _, err := l.ModelProperties(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	s := l.Stats()
	if s.Events != workers*events || s.Trained != workers*events {
		t.Errorf("stats %+v, want %d events ranked and trained", s, workers*events)
	}
}

// A score kept from ranking must equal the prediction learning would make.
func TestKeptScoreMatchesPrediction(t *testing.T) {
	sim := loadCoffeeSim(t)
	clock := &ManualClock{}
	l, err := New(Options{Policy: coffeePolicies["G"], ModelUpdateEvery: 1, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := l.PrepareActions(sim.actions)
	if err != nil {
		t.Fatal(err)
	}

	var d Decision
	reused := 0
	for i := 0; i < 300; i++ {
		clock.Set(int64(i))
		c := (i * 5) % 36
		id := fmt.Sprint("kept-", i)
		if err := l.RankPrepared(id, false, sim.contexts[c], actions, &d); err != nil {
			t.Fatal(err)
		}

		l.mu.Lock()
		ev := l.last
		if ev.scoredAt == l.lrn.version {
			v := l.lrn.view()
			if got := v.predict(l.actionTerms(ev, ev.chosen), 0, l.lrn.mask); got != ev.score {
				t.Fatalf("event %d: kept score %v, prediction %v", i, ev.score, got)
			}
			reused++
		}
		l.mu.Unlock()

		reward := 0.0
		if actions.ID(d.Chosen) == sim.expected[c] {
			reward = 1
		}
		if err := l.RewardPrepared(id, reward); err != nil {
			t.Fatal(err)
		}
	}
	if reused < 250 {
		t.Errorf("kept scores valid for %d of 300 events, want most", reused)
	}
}
