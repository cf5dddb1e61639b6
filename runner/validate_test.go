package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadBadFiles checks every message of the files in testdata that break
// rules, with their exact positions.
func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{
			file: "misspelt-key.yaml",
			want: []string{
				`testdata/misspelt-key.yaml:1:1: missing key events: the number of events (Rank calls) per run`,
				`testdata/misspelt-key.yaml:2:1: unknown key "evnts" in the experiment; did you mean "events"?`,
				`testdata/misspelt-key.yaml:9:3: unknown key "polcy" in personalizer; did you mean "policy"?`,
				`testdata/misspelt-key.yaml:10:3: unknown key "exploraton" in personalizer; did you mean "exploration"?`,
				`testdata/misspelt-key.yaml:11:12: personalizer.backend must be one of local, http, got "lokal"; did you mean "local"?`,
				`testdata/misspelt-key.yaml:14:5: unknown key "rewrd" in arm 1; did you mean "reward"?`,
			},
		},
		{
			file: "duplicate-key.yaml",
			want: []string{
				`testdata/duplicate-key.yaml:3:1: duplicate key "events": first defined at line 2; remove one of them`,
				`testdata/duplicate-key.yaml:6:3: duplicate key "name": first defined at line 5; remove one of them`,
				`testdata/duplicate-key.yaml:7:25: action id "a" is already used by action 1; action ids must be unique`,
				`testdata/duplicate-key.yaml:11:11: arm name "one" is already used by arm 1; arm names must be unique`,
			},
		},
		{
			file: "bad-formula.yaml",
			want: []string{
				`testdata/bad-formula.yaml:8:37: action is not defined in the expected formula: it describes the context before any action is chosen`,
				` | preferences[context.name][action.id]`,
				` | ..........................^`,
				`testdata/bad-formula.yaml:11:7: invalid operation: * (mismatched types float64 and bool)`,
				` | 0.7 * cold + 0.3`,
				` | ....^`,
				`testdata/bad-formula.yaml:14:17: invalid operation: * (mismatched types float64 and bool)`,
				` | 0.7 * (action.id == expected)`,
				` | ....^`,
				`testdata/bad-formula.yaml:16:42: unknown name nope`,
				` | action.id == expected ? 1 : nope`,
				` | ............................^`,
				`testdata/bad-formula.yaml:18:14: the reward formula returns a bool; it must return a number: write cond ? 1 : 0, or num(cond)`,
				` | action.id == "Latte"`,
				` | ^`,
			},
		},
		{
			file: "missing-dataset.yaml",
			want: []string{
				`testdata/missing-dataset.yaml:4:16: dataset preferences: file not found: testdata/data/no-such-file.json (paths are relative to the experiment file's folder)`,
				`testdata/missing-dataset.yaml:6:11: dataset coffees: unknown format of testdata/data/coffees.tsv: use .json, .jsonl, .ndjson or .csv`,
				`testdata/missing-dataset.yaml:9:19: context variable shopper: no dataset named "shopers"; datasets: customers`,
				`testdata/missing-dataset.yaml:10:10: actions: no dataset named "coffee"; datasets: customers`,
			},
		},
		{
			file: "bad-datasets.yaml",
			want: []string{
				`testdata/bad-datasets.yaml:4:3: dataset name "event" is reserved in formulas; choose another name`,
				`testdata/bad-datasets.yaml:5:3: dataset name "2fast" is not an identifier: use letters, digits and underscores, not starting with a digit`,
				`testdata/bad-datasets.yaml:13:11: dataset table: key "id" needs a list of rows, but testdata/data/object.json is a JSON object: remove the key to use the value as it is`,
				`testdata/bad-datasets.yaml:16:11: dataset nofile has no file: give the path of a .json, .jsonl or .csv file`,
				`testdata/bad-datasets.yaml:17:35: unknown key "kye" in dataset extra; did you mean "key"?`,
				`testdata/bad-datasets.yaml:19:16: context variable item: dataset plain is not a list of rows: use a CSV or JSONL file, or a JSON array of objects`,
				`testdata/bad-datasets.yaml:20:10: actions: row 1 of dataset noid: id column is missing; actions need an id column`,
				`testdata/data/bad-line.jsonl:2:12: invalid JSON: invalid character '}' looking for beginning of object key string`,
				`testdata/data/dup-keys.csv:4: rows 1 and 3 have the same key "a1" in column "code"; keys must be unique`,
				`testdata/data/ragged.csv:3: the row has 3 fields but the header row has 2`,
			},
		},
		{
			file: "bad-values.yaml",
			want: []string{
				`testdata/bad-values.yaml:1:7: name "bad values!" must start with a letter or digit and contain only letters, digits, '.', '_' and '-', because it names the results folder`,
				`testdata/bad-values.yaml:2:7: seed must be 0 or greater, got -3`,
				`testdata/bad-values.yaml:3:9: events must be an integer, got "10.5"`,
				`testdata/bad-values.yaml:4:13: batch_size must be greater than 0, got 0`,
				`testdata/bad-values.yaml:5:14: repetitions must be 1 or more, got 0`,
				`testdata/bad-values.yaml:7:9: action 1 has an empty id`,
				`testdata/bad-values.yaml:8:23: action 2 features must be a map of feature names to values, got "3"`,
				`testdata/bad-values.yaml:8:26: unknown key "colour" in action 2; known keys: id, features`,
				`testdata/bad-values.yaml:9:5: action 3 has no id`,
				`testdata/bad-values.yaml:11:16: clamp_rewards must be true or false, got "maybe"`,
				`testdata/bad-values.yaml:12:12: threshold must be in [-1, 1], the range of a reward, got 2`,
				`testdata/bad-values.yaml:14:12: personalizer.backend must be one of local, http, got "https"; did you mean "http"?`,
				`testdata/bad-values.yaml:15:11: personalizer.policy: policy argument --epsilon: invalid value "2": want a number from 0 to 1`,
				`testdata/bad-values.yaml:16:16: personalizer.exploration must be in [0, 1], the share of events explored, got 1.5`,
				`testdata/bad-values.yaml:17:23: personalizer.model_update_every must be 1 or more events, got 0`,
				`testdata/bad-values.yaml:18:16: personalizer.reward_wait must be 0 or more events, got -1`,
				`testdata/bad-values.yaml:19:19: personalizer.default_reward must be in [-1, 1], got 1.5`,
				`testdata/bad-values.yaml:20:23: personalizer.reward_aggregation must be one of earliest, sum, average, got "latest"`,
				`testdata/bad-values.yaml:21:21: personalizer.defer_activation must be true or false, got "yes"`,
				`testdata/bad-values.yaml:22:19: personalizer.apply_settings applies only to backend http: the local backend always runs with the arm's settings`,
				`testdata/bad-values.yaml:24:23: a delay must be 0 or more events, got -5`,
				`testdata/bad-values.yaml:24:37: rewards.delay has 2 values but 3 weights: give one weight per value`,
				`testdata/bad-values.yaml:24:41: a delay weight must be greater than 0, got 0`,
				`testdata/bad-values.yaml:25:9: rewards.loss must be a probability in [0, 1], got 2`,
				`testdata/bad-values.yaml:26:15: rewards.activation applies only to deferred events: set personalizer.defer_activation: true, or remove it`,
			},
		},
		{
			file: "bad-context.yaml",
			want: []string{
				`testdata/bad-context.yaml:7:10: context variable empty must be a list of at least one value, got an empty list`,
				`testdata/bad-context.yaml:8:23: context variable twice lists Alice twice: list each value once, or weight the values with a map such as {Sunny: 0.5, Rainy: 0.3}`,
				`testdata/bad-context.yaml:9:17: the weight of zero Sunny must be greater than 0, got 0`,
				`testdata/bad-context.yaml:10:17: the weight of word Sunny must be a finite number, got "high"`,
				`testdata/bad-context.yaml:11:12: a value of context variable nothing is null: give it a value or remove it`,
				`testdata/bad-context.yaml:12:12: a value of context variable nested must be a string, number or bool, got a list`,
				`testdata/bad-context.yaml:13:16: context variable rows: no dataset named "cofees"; did you mean "coffees"?`,
				`testdata/bad-context.yaml:14:18: context variable object: dataset prefs is not a list of rows: use a CSV or JSONL file, or a JSON array of objects`,
			},
		},
		{
			file: "bad-arms.yaml",
			want: []string{
				`testdata/bad-arms.yaml:6:5: events cannot be set in an arm: every arm runs the same events, batch_size, repetitions and seed so that arms compare event by event; set it at the top level`,
				`testdata/bad-arms.yaml:7:5: seed cannot be set in an arm: every arm runs the same events, batch_size, repetitions and seed so that arms compare event by event; set it at the top level`,
				`testdata/bad-arms.yaml:9:5: arm 2 has no name: give every arm a name, which labels its results`,
				`testdata/bad-arms.yaml:12:5: arms cannot be nested in an arm`,
				`testdata/bad-arms.yaml:13:5: actions cannot be removed in an arm: every arm needs one`,
				`testdata/bad-arms.yaml:15:5: arm "missing-reward" has no reward and the top level sets none: add reward to the arm or to the top level`,
				`testdata/bad-arms.yaml:16:5: arm 5 must be a map of keys to values, got "just a string"`,
			},
		},
		{
			file: "syntax.yaml",
			want: []string{
				`testdata/syntax.yaml:3: mapping values are not allowed in this context: a value that contains ": " or ends with ":", such as the formula cond ? 1 : 0 or the policy -q ::, must be quoted or written as a literal block after "|"`,
			},
		},
		{
			file: "policy-colon.yaml",
			want: []string{
				`testdata/policy-colon.yaml:4: mapping values are not allowed in this context: a value that contains ": " or ends with ":", such as the formula cond ? 1 : 0 or the policy -q ::, must be quoted or written as a literal block after "|"`,
			},
		},
		{
			file: "two-documents.yaml",
			want: []string{
				`testdata/two-documents.yaml:5:1: a second YAML document starts here: an experiment file holds one document, so split it into two files`,
			},
		},
		{
			file: "tab.yaml",
			want: []string{
				`testdata/tab.yaml:4: found character that cannot start any token: YAML indentation must use spaces, not tabs`,
			},
		},
		{
			file: "empty.yaml",
			want: []string{
				`testdata/empty.yaml: the file is empty: an experiment needs at least name, events, actions and reward`,
			},
		},
		{
			file: "list-root.yaml",
			want: []string{
				`testdata/list-root.yaml:1:1: an experiment file must be a map of keys to values, got a list`,
			},
		},
		{
			file: "merge-key.yaml",
			want: []string{
				`testdata/merge-key.yaml:10:7: merge keys (<<) are not supported: put shared settings at the top level and let arms override them`,
			},
		},
		{
			file: "positions.yaml",
			want: []string{
				`testdata/positions.yaml:7:17: unknown name nope`,
				` | 1 + nope`,
				` | ....^`,
				`testdata/positions.yaml:9:18: unknown name nope`,
				` | 1 + nope`,
				` | ....^`,
				`testdata/positions.yaml:11:13: unknown name nope (formula line 1, column 20)`,
				` | action.id == 'a' ? nope : 0`,
				` | ...................^`,
				`testdata/positions.yaml:15:9: unknown name nope`,
				` |   nope`,
				` | ..^`,
				`testdata/positions.yaml:17:13: unknown name nope (formula line 1, column 5)`,
				` | 1 + nope`,
				` | ....^`,
				`testdata/positions.yaml:21:33: unknown name nope`,
				` | 'é' == action.id ? nope : 0`,
				` | ...................^`,
				`testdata/positions.yaml:25:11: unknown name nope`,
				` | 1 + nope`,
				` | ....^`,
				`testdata/positions.yaml:26:30: unknown name nope`,
				` | 1 + nope`,
				` | ....^`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// writeExperiment writes doc as x.yaml into a new folder that holds a copy
// of testdata/data, and returns the file's path.
func writeExperiment(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "data"), os.DirFS(filepath.Join("testdata", "data"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// minimal is a valid experiment that the cases below extend.
const minimal = "name: x\nevents: 10\nactions: [{id: a}, {id: b}]\nreward: \"1\"\n"

// TestLoadRules checks one rule per case; each line of want is the first
// line of one error, with the folder removed. An empty want expects the
// file to load.
func TestLoadRules(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		// The grid.
		{"name missing", "events: 10\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:1:1: missing key name: the experiment's name, which also names its results folder"}},
		{"name is a list", "name: [a]\nevents: 10\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:1:7: name must be a single value, got a list"}},
		{"events missing", "name: x\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:1:1: missing key events: the number of events (Rank calls) per run"}},
		{"events zero", "name: x\nevents: 0\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:2:9: events must be greater than 0, got 0"}},
		{"events negative", "name: x\nevents: -5\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:2:9: events must be greater than 0, got -5"}},
		{"events text", "name: x\nevents: ten\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{`x.yaml:2:9: events must be an integer, got "ten"`}},
		{"events null", "name: x\nevents:\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:2:8: events must be a single value, got null"}},
		{"events in exponent form", "name: x\nevents: 1e3\nactions: [{id: a}]\nreward: \"1\"\n", nil},
		{"events beyond int64", "name: x\nevents: 99999999999999999999\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{`x.yaml:2:9: events is too large: the maximum is 9223372036854775807, got "99999999999999999999"`}},
		{"events beyond int64 in exponent form", "name: x\nevents: 1e30\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{`x.yaml:2:9: events is too large: the maximum is 9223372036854775807, got "1e30"`}},
		{"events beyond exact floats", "name: x\nevents: 1e17\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{`x.yaml:2:9: events "1e17" is larger than 2^53 (9007199254740992), beyond which a number in exponent or decimal form may not be exact; write the integer in digits`}},
		{"seed below int64", minimal + "seed: -99999999999999999999\n",
			[]string{`x.yaml:5:7: seed is too small: the minimum is -9223372036854775808, got "-99999999999999999999"`}},
		{"batch larger than events", minimal + "batch_size: 20\n",
			[]string{"x.yaml:5:13: batch_size 20 is larger than events 10: a batch cannot hold more events than a run has"}},
		{"batch negative", minimal + "batch_size: -1\n",
			[]string{"x.yaml:5:13: batch_size must be greater than 0, got -1"}},
		{"repetitions negative", minimal + "repetitions: -1\n",
			[]string{"x.yaml:5:14: repetitions must be 1 or more, got -1"}},
		{"seed text", minimal + "seed: abc\n",
			[]string{`x.yaml:5:7: seed must be an integer, got "abc"`}},
		{"unknown key far from any", minimal + "colour: red\n",
			[]string{`x.yaml:5:1: unknown key "colour" in the experiment; known keys: name, description, seed, events, batch_size, repetitions, datasets, context, actions, expected, reward, clamp_rewards, threshold, personalizer, rewards, arms`}},
		{"threshold text", minimal + "threshold: high\n",
			[]string{`x.yaml:5:12: threshold must be a finite number, got "high"`}},

		// Formulas.
		{"reward empty", "name: x\nevents: 10\nactions: [{id: a}]\nreward: \"\"\n",
			[]string{"x.yaml:4:9: reward is empty: write a formula"}},
		{"reward is a list", "name: x\nevents: 10\nactions: [{id: a}]\nreward: [a]\n",
			[]string{"x.yaml:4:9: reward must be a single value, got a list"}},
		{"reward missing", "name: x\nevents: 10\nactions: [{id: a}]\n",
			[]string{"x.yaml:1:1: missing key reward: the formula that scores each event"}},
		{"expected not defined", "name: x\nevents: 10\nactions: [{id: a}]\nreward: \"action.id == expected ? 1 : 0\"\n",
			[]string{"x.yaml:4:23: expected is not defined: define an expected formula in the experiment to use it"}},
		{"expected reads a dataset", "name: x\nevents: 10\ndatasets:\n  prefs: data/preferences.json\ncontext:\n  name: [Alice]\nactions: [{id: a}]\nexpected: prefs[context.name].Sunny.Morning\nreward: \"action.id == expected ? 1 : 0\"\n", nil},
		{"clamp with a constant out of range", minimal + "clamp_rewards: true\n", nil},

		// The personalizer and rewards sections.
		{"personalizer not a map", minimal + "personalizer: local\n",
			[]string{`x.yaml:5:15: personalizer must be a map of keys to values, got "local"`}},
		{"exploration text", minimal + "personalizer:\n  exploration: high\n",
			[]string{`x.yaml:6:16: personalizer.exploration must be a finite number, got "high"`}},
		{"exploration NaN", minimal + "personalizer:\n  exploration: .nan\n",
			[]string{`x.yaml:6:16: personalizer.exploration must be a finite number, got ".nan"`}},
		{"policy empty", minimal + "personalizer:\n  policy: \"\"\n",
			[]string{`x.yaml:6:11: personalizer.policy is empty: give Vowpal Wabbit arguments such as "--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.001 --cb_type mtr -q ::", or remove the key for that default`}},
		{"policy unknown argument", minimal + "personalizer:\n  policy: --cb_explore_adf --bogus\n",
			[]string{`x.yaml:6:11: personalizer.policy: unsupported policy argument "--bogus"; supported: --cb_explore_adf, --epsilon, --softmax, --lambda, --first, -l/--learning_rate, --power_t, -q/--quadratic, --cubic, --interactions, --ignore, --noconstant, -b/--bit_precision, --cb_type mtr|ips|dr, --l1, --l2; input and output flags such as --dsjson, --json and --quiet are accepted and ignored`}},
		{"apply settings over http", minimal + "personalizer:\n  backend: http\n  apply_settings: true\n", nil},
		{"delay negative", minimal + "rewards:\n  delay: -1\n",
			[]string{"x.yaml:6:10: rewards.delay must be 0 or more events, got -1"}},
		{"delay without values", minimal + "rewards:\n  delay: {weights: [1]}\n",
			[]string{"x.yaml:6:10: rewards.delay needs values: a list of delays in events, such as [0, 5, 50]"}},
		{"rewards key misspelt", minimal + "rewards:\n  delays: 3\n",
			[]string{`x.yaml:6:3: unknown key "delays" in rewards; did you mean "delay"?`}},
		{"activation out of range", minimal + "personalizer:\n  defer_activation: true\nrewards:\n  activation: 1.5\n",
			[]string{"x.yaml:8:15: rewards.activation must be a probability in [0, 1], got 1.5"}},

		// Arms.
		{"arms not a list", minimal + "arms: {a: 1}\n",
			[]string{"x.yaml:5:7: arms must be a list of at least one arm, each a map with a name, got a map"}},
		{"arms empty", minimal + "arms: []\n",
			[]string{"x.yaml:5:7: arms must be a list of at least one arm, each a map with a name, got an empty list"}},
		{"arm name empty", minimal + "arms:\n  - name: \"\"\n",
			[]string{"x.yaml:6:5: arm 1 has an empty name"}},
		{"arm sets the grid", minimal + "arms:\n  - name: a\n    batch_size: 5\n    repetitions: 2\n",
			[]string{
				"x.yaml:7:5: batch_size cannot be set in an arm: every arm runs the same events, batch_size, repetitions and seed so that arms compare event by event; set it at the top level",
				"x.yaml:8:5: repetitions cannot be set in an arm: every arm runs the same events, batch_size, repetitions and seed so that arms compare event by event; set it at the top level",
			}},
		{"arm removes the reward", minimal + "arms:\n  - name: a\n    reward: ~\n",
			[]string{"x.yaml:7:5: reward cannot be removed in an arm: every arm needs one"}},
		{"arm breaks an inherited formula once", "name: x\nevents: 10\nactions: [{id: a}]\nreward: \"nope\"\narms:\n  - name: a\n  - name: b\n",
			[]string{"x.yaml:4:10: unknown name nope"}},

		// Context, actions and datasets.
		{"context is a list", minimal + "context: [a, b]\n",
			[]string{"x.yaml:5:10: context must be a map of keys to values, got a list"}},
		{"context map without values", minimal + "context:\n  weather: {}\n",
			[]string{"x.yaml:6:12: context variable weather has no values: give a map of value to weight, such as {Sunny: 0.5, Rainy: 0.5}"}},
		{"context rows with an extra key", minimal + "datasets:\n  rows: data/rows.json\ncontext:\n  user: {from: rows, weights: 1}\n",
			[]string{`x.yaml:8:22: unknown key "weights" in context variable user; known keys: from`}},
		{"context value named from", minimal + "context:\n  direction: {from: 1, to: 3}\n", nil},
		{"actions empty", "name: x\nevents: 10\nactions: []\nreward: \"1\"\n",
			[]string{"x.yaml:3:10: actions must be a list of at least one value, got an empty list"}},
		{"actions a map", "name: x\nevents: 10\nactions: {id: a}\nreward: \"1\"\n",
			[]string{"x.yaml:3:10: actions must be a dataset name or a list of {id, features}, got a map"}},
		{"actions missing", "name: x\nevents: 10\nreward: \"1\"\n",
			[]string{"x.yaml:1:1: missing key actions: the actions the loop chooses from: a dataset name or a list of {id, features}"}},
		{"action ids repeated in a dataset", "name: x\nevents: 10\ndatasets:\n  coffees: data/dup-ids.csv\nactions: coffees\nreward: \"1\"\n",
			[]string{`x.yaml:5:10: actions: rows 1 and 3 of dataset coffees have the same id "Latte"; action ids must be unique`}},
		{"actions from JSON rows", "name: x\nevents: 10\ndatasets:\n  rows: data/rows.json\nactions: rows\nreward: \"1\"\n", nil},
		{"datasets not a map", minimal + "datasets: [a.csv]\n",
			[]string{"x.yaml:5:11: datasets must be a map of keys to values, got a list"}},
		{"dataset path is a list", minimal + "datasets:\n  d: [a.csv]\n",
			[]string{"x.yaml:6:6: dataset d must be a single value, got a list"}},
		{"dataset keyed JSON rows", minimal + "datasets:\n  rows: {file: data/rows.json, key: id}\n", nil},

		// Names that formulas read.
		{"context variable misspelt", "name: x\nevents: 10\ncontext:\n  name: [Alice, Bob]\n  weather: [Sunny]\nactions: [{id: a}]\nreward: \"context.nmae == 'Alice' ? 1 : 0\"\n",
			[]string{"x.yaml:7:18: unknown context variable nmae; context has name, weather; did you mean name?"}},
		{"expected reads a misspelt context variable", "name: x\nevents: 10\ncontext:\n  name: [Alice, Bob]\nactions: [{id: a}]\nexpected: context.naem\nreward: \"action.id == expected ? 1 : 0\"\n",
			[]string{"x.yaml:6:19: unknown context variable naem; context has name; did you mean name?"}},
		{"action feature misspelt", "name: x\nevents: 10\ndatasets:\n  coffees: data/coffees.csv\nactions: coffees\nreward: \"action.features.tpye == 'hot' ? 1 : 0\"\n",
			[]string{"x.yaml:6:26: unknown action feature tpye; the actions have the features organic, origin, roast, type; did you mean type?"}},
		{"inline action feature misspelt", minimal[:len(minimal)-len("reward: \"1\"\n")] + "reward: \"action.features.colour == 'red' ? 1 : 0\"\n",
			[]string{"x.yaml:4:26: unknown action feature colour; the actions have no features"}},
		{"member of a context value", "name: x\nevents: 10\ncontext:\n  name: [Alice, Bob]\nactions: [{id: a}]\nreward: \"context.name.nosuch == 'x' ? 1 : 0\"\n",
			[]string{"x.yaml:6:23: context.name is a string, so it has no field nosuch"}},
		{"field of a context row misspelt", "name: x\nevents: 10\ndatasets:\n  shoppers: data/shoppers.jsonl\ncontext:\n  shopper: {from: shoppers}\nactions: [{id: a}]\nreward: \"context.shopper.agee > 30 ? 1 : 0\"\n",
			[]string{"x.yaml:8:26: unknown field agee of context.shopper; it has age, id, member, segment; did you mean age?"}},
		{"field of a context row", "name: x\nevents: 10\ndatasets:\n  shoppers: data/shoppers.jsonl\ncontext:\n  shopper: {from: shoppers}\nactions: [{id: a}]\nreward: \"context.shopper.age > 30 ? 1 : 0\"\n", nil},
		{"list of rows indexed by a string", "name: x\nevents: 10\ndatasets:\n  coffees: data/coffees.csv\nactions: coffees\nreward: \"coffees['Latte'].type == action.features.type ? 1 : 0\"\n",
			[]string{"x.yaml:6:18: dataset coffees is a list of rows, so it cannot be indexed by the string \"Latte\"; add `key: id` to the dataset to index it by id"}},
		{"list of rows indexed by an action id", "name: x\nevents: 10\ndatasets:\n  coffees: data/coffees.csv\nactions: coffees\nreward: \"coffees[action.id].type == 'hot' ? 1 : 0\"\n",
			[]string{"x.yaml:6:17: dataset coffees is a list of rows, so it cannot be indexed by a string; add `key: id` to the dataset to index it by id"}},
		{"context variable removed in an arm", "name: x\nevents: 10\ncontext:\n  name: [Alice]\n  weather: [Sunny]\nactions: [{id: a}]\nreward: \"context.weather == 'Sunny' ? 1 : 0\"\narms:\n  - name: one\n  - name: two\n    context: {weather: ~}\n",
			[]string{"x.yaml:7:18: unknown context variable weather; context has name"}},
		{"context variable that only arms define", "name: x\nevents: 10\nactions: [{id: a}]\nreward: \"context.name == 'Alice' ? 1 : 0\"\narms:\n  - name: one\n    context: {name: [Alice]}\n", nil},

		// Columns of events.parquet.
		{"context columns collide", "name: x\nevents: 10\ndatasets:\n  shoppers: data/shoppers.jsonl\ncontext:\n  shopper: {from: shoppers}\n  shopper_age: [1, 2]\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"x.yaml:7:3: context variables shopper (field age) and shopper_age both give the column ctx_shopper_age; rename one"}},
		{"context columns that only look alike", "name: x\nevents: 10\ndatasets:\n  a: data/rows.json\n  b: data/rows.json\ncontext:\n  x_id: {from: a}\n  x: {from: b}\nactions: [{id: a}]\nreward: \"1\"\n",
			nil},
		{"context columns of two arms collide", "name: x\nevents: 10\ndatasets:\n  shoppers: data/shoppers.jsonl\ncontext:\n  shopper: {from: shoppers}\nactions: [{id: a}]\nreward: \"1\"\narms:\n  - name: one\n  - name: two\n    context:\n      shopper: ~\n      shopper_age: [1, 2]\n",
			[]string{`x.yaml:14:7: context variables shopper (field age) of arm "one" and shopper_age of arm "two" both give the column ctx_shopper_age; rename one`}},

		// A dataset that fails to load, and its uses.
		{"dataset error reported once", "name: x\nevents: 10\ndatasets:\n  coffees: data/bad-line.jsonl\ncontext:\n  shopper: {from: coffees}\nactions: coffees\nexpected: coffees[0].id\nreward: \"action.id == expected && context.shopper.age > 3 ? 1 : 0\"\n",
			[]string{"data/bad-line.jsonl:2:12: invalid JSON: invalid character '}' looking for beginning of object key string"}},
		{"dataset error and another formula error", "name: x\nevents: 10\ndatasets:\n  coffees: data/no-such.csv\nactions: [{id: a}]\nreward: \"coffees[0].type == nope ? 1 : 0\"\n",
			[]string{
				"x.yaml:4:12: dataset coffees: file not found: data/no-such.csv (paths are relative to the experiment file's folder)",
				"x.yaml:6:29: unknown name nope",
			}},
		{"CSV header only", "name: x\nevents: 10\ndatasets:\n  coffees: data/header-only.csv\nactions: coffees\nreward: \"1\"\n",
			[]string{"data/header-only.csv:1: the file has a header but no rows: add at least one row under the header"}},
		{"CSV header only with a key", "name: x\nevents: 10\ndatasets:\n  coffees: {file: data/header-only.csv, key: id}\ncontext:\n  c: {from: coffees}\nactions: [{id: a}]\nreward: \"1\"\n",
			[]string{"data/header-only.csv:1: the file has a header but no rows: add at least one row under the header"}},

		// YAML itself.
		{"empty file", "", []string{"x.yaml: the file is empty: an experiment needs at least name, events, actions and reward"}},
		{"comment only", "# nothing yet\n", []string{"x.yaml: the file is empty: an experiment needs at least name, events, actions and reward"}},
		{"empty documents", "---\n---\n", []string{"x.yaml: the file is empty: an experiment needs at least name, events, actions and reward"}},
		{"empty document before the experiment", "---\n---\n" + minimal,
			[]string{"x.yaml:2:1: a second YAML document starts here, after an empty one: an experiment file holds one document, so remove the first ---"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeExperiment(t, tt.doc)
			_, err := Load(path)
			if diff := cmp.Diff(tt.want, errorLines(err, filepath.Dir(path))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadTopLevelOverridden checks the top level's values that every arm
// overrides: they are still checked, but against what the arms define.
func TestLoadTopLevelOverridden(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"formula reads a dataset of the arms",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"prefs[0].n\"\narms:\n  - name: one\n    datasets: {prefs: data/rows.json}\n", nil},
		{"context rows from a dataset of the arms",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"1\"\ncontext:\n  user: {from: rows}\narms:\n  - name: one\n    datasets: {rows: data/rows.json}\n", nil},
		{"apply_settings with the arms' backend",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"1\"\npersonalizer: {apply_settings: true}\narms:\n  - name: one\n    personalizer: {backend: http}\n", nil},
		{"activation with the arms' deferred activation",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"1\"\nrewards: {activation: 0.5}\narms:\n  - name: one\n    personalizer: {defer_activation: true}\n", nil},
		{"broken formula that every arm replaces",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"1 +\"\narms:\n  - name: one\n    reward: \"1\"\n",
			[]string{"x.yaml:4:12: unexpected token EOF"}},
		{"broken policy that every arm replaces",
			"name: x\nevents: 10\nactions: [{id: a}]\nreward: \"1\"\npersonalizer: {policy: --bogus}\narms:\n  - name: one\n    personalizer: {policy: --cb_explore_adf}\n",
			[]string{`x.yaml:5:24: personalizer.policy: unsupported policy argument "--bogus"; supported: --cb_explore_adf, --epsilon, --softmax, --lambda, --first, -l/--learning_rate, --power_t, -q/--quadratic, --cubic, --interactions, --ignore, --noconstant, -b/--bit_precision, --cb_type mtr|ips|dr, --l1, --l2; input and output flags such as --dsjson, --json and --quiet are accepted and ignored`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeExperiment(t, tt.doc)
			_, err := Load(path)
			if diff := cmp.Diff(tt.want, errorLines(err, filepath.Dir(path))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
