package personalizer

import (
	"math"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "PT0S"},
		{15 * time.Second, "PT15S"},
		{10 * time.Minute, "PT10M"},
		{4 * time.Hour, "PT4H"},
		{28 * 24 * time.Hour, "P28D"},
		{26*time.Hour + 30*time.Minute, "P1DT2H30M"},
		{500 * time.Millisecond, "PT0.5S"},
		{time.Minute + 1500*time.Microsecond, "PT1M0.0015S"},
		{time.Nanosecond, "PT0.000000001S"},
		{-90 * time.Second, "-PT1M30S"},
	}
	for _, tc := range cases {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"PT0S", 0},
		{"PT15S", 15 * time.Second},
		{"PT10M", 10 * time.Minute},
		{"PT4H", 4 * time.Hour},
		{"P28D", 28 * 24 * time.Hour},
		{"P2W", 14 * 24 * time.Hour},
		{"P1DT12H", 36 * time.Hour},
		{"PT0.5S", 500 * time.Millisecond},
		{"PT1,5S", 1500 * time.Millisecond},
		{"PT1.5M", 90 * time.Second},
		{"pt10m", 10 * time.Minute},
		{"-PT1M", -time.Minute},
		{"00:10:00", 10 * time.Minute},
		{"00:00:15", 15 * time.Second},
		{"1.02:00:00", 26 * time.Hour},
		{"00:00:00.5", 500 * time.Millisecond},
		{"-00:01:00", -time.Minute},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseDurationRejects(t *testing.T) {
	cases := []string{
		"", "10m", "P", "PT", "P1Y", "P1M", "PT1H2H", "PT1S1M", "P1DT", "PTS",
		"PT1.5M2S", "PT1X", "P1H", "PT1e3S", "00:60:00", "24:00:00", "00:00:60",
		"0:0", "00:00:NaN", "00:00:+1", "00:00:0x1p1", "x.00:00:00", "P99999999999D",
	}
	for _, in := range cases {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func FuzzDurationRoundTrip(f *testing.F) {
	for _, seed := range []int64{0, 1, int64(time.Second), int64(26*time.Hour + 7*time.Millisecond), -int64(time.Minute), 1<<62 + 12345, -(1<<63 - 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if n == math.MinInt64 {
			// Its magnitude does not fit in a positive time.Duration.
			return
		}
		d := time.Duration(n)
		text := FormatDuration(d)
		got, err := ParseDuration(text)
		if err != nil {
			t.Fatalf("ParseDuration(FormatDuration(%d) = %q): %v", n, text, err)
		}
		if got != d {
			t.Fatalf("round trip of %d via %q = %d", n, text, got)
		}
	})
}
