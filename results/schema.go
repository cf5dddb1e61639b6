package results

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// MaxRowsPerRowGroup bounds the rows of each row group in the Parquet files
// this package writes. The writer buffers one row group in memory, so this
// bound keeps memory flat for long runs.
const MaxRowsPerRowGroup = 65536

// ContextPrefix starts the column name of every context feature in
// events.parquet: feature "weather" is column "ctx_weather".
const ContextPrefix = "ctx_"

// Kind is the value type of a context feature column.
type Kind int

// The kinds of context feature columns, each stored as the Parquet type
// named in its comment.
const (
	KindString  Kind = iota + 1 // BYTE_ARRAY (STRING), dictionary encoded
	KindFloat64                 // DOUBLE
	KindInt64                   // INT64
	KindBool                    // BOOLEAN
)

// String returns the kind's name as used in error messages.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindFloat64:
		return "float64"
	case KindInt64:
		return "int64"
	case KindBool:
		return "bool"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Column declares one context feature column of events.parquet.
type Column struct {
	// Name is the feature name without ContextPrefix. The caller flattens a
	// nested context object into one column per key, named <var>_<key>.
	Name string
	Kind Kind
}

// EventSchema is the part of the events.parquet layout that depends on the
// experiment. Two files with equal EventSchemas have identical Parquet
// schemas.
type EventSchema struct {
	// Context lists the context feature columns in file order. Every context
	// column is optional, so a feature may be missing from an event.
	Context []Column

	// HasExpected adds the optional column expected, written only when the
	// experiment defines an expected action.
	HasExpected bool
}

// Reward statuses: how the reward of an event was settled.
const (
	RewardOnTime       = "on_time"       // the reward arrived within the reward wait time
	RewardLate         = "late"          // the reward arrived after the reward wait time
	RewardMissing      = "missing"       // no reward was sent for the event
	RewardNotActivated = "not_activated" // the event used deferred activation and was never activated
	RewardDefault      = "default"       // the event was scored with the configured default reward
)

var rewardStatuses = []string{RewardOnTime, RewardLate, RewardMissing, RewardNotActivated, RewardDefault}

// Names of the fixed columns of events.parquet, in file order around the
// context columns.
var (
	eventHeadColumns = []string{"experiment", "arm", "repetition", "seed", "event", "batch", "event_id"}
	eventTailColumns = []string{"action", "probability", "reward", "expected", "best_reward", "explored",
		"model_version", "reward_status", "clamped", "rank_ms", "reward_ms"}
)

// ColumnNames returns the column names of events.parquet for s, in file
// order.
func (s EventSchema) ColumnNames() []string {
	names := slices.Clone(eventHeadColumns)
	for _, c := range s.Context {
		names = append(names, ContextPrefix+c.Name)
	}
	for _, name := range eventTailColumns {
		if name == "expected" && !s.HasExpected {
			continue
		}
		names = append(names, name)
	}
	return names
}

// validate checks the context columns: names non-empty, unique, and kinds
// known.
func (s EventSchema) validate() error {
	seen := make(map[string]bool, len(s.Context))
	for i, c := range s.Context {
		if c.Name == "" {
			return fmt.Errorf("context column %d: empty name", i)
		}
		if strings.ContainsAny(c.Name, ".\x00") {
			return fmt.Errorf("context column %q: name contains '.' or NUL, which Parquet column paths cannot hold", c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("context column %q: declared twice", c.Name)
		}
		seen[c.Name] = true
		if c.Kind < KindString || c.Kind > KindBool {
			return fmt.Errorf("context column %q: invalid kind %v", c.Name, c.Kind)
		}
	}
	return nil
}

// eventLayout maps an EventSchema to its Parquet schema and to the leaf
// column index of each field.
type eventLayout struct {
	schema *parquet.Schema
	spec   EventSchema

	experiment, arm, repetition, seed, event, batch, eventID int
	context                                                  int // first context column
	action, probability, reward, expected, bestReward        int // expected is -1 when absent
	explored, modelVersion, rewardStatus, clamped            int
	rankMS, rewardMS                                         int
	columns                                                  int
}

func newEventLayout(s EventSchema) (*eventLayout, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("invalid event schema: %w", err)
	}

	dict := func() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }
	plain := func() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.Plain) }

	var g orderedGroup
	l := &eventLayout{spec: s, expected: -1}
	add := func(name string, node parquet.Node) int {
		g.add(name, node)
		return len(g.names) - 1
	}

	l.experiment = add("experiment", dict())
	l.arm = add("arm", dict())
	l.repetition = add("repetition", parquet.Int(32))
	l.seed = add("seed", parquet.Int(64))
	l.event = add("event", parquet.Int(64))
	l.batch = add("batch", parquet.Int(32))
	l.eventID = add("event_id", plain())

	l.context = len(g.names)
	for _, c := range s.Context {
		add(ContextPrefix+c.Name, parquet.Optional(contextNode(c.Kind)))
	}

	l.action = add("action", dict())
	l.probability = add("probability", parquet.Leaf(parquet.DoubleType))
	l.reward = add("reward", parquet.Leaf(parquet.DoubleType))
	if s.HasExpected {
		l.expected = add("expected", parquet.Optional(dict()))
	}
	l.bestReward = add("best_reward", parquet.Optional(parquet.Leaf(parquet.DoubleType)))
	l.explored = add("explored", parquet.Leaf(parquet.BooleanType))
	l.modelVersion = add("model_version", parquet.Int(64))
	l.rewardStatus = add("reward_status", dict())
	l.clamped = add("clamped", parquet.Leaf(parquet.BooleanType))
	l.rankMS = add("rank_ms", parquet.Optional(parquet.Leaf(parquet.DoubleType)))
	l.rewardMS = add("reward_ms", parquet.Optional(parquet.Leaf(parquet.DoubleType)))
	l.columns = len(g.names)

	g.freeze()
	l.schema = parquet.NewSchema("events", &g)
	return l, nil
}

func contextNode(k Kind) parquet.Node {
	switch k {
	case KindString:
		return parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	case KindFloat64:
		return parquet.Leaf(parquet.DoubleType)
	case KindInt64:
		return parquet.Int(64)
	default:
		return parquet.Leaf(parquet.BooleanType)
	}
}

// orderedGroup is a Parquet group whose fields keep the order in which they
// were added. parquet.Group is a map and sorts its fields by name, which
// would scatter the ctx_ columns among the fixed ones.
type orderedGroup struct {
	parquet.Group
	names  []string
	fields []parquet.Field
}

func (g *orderedGroup) add(name string, node parquet.Node) {
	if g.Group == nil {
		g.Group = parquet.Group{}
	}
	g.Group[name] = node
	g.names = append(g.names, name)
	g.fields = nil
}

// freeze computes the ordered fields once; call it after the last add.
func (g *orderedGroup) freeze() {
	byName := make(map[string]parquet.Field, len(g.names))
	for _, f := range g.Group.Fields() {
		byName[f.Name()] = f
	}
	g.fields = make([]parquet.Field, len(g.names))
	for i, name := range g.names {
		g.fields[i] = byName[name]
	}
}

// Fields returns the fields in the order they were added.
func (g *orderedGroup) Fields() []parquet.Field { return g.fields }

// String prints the group in field order.
func (g *orderedGroup) String() string {
	var b strings.Builder
	parquet.PrintSchema(&b, "", g)
	return b.String()
}
