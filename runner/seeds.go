package runner

import (
	"encoding/hex"
	"math/rand/v2"
	"unsafe"
)

// Streams of random numbers derived from a repetition's seed. Each concern
// draws from its own stream, so adding a draw to one never shifts another:
// every arm of a repetition draws the same contexts and the same reward
// delays whatever its policy does.
const (
	streamContext  = 1
	streamDelivery = 2
)

// splitmix64 is the SplitMix64 finaliser: a bijective mix of a 64-bit value.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// RepetitionSeed derives the seed of one repetition from the experiment's
// seed. Repetition 0 does not reuse the experiment seed itself.
func RepetitionSeed(seed uint64, repetition int) uint64 {
	return splitmix64(splitmix64(seed) ^ uint64(repetition+1)*0xd1b54a32d192ed03)
}

// newStream returns a generator for one concern of one repetition.
func newStream(repetitionSeed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(repetitionSeed, splitmix64(stream)))
}

// EventID derives the event id of event index of a repetition: 32 lowercase
// hex digits, the form the service generated. The same seed, repetition and
// index always give the same id, in every arm.
func EventID(seed uint64, repetition, index int) string {
	return string(AppendEventID(nil, seed, repetition, index))
}

// AppendEventID appends the event id of [EventID] to dst.
func AppendEventID(dst []byte, seed uint64, repetition, index int) []byte {
	var raw [16]byte
	hi := splitmix64(RepetitionSeed(seed, repetition) ^ splitmix64(uint64(index)))
	lo := splitmix64(hi ^ uint64(index))
	for i := range 8 {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	return hex.AppendEncode(dst, raw[:])
}

// eventIDs hands out event ids from shared blocks of memory, one allocation
// per block instead of one per event. A block is never written again once
// its ids are handed out, so the strings stay valid.
type eventIDs struct {
	block []byte
}

const eventIDBlock = 32 * 4096

func (e *eventIDs) next(seed uint64, repetition, index int) string {
	if cap(e.block)-len(e.block) < 32 {
		e.block = make([]byte, 0, eventIDBlock)
	}
	start := len(e.block)
	e.block = AppendEventID(e.block, seed, repetition, index)
	id := e.block[start:len(e.block):len(e.block)]
	return unsafe.String(&id[0], len(id))
}
