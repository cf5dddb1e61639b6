package server

import "testing"

func TestParseRoute(t *testing.T) {
	cases := []struct {
		path    string
		op      operation
		eventID string
	}{
		{"/personalizer/v1.0/rank", opRank, ""},
		{"//personalizer//v1.1-preview.3//rank//", opRank, ""},
		{"/personalizer/v1.0/events/ev%201%2Fx%3F/reward", opReward, "ev 1/x?"},
		{"/personalizer/v1.0/events/a%252Fb/activate", opActivate, "a%2Fb"},
		{"/personalizer/v1.1-preview.1/configurations/service", opServiceConfiguration, ""},
		{"/personalizer/v1.0/configurations/policy", opPolicy, ""},
		{"/personalizer/v1.0/model", opModel, ""},
		{"/personalizer/v1.0/model/properties", opModelProperties, ""},
		{"/personalizer/v1.0/logs", opLogs, ""},
		{"/personalizer/v1.0/logs/properties", opLogsProperties, ""},
		{"/personalizer/v2.0/rank", opUnknown, ""},
		{"/personalizer/v1.0", opUnknown, ""},
		{"/personalizer/v1.0/events/ev/score", opUnknown, ""},
		{"/rank", opUnknown, ""},
		{"/", opUnknown, ""},
	}
	for _, tc := range cases {
		rt, err := parseRoute(tc.path)
		if err != nil {
			t.Errorf("parseRoute(%q): %v", tc.path, err)
			continue
		}
		if rt.op != tc.op || rt.eventID != tc.eventID {
			t.Errorf("parseRoute(%q) = op %d, event %q; want op %d, event %q", tc.path, rt.op, rt.eventID, tc.op, tc.eventID)
		}
	}
}

func TestParseRouteBadEscape(t *testing.T) {
	// net/http rejects such paths before a handler runs; parseRoute must
	// still not accept them when called with one.
	if _, err := parseRoute("/personalizer/v1.0/events/ev%zz/reward"); err == nil {
		t.Errorf("parseRoute accepted the escape %%zz, want an error")
	}
}
