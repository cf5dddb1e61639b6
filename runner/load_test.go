package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/reward"
)

// sha256File hashes a file independently of the loader.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// rewardOf evaluates an arm's formulas for one context and action.
func rewardOf(t *testing.T, arm *Arm, context map[string]any, action personalizer.RankableAction) float64 {
	t.Helper()
	var m reward.Machine
	env := reward.Env{Context: context, Action: reward.Action{ID: action.ID, Features: action.Features[0]}}
	if arm.Expected != nil {
		expected, err := arm.Expected.Value(&m, &env)
		if err != nil {
			t.Fatalf("arm %s: expected for %v: %v", arm.Name, context, err)
		}
		env.Expected = expected
	}
	v, _, err := arm.Reward.Reward(&m, &env)
	if err != nil {
		t.Fatalf("arm %s: reward for %v, %s: %v", arm.Name, context, action.ID, err)
	}
	return v
}

func TestLoadCoffee(t *testing.T) {
	path := filepath.Join("..", "experiments", "coffee.yaml")
	exp, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	if exp.Name != "coffee" || exp.Seed != 7 || exp.Events != 4000 || exp.BatchSize != 100 || exp.Repetitions != 10 {
		t.Errorf("grid = %s seed %d, %d events, batch %d, %d repetitions; want coffee seed 7, 4000, 100, 10",
			exp.Name, exp.Seed, exp.Events, exp.BatchSize, exp.Repetitions)
	}

	wantPolicies := map[string]string{
		"tutorial-policy":  "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::",
		"optimized-policy": "--cb_explore_adf --epsilon 0.2 --power_t 0 --cb_type mtr -q :: --interactions FFFj",
	}
	if len(exp.Arms) != 2 {
		t.Fatalf("%d arms, want 2", len(exp.Arms))
	}
	for _, arm := range exp.Arms {
		if got := arm.Personalizer.Policy; got != wantPolicies[arm.Name] {
			t.Errorf("arm %s policy = %q, want %q", arm.Name, got, wantPolicies[arm.Name])
		}
		if arm.Personalizer.ModelUpdateEvery != 2000 || arm.Personalizer.Backend != "local" {
			t.Errorf("arm %s: model_update_every %d, backend %s; want 2000, local", arm.Name, arm.Personalizer.ModelUpdateEvery, arm.Personalizer.Backend)
		}

		var names []string
		for _, v := range arm.Context {
			names = append(names, v.Name)
		}
		if diff := cmp.Diff([]string{"name", "weather", "timeofday"}, names); diff != "" {
			t.Errorf("arm %s context variables (-want +got):\n%s", arm.Name, diff)
		}

		var ids []string
		for _, a := range arm.Actions {
			ids = append(ids, a.ID)
		}
		if diff := cmp.Diff([]string{"Cappucino", "Cold brew", "Iced mocha", "Latte"}, ids); diff != "" {
			t.Errorf("arm %s action ids (-want +got):\n%s", arm.Name, diff)
		}
	}

	wantFeatures := map[string]any{"type": "hot", "origin": "kenya", "organic": "yes", "roast": "dark"}
	if diff := cmp.Diff([]map[string]any{wantFeatures}, exp.Arms[0].Actions[0].Features); diff != "" {
		t.Errorf("Cappucino features (-want +got):\n%s", diff)
	}

	// Every input file with its hash, the experiment file first.
	var inputs []Input
	for _, p := range []string{path, filepath.Join("..", "experiments", "data", "preferences.json"), filepath.Join("..", "experiments", "data", "coffees.csv")} {
		inputs = append(inputs, Input{Path: p, SHA256: sha256File(t, p)})
	}
	if diff := cmp.Diff(inputs, exp.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}

	// Alice prefers a Latte on rainy mornings.
	context := map[string]any{"name": "Alice", "weather": "Rainy", "timeofday": "Morning"}
	for _, a := range exp.Arms[0].Actions {
		want := 0.0
		if a.ID == "Latte" {
			want = 1
		}
		if got := rewardOf(t, exp.Arms[0], context, a); got != want {
			t.Errorf("reward for %s = %v, want %v", a.ID, got, want)
		}
	}
}

func TestLoadCoffeeWeighted(t *testing.T) {
	exp, err := Load(filepath.Join("..", "experiments", "coffee-weighted.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(exp.Arms) != 2 || exp.Arms[0].Name != "exact-match" || exp.Arms[1].Name != "partial-credit" {
		t.Fatalf("arms = %v, want exact-match and partial-credit", exp.Arms)
	}

	tests := []struct {
		context map[string]any
		rewards map[string][2]float64 // action -> exact-match, partial-credit
	}{
		{
			// Latte: hot and dark, like Cappucino.
			context: map[string]any{"name": "Alice", "weather": "Rainy", "timeofday": "Morning"},
			rewards: map[string][2]float64{"Latte": {1, 1}, "Cappucino": {0, 0.5}, "Cold brew": {0, 0}, "Iced mocha": {0, 0}},
		},
		{
			// Cold brew: cold and light, like Iced mocha.
			context: map[string]any{"name": "Alice", "weather": "Sunny", "timeofday": "Morning"},
			rewards: map[string][2]float64{"Cold brew": {1, 1}, "Iced mocha": {0, 0.5}, "Latte": {0, 0}, "Cappucino": {0, 0}},
		},
	}
	for _, tt := range tests {
		for _, a := range exp.Arms[0].Actions {
			for i, arm := range exp.Arms {
				want := tt.rewards[a.ID][i]
				if got := rewardOf(t, arm, tt.context, a); math.Abs(got-want) > 1e-12 {
					t.Errorf("arm %s, context %v, action %s: reward %v, want %v", arm.Name, tt.context, a.ID, got, want)
				}
			}
		}
	}
}

func TestLoadGood(t *testing.T) {
	exp, err := Load(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	var datasets []string
	for _, d := range exp.Datasets {
		datasets = append(datasets, d.Name)
	}
	if diff := cmp.Diff([]string{"preferences", "shoppers", "codes"}, datasets); diff != "" {
		t.Errorf("datasets (-want +got):\n%s", diff)
	}
	if len(exp.Inputs) != 4 {
		t.Errorf("%d inputs, want the experiment file and 3 datasets", len(exp.Inputs))
	}

	arms := map[string]*Arm{}
	for _, arm := range exp.Arms {
		arms[arm.Name] = arm
	}
	baseline, partial, noExpected := arms["baseline"], arms["partial"], arms["no-expected"]
	if baseline == nil || partial == nil || noExpected == nil {
		t.Fatalf("arms = %v, want baseline, partial and no-expected", exp.Arms)
	}

	t.Run("context", func(t *testing.T) {
		ctx := baseline.Context
		if len(ctx) != 5 {
			t.Fatalf("%d context variables, want 5", len(ctx))
		}
		if diff := cmp.Diff([]any{"Sunny", "Rainy", "Snowy"}, ctx[1].Values); diff != "" {
			t.Errorf("weather values (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]float64{0.5, 0.25, 0.25}, ctx[1].Weights); diff != "" {
			t.Errorf("weather weights (-want +got):\n%s", diff)
		}
		if ctx[3].From == nil || ctx[3].From.Name != "shoppers" || len(ctx[3].From.Rows) != 3 {
			t.Errorf("shopper = %+v, want the 3 rows of shoppers", ctx[3])
		}
		if diff := cmp.Diff([]any{"downtown"}, ctx[4].Values); diff != "" {
			t.Errorf("store values (-want +got):\n%s", diff)
		}
		// The arm's weather map replaces the top level's whole.
		if diff := cmp.Diff([]any{"Sunny"}, partial.Context[1].Values); diff != "" {
			t.Errorf("partial weather values (-want +got):\n%s", diff)
		}
	})

	t.Run("actions", func(t *testing.T) {
		want := []personalizer.RankableAction{
			{ID: "Latte", Features: []map[string]any{{"type": "hot", "roast": "dark", "price": 3.5}}},
			{ID: "Cold brew", Features: []map[string]any{{"type": "cold", "roast": "light", "price": 4.0}}},
			{ID: "Iced mocha", Features: []map[string]any{{"type": "cold", "roast": "light"}}},
		}
		if diff := cmp.Diff(want, baseline.Actions); diff != "" {
			t.Errorf("actions (-want +got):\n%s", diff)
		}
	})

	t.Run("personalizer", func(t *testing.T) {
		exploration := 0.1
		want := PersonalizerSpec{
			Backend: "local", Policy: personalizer.DefaultPolicyArguments, Exploration: &exploration,
			ModelUpdateEvery: 100, RewardWait: 50, RewardAggregation: "sum",
		}
		if diff := cmp.Diff(want, baseline.Personalizer); diff != "" {
			t.Errorf("baseline (-want +got):\n%s", diff)
		}

		want.Policy = "--cb_explore_adf --epsilon 0.2 -q ::"
		want.RewardWait = 5
		want.DeferActivation = true
		if diff := cmp.Diff(want, partial.Personalizer); diff != "" {
			t.Errorf("partial (-want +got):\n%s", diff)
		}

		if noExpected.Personalizer.Exploration != nil {
			t.Errorf("no-expected exploration = %v, want removed", *noExpected.Personalizer.Exploration)
		}
	})

	t.Run("rewards", func(t *testing.T) {
		want := RewardDelivery{
			DelayValues: []int{0, 5, 50}, DelayWeights: []float64{0.5, 0.25, 0.25},
			LossProbability: 0.1, ActivationProbability: 1,
		}
		if diff := cmp.Diff(want, baseline.Rewards); diff != "" {
			t.Errorf("baseline (-want +got):\n%s", diff)
		}
		if partial.Rewards.ActivationProbability != 0.5 {
			t.Errorf("partial activation = %v, want 0.5", partial.Rewards.ActivationProbability)
		}
	})

	t.Run("formulas", func(t *testing.T) {
		if baseline.ClampRewards || !partial.ClampRewards || !partial.Reward.Clamps() {
			t.Errorf("clamp_rewards = %v, %v, want false, true", baseline.ClampRewards, partial.ClampRewards)
		}
		if partial.Threshold != 0.6 {
			t.Errorf("threshold = %v, want 0.6 from the top level", partial.Threshold)
		}
		if noExpected.Expected != nil {
			t.Errorf("no-expected has an expected formula %q, want none", noExpected.Expected.Source())
		}
		if !noExpected.Reward.Uses("probability") || baseline.Reward.Uses("probability") {
			t.Errorf("Uses(probability) = %v, %v, want true for no-expected only", noExpected.Reward.Uses("probability"), baseline.Reward.Uses("probability"))
		}
	})

	t.Run("resolved", func(t *testing.T) {
		data, err := json.Marshal(exp.Resolved)
		if err != nil {
			t.Fatalf("Resolved does not encode as JSON: %v", err)
		}
		var back struct {
			Seed uint64 `json:"seed"`
			Arms []struct {
				Name         string         `json:"name"`
				Reward       string         `json:"reward"`
				Personalizer map[string]any `json:"personalizer"`
			} `json:"arms"`
		}
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back.Seed != 42 || len(back.Arms) != 3 {
			t.Fatalf("resolved seed %d, %d arms; want 42, 3", back.Seed, len(back.Arms))
		}
		if back.Arms[2].Reward != "probability > 0.5 ? 1 : 0" {
			t.Errorf("resolved reward of no-expected = %q", back.Arms[2].Reward)
		}
		if back.Arms[1].Personalizer["reward_wait"] != 5.0 {
			t.Errorf("resolved reward_wait of partial = %v, want 5", back.Arms[1].Personalizer["reward_wait"])
		}
	})
}

func TestLoadErrorTypes(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "bad-formula.yaml"))

	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T, want ErrorList", err)
	}
	var first *Error
	if !errors.As(err, &first) || first.Line != 8 || first.Column != 37 {
		t.Errorf("first *Error = %+v, want line 8, column 37", first)
	}
	var formulaErr *reward.Error
	if !errors.As(err, &formulaErr) {
		t.Errorf("errors.As(*reward.Error) found none in %v", err)
	}
}

func TestLoadAll(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	c := filepath.Join(dir, "c.yaml")
	doc := "name: same\nevents: 10\nactions: [{id: x}]\nreward: \"1\"\n"
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(c, []byte("name: c\nevents: 0\nactions: [{id: x}]\nreward: \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	exps, err := LoadAll([]string{a, b, c})
	if exps != nil {
		t.Errorf("LoadAll returned %d experiments with an error", len(exps))
	}
	want := b + ":1:7: experiment name \"same\" is also the name of " + a + "; results of the two would share a folder, so rename one\n" +
		c + ":2:9: events must be greater than 0, got 0"
	if err == nil || err.Error() != want {
		t.Errorf("LoadAll error\n got: %v\nwant: %s", err, want)
	}

	exps, err = LoadAll([]string{a})
	if err != nil || len(exps) != 1 || exps[0].Name != "same" {
		t.Errorf("LoadAll(a) = %v, %v; want one experiment", exps, err)
	}
}

func TestLoadAllSameFileTwice(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(a, []byte("name: a\nevents: 100\nactions: [{id: x}]\nreward: \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	dotted := dir + string(filepath.Separator) + "." + string(filepath.Separator) + "a.yaml"

	for _, second := range []string{a, dotted, link} {
		exps, err := LoadAll([]string{a, second})
		if exps != nil {
			t.Errorf("LoadAll(a, %s) returned %d experiments with an error", second, len(exps))
		}
		want := second + ": the experiment file is given twice, also as " + a + "; give each file once"
		if err == nil || err.Error() != want {
			t.Errorf("LoadAll(a, %s) error\n got: %v\nwant: %s", second, err, want)
		}
	}
}

func TestLoadWarnsFewEvents(t *testing.T) {
	tests := []struct {
		events int
		want   []string
	}{
		{10, []string{`x.yaml:2:9: events 10 is fewer than 100, the window of the summary's moving average, so the moving average never fills and "events to threshold" is always never; run at least 100 events`}},
		{99, []string{`x.yaml:2:9: events 99 is fewer than 100, the window of the summary's moving average, so the moving average never fills and "events to threshold" is always never; run at least 100 events`}},
		{100, nil},
	}
	for _, tt := range tests {
		path := writeExperiment(t, fmt.Sprintf("name: x\nevents: %d\nactions: [{id: a}]\nreward: \"1\"\n", tt.events))
		exp, err := Load(path)
		if err != nil {
			t.Fatalf("Load with %d events: %v", tt.events, err)
		}
		var got []string
		for _, w := range exp.Warnings {
			got = append(got, strings.ReplaceAll(w, filepath.Dir(path)+string(filepath.Separator), ""))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("warnings with %d events (-want +got):\n%s", tt.events, diff)
		}

		exps, err := LoadAll([]string{path})
		if err != nil {
			t.Fatalf("LoadAll with %d events: %v", tt.events, err)
		}
		if len(exps[0].Warnings) != len(tt.want) {
			t.Errorf("LoadAll with %d events: warnings %q, want %d", tt.events, exps[0].Warnings, len(tt.want))
		}
	}
}

// TestLoadRowsIndexedByExpected checks a list of rows that the reward
// formula indexes by the expected value: the types are known only when
// the formula runs, so the first event reports the missing key.
func TestLoadRowsIndexedByExpected(t *testing.T) {
	path := writeExperiment(t, "name: x\nevents: 100\ndatasets:\n  coffees: data/coffees.csv\nactions: coffees\n"+
		"expected: \"'Latte'\"\nreward: \"coffees[expected].type == action.features.type ? 1 : 0\"\n")
	exp, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	arm := exp.Arms[0]
	var m reward.Machine
	env := reward.Env{Action: reward.Action{ID: arm.Actions[0].ID, Features: arm.Actions[0].Features[0]}}
	env.Expected, err = arm.Expected.Value(&m, &env)
	if err != nil {
		t.Fatalf("expected: %v", err)
	}
	_, _, err = arm.Reward.Reward(&m, &env)
	want := filepath.Join(filepath.Dir(path), "x.yaml") + ":7:17: dataset coffees is a list of rows, so it cannot be indexed by the string \"Latte\"; add `key: id` to the dataset to index it by id"
	if err == nil {
		t.Fatalf("Reward succeeded, want %q", want)
	}
	if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
		t.Errorf("Reward error\n got: %s\nwant: %s", first, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such.yaml"))
	want := "testdata/no-such.yaml: cannot read the experiment file: open testdata/no-such.yaml: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("errors.Is(err, os.ErrNotExist) = false for %v", err)
	}
}

// errorLines returns the first line of each error, with dir removed from
// the paths.
func errorLines(err error, dir string) []string {
	if err == nil {
		return nil
	}
	var out []string
	var list ErrorList
	if !errors.As(err, &list) {
		return []string{"not an ErrorList: " + err.Error()}
	}
	for _, e := range list {
		first, _, _ := strings.Cut(e.Error(), "\n")
		out = append(out, strings.ReplaceAll(first, dir+string(filepath.Separator), ""))
	}
	return out
}
