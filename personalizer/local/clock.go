package local

import (
	"sync/atomic"
	"time"
)

// Clock is the loop's time source in ticks. The reward wait time and the
// model export frequency are counted in the same ticks. Now must never go
// backwards.
type Clock interface {
	Now() int64
}

// WallClock counts nanoseconds since the Unix epoch. It reads the wall clock
// once, at [NewWallClock], and advances on the monotonic clock afterwards, so
// a change of the system time does not move it backwards.
type WallClock struct {
	start time.Time
}

// NewWallClock returns a clock that starts at the current wall-clock time.
func NewWallClock() *WallClock {
	return &WallClock{start: time.Now()}
}

// Now returns nanoseconds since the Unix epoch.
func (c *WallClock) Now() int64 {
	return c.start.UnixNano() + int64(time.Since(c.start))
}

// ManualClock is a clock that moves only by Set and Advance, for
// simulations and tests. The runner sets it to the event index before each
// Rank. It is safe for concurrent use.
type ManualClock struct {
	now atomic.Int64
}

// Now returns the current tick.
func (c *ManualClock) Now() int64 { return c.now.Load() }

// Set moves the clock to tick t. Setting an earlier tick than the current one
// breaks the [Clock] contract.
func (c *ManualClock) Set(t int64) { c.now.Store(t) }

// Advance moves the clock forward by d ticks.
func (c *ManualClock) Advance(d int64) { c.now.Add(d) }
