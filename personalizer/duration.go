package personalizer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatDuration formats d as an ISO-8601 duration the way the service
// wrote them: PT0S, PT15S, PT10M, PT4H, P28D, P1DT2H30M or PT0.5S. Days are
// 24 hours; years, months and weeks are never written.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}

	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
	}
	b.WriteByte('P')

	// Work on the magnitude as unsigned so that math.MinInt64 does not overflow.
	u := uint64(d)
	if d < 0 {
		u = -u
	}
	const (
		day    = uint64(24 * time.Hour)
		hour   = uint64(time.Hour)
		minute = uint64(time.Minute)
		second = uint64(time.Second)
	)
	days, u := u/day, u%day
	hours, u := u/hour, u%hour
	minutes, u := u/minute, u%minute
	seconds, nanos := u/second, u%second

	if days > 0 {
		b.WriteString(strconv.FormatUint(days, 10))
		b.WriteByte('D')
	}
	if hours == 0 && minutes == 0 && seconds == 0 && nanos == 0 {
		return b.String()
	}

	b.WriteByte('T')
	if hours > 0 {
		b.WriteString(strconv.FormatUint(hours, 10))
		b.WriteByte('H')
	}
	if minutes > 0 {
		b.WriteString(strconv.FormatUint(minutes, 10))
		b.WriteByte('M')
	}
	if seconds > 0 || nanos > 0 {
		b.WriteString(strconv.FormatUint(seconds, 10))
		if nanos > 0 {
			frac := strings.TrimRight(fmt.Sprintf("%09d", nanos), "0")
			b.WriteByte('.')
			b.WriteString(frac)
		}
		b.WriteByte('S')
	}
	return b.String()
}

// ParseDuration parses a duration in either form the service's clients
// send: ISO-8601 (PT10M, P1DT12H, PT0.5S, P2W) or the .NET TimeSpan text
// [-][d.]hh:mm:ss[.fffffff] of the first API examples (00:10:00,
// 1.02:00:00). An ISO-8601 day is 24 hours and a week 7 days. Years and
// months are rejected because they have no fixed length.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if strings.Contains(s, ":") {
		return parseTimeSpan(s)
	}
	return parseISODuration(s)
}

// parseISODuration parses [-]P[nW][nD][T[nH][nM][nS]], where only the last
// number may carry a fraction.
func parseISODuration(s string) (time.Duration, error) {
	rest := s
	negative := false
	switch {
	case strings.HasPrefix(rest, "-"):
		negative = true
		rest = rest[1:]
	case strings.HasPrefix(rest, "+"):
		rest = rest[1:]
	}
	if !strings.HasPrefix(rest, "P") && !strings.HasPrefix(rest, "p") {
		return 0, fmt.Errorf("invalid duration %q: want ISO-8601 such as PT10M or hh:mm:ss", s)
	}
	rest = rest[1:]
	if rest == "" || rest == "T" || rest == "t" {
		return 0, fmt.Errorf("invalid duration %q: no components after P", s)
	}

	var total time.Duration
	inTime := false
	sawFraction := false
	lastUnit := -1
	for rest != "" {
		if rest[0] == 'T' || rest[0] == 't' {
			if inTime {
				return 0, fmt.Errorf("invalid duration %q: second T", s)
			}
			inTime = true
			rest = rest[1:]
			if rest == "" {
				return 0, fmt.Errorf("invalid duration %q: no components after T", s)
			}
			continue
		}

		n := 0
		for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.' || rest[n] == ',') {
			n++
		}
		if n == 0 || n == len(rest) {
			return 0, fmt.Errorf("invalid duration %q: want a number followed by a unit", s)
		}
		number := strings.Replace(rest[:n], ",", ".", 1)
		unit := rest[n] | 0x20 // lower case
		rest = rest[n+1:]

		if sawFraction {
			return 0, fmt.Errorf("invalid duration %q: only the last component may have a fraction", s)
		}
		sawFraction = strings.Contains(number, ".")

		scale, order, err := isoUnit(unit, inTime)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", s, err)
		}
		if order <= lastUnit {
			return 0, fmt.Errorf("invalid duration %q: components out of order", s)
		}
		lastUnit = order

		part, err := scaleDecimal(number, scale)
		if err == nil && part > math.MaxInt64-total {
			err = errTooLong
		}
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", s, err)
		}
		total += part
	}

	if negative {
		total = -total
	}
	return total, nil
}

// errTooLong is the error for a duration beyond time.Duration's range.
var errTooLong = fmt.Errorf("longer than %v", time.Duration(math.MaxInt64))

// scaleDecimal returns the decimal number text (digits with at most one
// point) times unit, in whole nanoseconds: exact for every fraction that
// fits in nanoseconds, truncated beyond.
func scaleDecimal(text string, unit time.Duration) (time.Duration, error) {
	intText, fracText, _ := strings.Cut(text, ".")
	if intText == "" && fracText == "" || !isDecimal(text) {
		return 0, fmt.Errorf("invalid number %q", text)
	}

	var n int64
	for i := 0; i < len(intText); i++ {
		if n > (math.MaxInt64-9)/10 {
			return 0, errTooLong
		}
		n = n*10 + int64(intText[i]-'0')
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, errTooLong
	}
	total := n * int64(unit)

	step := int64(unit)
	for i := 0; i < len(fracText); i++ {
		step /= 10
		if step == 0 {
			break
		}
		digit := int64(fracText[i]-'0') * step
		if total > math.MaxInt64-digit {
			return 0, errTooLong
		}
		total += digit
	}
	return time.Duration(total), nil
}

// isoUnit returns the length of an ISO-8601 unit letter and its position
// in the order the standard requires.
func isoUnit(unit byte, inTime bool) (time.Duration, int, error) {
	if inTime {
		switch unit {
		case 'h':
			return time.Hour, 2, nil
		case 'm':
			return time.Minute, 3, nil
		case 's':
			return time.Second, 4, nil
		}
		return 0, 0, fmt.Errorf("unit %q is not H, M or S after T", unit)
	}
	switch unit {
	case 'w':
		return 7 * 24 * time.Hour, 0, nil
	case 'd':
		return 24 * time.Hour, 1, nil
	case 'y', 'm':
		return 0, 0, errors.New("years and months have no fixed length; use days")
	}
	return 0, 0, fmt.Errorf("unit %q is not W or D before T", unit)
}

// parseTimeSpan parses the .NET TimeSpan text [-][d.]hh:mm:ss[.fffffff].
func parseTimeSpan(s string) (time.Duration, error) {
	rest := s
	negative := strings.HasPrefix(rest, "-")
	if negative {
		rest = rest[1:]
	}

	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("invalid duration %q: want hh:mm:ss", s)
	}

	var days time.Duration
	hoursText := parts[0]
	if dayText, h, ok := strings.Cut(hoursText, "."); ok {
		if strings.Contains(dayText, ".") || dayText == "" {
			return 0, fmt.Errorf("invalid duration %q: bad day count %q", s, dayText)
		}
		d, err := scaleDecimal(dayText, 24*time.Hour)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: day count: %w", s, err)
		}
		days, hoursText = d, h
	}
	hours, err := strconv.Atoi(hoursText)
	if err != nil || !isDecimal(hoursText) || hours > 23 {
		return 0, fmt.Errorf("invalid duration %q: hours must be 0-23", s)
	}
	minutes, err := strconv.Atoi(parts[1])
	if err != nil || !isDecimal(parts[1]) || minutes > 59 {
		return 0, fmt.Errorf("invalid duration %q: minutes must be 0-59", s)
	}
	seconds, err := scaleDecimal(parts[2], time.Second)
	if err != nil || seconds >= time.Minute {
		return 0, fmt.Errorf("invalid duration %q: seconds must be 0-59 with an optional fraction", s)
	}

	clock := time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute + seconds
	if days > math.MaxInt64-clock {
		return 0, fmt.Errorf("invalid duration %q: %w", s, errTooLong)
	}
	total := days + clock
	if negative {
		total = -total
	}
	return total, nil
}

// isDecimal reports whether s is digits with at most one decimal point,
// which rules out the signs, exponents, hex and NaN that ParseFloat takes.
func isDecimal(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return s != "" && dots <= 1
}
