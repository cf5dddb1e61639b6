package reward

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"reward", "rewrad", 1},
		{"seed", "sede", 1},
		{"événement", "evenement", 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"name", "weather", "timeofday"}
	tests := []struct{ unknown, want string }{
		{"nmae", "name"},
		{"Weather", "weather"},
		{"timeofdya", "timeofday"},
		{"colour", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.unknown, known); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.unknown, got, tt.want)
		}
	}
}
