package local

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rankloop/rankloop/personalizer"
)

func TestParsePolicyDefaults(t *testing.T) {
	p, err := ParsePolicy("--cb_explore_adf")
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Explore:      ExploreEpsilonGreedy,
		Epsilon:      0.05,
		Lambda:       1,
		LearningRate: 0.5,
		PowerT:       0.5,
		Bits:         18,
		CBType:       CBTypeMTR,
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(Policy{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParsePolicyServiceDefault(t *testing.T) {
	p, err := ParsePolicy(personalizer.DefaultPolicyArguments)
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Explore:      ExploreEpsilonGreedy,
		Epsilon:      0.2,
		Lambda:       1,
		LearningRate: 0.001,
		PowerT:       0,
		Interactions: []string{"::"},
		Bits:         18,
		CBType:       CBTypeMTR,
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(Policy{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParsePolicySupportedFlags(t *testing.T) {
	p, err := ParsePolicy("--cb_explore_adf --softmax --lambda=-3 --epsilon 0.1 --learning_rate 0.25 " +
		"--power_t 0.3 -qFj -q ab --quadratic=cd --cubic FFj --interactions FFFj --ignore xy --noconstant " +
		"-b 20 --cb_type dr --l1 1e-7 --l2 0.01 --dsjson --quiet -d file.json --epsilon 0.20000000298023224")
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Explore:      ExploreSoftmax,
		Epsilon:      0.20000000298023224,
		Lambda:       3,
		LearningRate: 0.25,
		PowerT:       0.3,
		Interactions: []string{"Fj", "ab", "cd", "FFj", "FFFj"},
		Ignore:       "xy",
		NoConstant:   true,
		Bits:         20,
		CBType:       CBTypeDR,
		L1:           1e-7,
		L2:           0.01,
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(Policy{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParsePolicyExplorationDefaults(t *testing.T) {
	for _, tc := range []struct {
		args        string
		wantExplore string
		wantEpsilon float64
		wantFirst   int
	}{
		{"--cb_explore_adf", ExploreEpsilonGreedy, 0.05, 0},
		{"--cb_explore_adf --softmax", ExploreSoftmax, 0, 0},
		{"--cb_explore_adf --first 10", ExploreFirst, 0, 10},
		{"--cb_explore_adf --first 10 --epsilon 0.1", ExploreFirst, 0.1, 10},
	} {
		p, err := ParsePolicy(tc.args)
		if err != nil {
			t.Errorf("%s: %v", tc.args, err)
			continue
		}
		if p.Explore != tc.wantExplore || p.Epsilon != tc.wantEpsilon || p.First != tc.wantFirst {
			t.Errorf("%s: explore %s, epsilon %v, first %d; want %s, %v, %d",
				tc.args, p.Explore, p.Epsilon, p.First, tc.wantExplore, tc.wantEpsilon, tc.wantFirst)
		}
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string
	}{
		{"--cb_explore_adf --bag 5", `unsupported policy argument "--bag"; supported: --cb_explore_adf, --epsilon`},
		{"--cb_explore_adf -z", `unsupported policy argument "-z"`},
		{"--cb_explore_adf --cb_type dm", `unsupported value "dm": want mtr, ips or dr`},
		{"--epsilon 0.1", "must include --cb_explore_adf"},
		{"--cb_explore_adf --epsilon 1.5", `invalid value "1.5": want a number from 0 to 1`},
		{"--cb_explore_adf --epsilon", `"--epsilon" needs a value`},
		{"--cb_explore_adf -q F", `want exactly 2 namespace letters`},
		{"--cb_explore_adf --cubic Fj", `want exactly 3 namespace letters`},
		{"--cb_explore_adf --interactions F", `want at least 2 namespace letters`},
		{"--cb_explore_adf -b 40", `want a whole number from 1 to 28`},
		{"--cb_explore_adf --softmax --first 3", "use one"},
		{"--cb_explore_adf -l 0", "must be positive"},
		{"--cb_explore_adf --dsjson=x", "takes no value"},
		{"--cb_explore_adf stray", "is not a flag"},
	} {
		_, err := ParsePolicy(tc.args)
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.args, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.args, err, tc.want)
		}
	}
}

func TestParsePolicyHexNamespaces(t *testing.T) {
	p, err := ParsePolicy(`--cb_explore_adf -q \x46j`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Fj"}, p.Interactions); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParsePolicy(`--cb_explore_adf -q \x4`); err == nil {
		t.Error("truncated escape: no error")
	}
}

func TestWithEpsilon(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"--cb_explore_adf --epsilon 0.2 -q ::", "--cb_explore_adf --epsilon 0.5 -q ::"},
		{"--cb_explore_adf  --epsilon=0.2", "--cb_explore_adf --epsilon=0.5"},
		{"--cb_explore_adf -q ::", "--cb_explore_adf -q :: --epsilon 0.5"},
	} {
		if got := WithEpsilon(tc.in, 0.5); got != tc.want {
			t.Errorf("WithEpsilon(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
