package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/rankloop/rankloop/personalizer"
)

// decodeRankRequest decodes a POST /rank body into req. It returns the
// same result as [decodeJSON] (encoding/json), which FuzzDecodeRankRequest
// checks, in about a third of the time. It parses the fields of a rank
// request directly and reuses the strings of feature names and values
// that earlier requests sent, because they repeat from event to event.
// Inputs outside its fast path (duplicate, differently cased or escaped
// field names, deep nesting, any error) go to encoding/json, which also
// writes the error messages.
func (s *server) decodeRankRequest(data []byte, req *personalizer.RankRequest) error {
	p := rankParser{data: data, interned: &s.interned}
	if err := p.request(req); err == nil {
		return nil
	}
	*req = personalizer.RankRequest{}
	return decodeJSON(data, req)
}

// errSlowPath stops the fast parser; the caller decodes with
// encoding/json instead.
var errSlowPath = errors.New("input outside the fast path")

// maxFastDepth bounds the nesting the fast parser follows. encoding/json
// allows 10000 levels; deeper inputs than this go to it.
const maxFastDepth = 100

// rankParser parses one rank request body.
type rankParser struct {
	data     []byte
	pos      int
	interned *internTable
}

// request parses the whole body.
func (p *rankParser) request(req *personalizer.RankRequest) error {
	p.skipSpace()
	if p.literal("null") {
		return p.end()
	}

	err := p.object(rankRequestFields, func(field int) (err error) {
		switch field {
		case requestContextFeatures:
			req.ContextFeatures, err = p.featureList()
		case requestActions:
			req.Actions, err = p.actions()
		case requestExcludedActions:
			req.ExcludedActions, err = p.stringList()
		case requestEventID:
			req.EventID, err = p.eventID()
		case requestDeferActivation:
			req.DeferActivation, err = p.deferActivation()
		}
		return err
	})
	if err != nil {
		return err
	}
	return p.end()
}

// Fields of a rank request, as indexes of rankRequestFields.
const (
	requestContextFeatures = iota
	requestActions
	requestExcludedActions
	requestEventID
	requestDeferActivation
)

var rankRequestFields = []string{
	requestContextFeatures: "contextFeatures",
	requestActions:         "actions",
	requestExcludedActions: "excludedActions",
	requestEventID:         "eventId",
	requestDeferActivation: "deferActivation",
}

// Fields of an action, as indexes of actionFields.
const (
	actionID = iota
	actionFeatures
)

var actionFields = []string{
	actionID:       "id",
	actionFeatures: "features",
}

// object parses an object whose known fields are named by fields, at
// most 64 of them, with p at its opening brace. It calls parse with the
// index of each known field and p at its value, and skips the values of
// other keys. A known field that appears twice ends the fast path,
// because encoding/json decodes a repeated field into the value of the
// first, merging slices element by element. So does a key that names a
// known field in another case, because encoding/json matches names
// case-insensitively, and a key with escapes or invalid UTF-8.
func (p *rankParser) object(fields []string, parse func(field int) error) error {
	if !p.consume('{') {
		return errSlowPath
	}
	var seen uint64 // bit i is set once fields[i] is parsed
	for first := true; ; first = false {
		if more, err := p.next('}', first); !more {
			return err
		}
		quoted, plain, err := p.stringBytes()
		if err != nil || !plain || !p.colon() {
			return errSlowPath
		}
		key := quoted[1 : len(quoted)-1]

		field := fieldIndex(key, fields)
		switch {
		case field >= 0 && seen&(1<<field) != 0:
			return errSlowPath
		case field >= 0:
			seen |= 1 << field
			err = parse(field)
		case matchesFieldFold(key, fields):
			return errSlowPath
		default:
			_, err = p.value(0)
		}
		if err != nil {
			return err
		}
	}
}

// next moves past the comma before the next element of an array or
// object, whose opening bracket p has passed, and the white space around
// it; the first element has no comma. It returns false when the closing
// bracket end comes instead, having moved past it, and errSlowPath for
// any other text.
func (p *rankParser) next(end byte, first bool) (more bool, err error) {
	p.skipSpace()
	if p.consume(end) {
		return false, nil
	}
	if !first && !p.consume(',') {
		return false, errSlowPath
	}
	p.skipSpace()
	return true, nil
}

// colon moves past a colon and the white space around it.
func (p *rankParser) colon() bool {
	p.skipSpace()
	if !p.consume(':') {
		return false
	}
	p.skipSpace()
	return true
}

// actions parses the actions array.
func (p *rankParser) actions() ([]personalizer.RankableAction, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errSlowPath
	}
	actions := make([]personalizer.RankableAction, 0, 8)
	for first := true; ; first = false {
		if more, err := p.next(']', first); !more {
			return actions, err
		}

		var a personalizer.RankableAction
		if !p.literal("null") {
			if err := p.action(&a); err != nil {
				return nil, err
			}
		}
		actions = append(actions, a)
	}
}

// action parses one action object.
func (p *rankParser) action(a *personalizer.RankableAction) error {
	return p.object(actionFields, func(field int) (err error) {
		switch field {
		case actionID:
			if !p.literal("null") {
				a.ID, err = p.string(true)
			}
		case actionFeatures:
			a.Features, err = p.featureList()
		}
		return err
	})
}

// featureList parses an array of feature objects.
func (p *rankParser) featureList() ([]map[string]any, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errSlowPath
	}
	list := make([]map[string]any, 0, 1)
	for first := true; ; first = false {
		if more, err := p.next(']', first); !more {
			return list, err
		}

		var m map[string]any
		if !p.literal("null") {
			if p.peek() != '{' {
				return nil, errSlowPath
			}
			v, err := p.value(1)
			if err != nil {
				return nil, err
			}
			m = v.(map[string]any)
		}
		list = append(list, m)
	}
}

// stringList parses an array of strings.
func (p *rankParser) stringList() ([]string, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errSlowPath
	}
	list := make([]string, 0, 4)
	for first := true; ; first = false {
		if more, err := p.next(']', first); !more {
			return list, err
		}

		var s string
		if !p.literal("null") {
			var err error
			if s, err = p.string(true); err != nil {
				return nil, err
			}
		}
		list = append(list, s)
	}
}

// eventID parses the value of eventId: a string, or null for none.
func (p *rankParser) eventID() (string, error) {
	if p.literal("null") {
		return "", nil
	}
	return p.string(false)
}

// deferActivation parses the value of deferActivation: true, false or
// null for false.
func (p *rankParser) deferActivation() (bool, error) {
	switch {
	case p.literal("true"):
		return true, nil
	case p.literal("false"), p.literal("null"):
		return false, nil
	}
	return false, errSlowPath
}

// value parses any JSON value into the types encoding/json gives an any:
// map[string]any, []any, string, float64, bool or nil.
func (p *rankParser) value(depth int) (any, error) {
	if depth > maxFastDepth {
		return nil, errSlowPath
	}
	switch p.peek() {
	case '{':
		p.pos++
		m := make(map[string]any)
		for first := true; ; first = false {
			if more, err := p.next('}', first); !more {
				return m, err
			}
			key, err := p.string(true)
			if err != nil {
				return nil, err
			}
			if !p.colon() {
				return nil, errSlowPath
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
	case '[':
		p.pos++
		list := make([]any, 0, 4)
		for first := true; ; first = false {
			if more, err := p.next(']', first); !more {
				return list, err
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case '"':
		return p.stringValue()
	case 't':
		if p.literal("true") {
			return true, nil
		}
	case 'f':
		if p.literal("false") {
			return false, nil
		}
	case 'n':
		if p.literal("null") {
			return nil, nil
		}
	default:
		return p.number()
	}
	return nil, errSlowPath
}

// stringValue parses a string into an any, reusing the boxed value of an
// interned string.
func (p *rankParser) stringValue() (any, error) {
	quoted, plain, err := p.stringBytes()
	if err != nil {
		return nil, err
	}
	if !plain {
		return unquoteSlow(quoted)
	}
	raw := quoted[1 : len(quoted)-1]
	if e := p.interned.lookup(raw); e != nil {
		return e.value, nil
	}
	return string(raw), nil
}

// string parses a string. intern reuses the string of an earlier request
// with the same bytes; event ids, which never repeat, are not interned.
func (p *rankParser) string(intern bool) (string, error) {
	quoted, plain, err := p.stringBytes()
	if err != nil {
		return "", err
	}
	if !plain {
		return unquoteSlow(quoted)
	}
	raw := quoted[1 : len(quoted)-1]
	if intern {
		if e := p.interned.lookup(raw); e != nil {
			return e.text, nil
		}
	}
	return string(raw), nil
}

// stringBytes scans a string and returns it with its quotes. plain is
// true when it has no escapes and is valid UTF-8, so its bytes between
// the quotes are its value.
func (p *rankParser) stringBytes() (quoted []byte, plain bool, err error) {
	if !p.consume('"') {
		return nil, false, errSlowPath
	}
	start := p.pos - 1
	plain = true
	ascii := true
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			quoted = p.data[start:p.pos]
			if !ascii && !utf8.Valid(quoted) {
				plain = false
			}
			return quoted, plain, nil
		case c == '\\':
			plain = false
			if !p.escape() {
				return nil, false, errSlowPath
			}
			continue
		case c < 0x20:
			return nil, false, errSlowPath
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.pos++
	}
	return nil, false, errSlowPath
}

// escape checks one escape sequence at p.pos and moves past it.
func (p *rankParser) escape() bool {
	if p.pos+1 >= len(p.data) {
		return false
	}
	switch p.data[p.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.pos += 2
		return true
	case 'u':
		if p.pos+6 > len(p.data) {
			return false
		}
		for _, h := range p.data[p.pos+2 : p.pos+6] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		p.pos += 6
		return true
	}
	return false
}

// unquoteSlow decodes a quoted string with escapes or invalid UTF-8 the
// way encoding/json does, surrogate and replacement rules included.
func unquoteSlow(quoted []byte) (string, error) {
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", errSlowPath
	}
	return s, nil
}

// number parses a JSON number into a float64 boxed in an any.
func (p *rankParser) number() (any, error) {
	f, err := p.float()
	if err != nil {
		return nil, err
	}
	return f, nil
}

// float parses a JSON number.
func (p *rankParser) float() (float64, error) {
	start := p.pos
	p.consume('-')
	switch {
	case p.consume('0'):
	case p.digits() == 0:
		return 0, errSlowPath
	}
	if p.consume('.') && p.digits() == 0 {
		return 0, errSlowPath
	}
	if p.consume('e') || p.consume('E') {
		if !p.consume('+') {
			p.consume('-')
		}
		if p.digits() == 0 {
			return 0, errSlowPath
		}
	}
	f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
	if err != nil {
		return 0, errSlowPath
	}
	return f, nil
}

// digits moves past decimal digits and returns how many there were.
func (p *rankParser) digits() int {
	start := p.pos
	for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}

func (p *rankParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *rankParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *rankParser) consume(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// literal moves past word when it comes next.
func (p *rankParser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// end checks that only white space follows the value.
func (p *rankParser) end() error {
	p.skipSpace()
	if p.pos != len(p.data) {
		return errSlowPath
	}
	return nil
}

// fieldIndex returns the index of key in fields, or -1.
func fieldIndex(key []byte, fields []string) int {
	for i, f := range fields {
		// The length and the first byte rule out most names more cheaply
		// than a full comparison.
		if len(key) == len(f) && key[0] == f[0] && string(key) == f {
			return i
		}
	}
	return -1
}

// matchesFieldFold reports whether key would select one of the fields in
// encoding/json's case-insensitive matching.
func matchesFieldFold(key []byte, fields []string) bool {
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return true
		}
	}
	return false
}

// internTable keeps recent short strings of rank requests, so that the
// feature names and values each request repeats are allocated once. It is
// a direct-mapped cache: a new string replaces whatever shared its slot,
// so memory stays bounded at internSlots entries. It is safe for
// concurrent use without locks.
type internTable struct {
	seed  maphash.Seed
	slots [internSlots]atomic.Pointer[internEntry]
}

const (
	internSlots     = 4096 // a power of two
	maxInternLength = 64   // longer strings are rarely repeated
)

// internEntry is one interned string, with its boxed form for any values.
type internEntry struct {
	text  string
	value any
}

// lookup returns the entry for the string raw, adding it when its slot
// holds another string. It returns nil for long strings.
func (t *internTable) lookup(raw []byte) *internEntry {
	if len(raw) > maxInternLength {
		return nil
	}
	slot := &t.slots[maphash.Bytes(t.seed, raw)&(internSlots-1)]
	if e := slot.Load(); e != nil && e.text == string(raw) {
		return e
	}
	text := string(raw)
	e := &internEntry{text: text, value: text}
	slot.Store(e)
	return e
}
