package reward

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// MaxNodes bounds the size of a formula's syntax tree. A dataset name
// counts as one node whatever the dataset's size.
const MaxNodes = 1000

// Position locates a formula's text in the file it was read from, so that
// errors point into that file.
type Position struct {
	File string
	// Line and Column (both 1-based) are where the formula's first
	// character is in File.
	Line, Column int
	// Block reports a literal block scalar: line k of the formula is line
	// Line+k-1 of the file and starts after Indent columns of indentation.
	// Column is ignored.
	Block  bool
	Indent int
	// Approximate reports text that does not map character by character
	// onto the file, such as a quoted scalar with escapes or a scalar that
	// spans lines. Errors then point at Line and Column and also name the
	// position inside the formula.
	Approximate bool
}

// at maps a position inside the formula (1-based line, 0-based column, as
// expr reports them) to a 1-based line and column in the file.
func (p Position) at(line, col int) (int, int) {
	switch {
	case p.Approximate:
		return p.Line, p.Column
	case p.Block:
		return p.Line + line - 1, p.Indent + col + 1
	case line <= 1:
		return p.Line, p.Column + col
	default:
		return p.Line + line - 1, col + 1
	}
}

// Option changes how Compile and CompileExpected treat a formula.
type Option func(*options)

type options struct {
	clamp    bool
	expected bool

	// context and features are checked only when set by WithContext and
	// WithActionFeatures.
	context       []Variable
	checkContext  bool
	features      []map[string]any
	checkFeatures bool

	unloaded []string
}

// Clamp makes Reward clamp values outside [-1, 1] into the range and report
// that it did, instead of returning a ValueError.
func Clamp() Option { return func(o *options) { o.clamp = true } }

// WithExpected defines the name expected, for experiments that define an
// expected formula. Without it, a formula that reads expected fails to
// compile.
func WithExpected() Option { return func(o *options) { o.expected = true } }

// WithContext declares every context variable, so that a formula that
// reads context.X fails to compile unless X is one of vars. A member of a
// variable, such as context.shopper.age, must be a key of at least one of
// the variable's values, and a string, number or bool has no members.
// Without WithContext, any name under context compiles.
func WithContext(vars ...Variable) Option {
	return func(o *options) {
		o.context = vars
		o.checkContext = true
	}
}

// WithActionFeatures declares the features of every action, each as the
// one map formulas see as action.features, so that a formula that reads
// action.features.X fails to compile unless at least one action has the
// feature X. Without WithActionFeatures, any feature name compiles.
func WithActionFeatures(features ...map[string]any) Option {
	return func(o *options) {
		o.features = features
		o.checkFeatures = true
	}
}

// WithUnloadedDatasets names datasets that failed to load. A formula may
// read them as values of any type, so that their failure causes no second
// error. If the formula has no other error, Compile returns an error that
// matches ErrUnloadedDataset.
func WithUnloadedDatasets(names ...string) Option {
	return func(o *options) { o.unloaded = append(o.unloaded, names...) }
}

// ErrUnloadedDataset is the error, matched with errors.Is, of a formula
// that compiles except that it reads a dataset named by
// WithUnloadedDatasets.
var ErrUnloadedDataset = errors.New("the formula reads a dataset that failed to load")

// Formula is a compiled formula. It is safe for concurrent use; each
// goroutine evaluates it with its own Machine.
type Formula struct {
	src     string
	pos     Position
	program *vm.Program
	clamp   bool
	// names are the top-level names the formula reads.
	names map[string]bool
}

// Source returns the formula's text.
func (f *Formula) Source() string { return f.src }

// Position returns where the formula's text is in its file.
func (f *Formula) Position() Position { return f.pos }

// Clamps reports whether the formula was compiled with Clamp.
func (f *Formula) Clamps() bool { return f.clamp }

// Uses reports whether the formula reads the top-level name: an Env name
// such as "probability", a dataset or a helper function. A formula that
// reads none of probability, ranking and event, and no expected value
// that reads event, gives the same reward for the same context and
// action, so callers may cache its rewards.
func (f *Formula) Uses(name string) bool { return f.names[name] }

// Compile compiles a reward formula against the typed environment [Env],
// the helper functions and the datasets, bound by name. Dataset values
// become constants of the program, so they must not change afterwards.
//
// The formula must return a number; a formula that returns a bool, a
// string or another non-numeric type fails to compile. Every error is an
// *Error positioned in pos.File.
func Compile(src string, pos Position, datasets map[string]any, opts ...Option) (*Formula, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}

	hidden := map[string]string{}
	if !o.expected {
		hidden["expected"] = "expected is not defined: define an expected formula in the experiment to use it"
	}
	f, err := compile(src, pos, datasets, hidden, &o)
	if err != nil {
		return nil, err
	}
	f.clamp = o.clamp

	if err := f.checkNumeric(); err != nil {
		return nil, err
	}
	return f, nil
}

// CompileExpected compiles the formula of an experiment's expected value:
// the value a context calls for, such as the preferred action's id. It may
// read context, event and the datasets, but not action, ranking,
// probability or expected, so callers can evaluate it once per event
// before ranking. Its result may have any type. Errors are as for Compile.
// Of the options, only WithContext and WithUnloadedDatasets apply.
func CompileExpected(src string, pos Position, datasets map[string]any, opts ...Option) (*Formula, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}

	const notDefined = " is not defined in the expected formula: it describes the context before any action is chosen"
	hidden := map[string]string{
		"action":      "action" + notDefined,
		"ranking":     "ranking" + notDefined,
		"probability": "probability" + notDefined,
		"expected":    "expected" + notDefined,
	}
	return compile(src, pos, datasets, hidden, &o)
}

// compile compiles src with the names in hidden rejected, each with its
// message.
func compile(src string, pos Position, datasets map[string]any, hidden map[string]string, o *options) (*Formula, error) {
	if err := checkDatasetNames(datasets); err != nil {
		return nil, err
	}

	b := newBinder(datasets, hidden, o)
	opts := []expr.Option{
		expr.Env(Env{}),
		expr.MaxNodes(MaxNodes),
		// Rewards must not depend on the wall clock, so runs replay.
		expr.DisableBuiltin("now"),
		expr.DisableBuiltin("date"),
		expr.Patch(b),
	}
	opts = append(opts, functions()...)
	opts = append(opts, rowsFunctions(b.rows)...)
	if len(o.unloaded) > 0 {
		opts = append(opts, unloadedFunction())
	}
	program, err := expr.Compile(src, opts...)

	// The binder's errors come first: a rejected name also makes the type
	// checker fail, with a less helpful message.
	if b.err != nil {
		return nil, newError(src, pos, b.err)
	}
	if err != nil {
		return nil, newError(src, pos, err)
	}
	if b.unloaded != nil {
		e := newError(src, pos, b.unloaded)
		e.Err = ErrUnloadedDataset
		return nil, e
	}
	// Let declarations cannot hide a top-level name, so a name that the
	// formula declares is never a top-level one.
	for _, name := range b.locals {
		delete(b.names, name)
	}
	return &Formula{src: src, pos: pos, program: program, names: b.names}, nil
}

// checkNumeric rejects a formula whose checked type cannot be a number.
// A formula of type any, such as a dataset lookup, is checked per event.
func (f *Formula) checkNumeric() error {
	t := resultType(f.program.Node())
	if t == nil {
		return f.errorAtStart("the reward formula returns nil; it must return a number")
	}

	switch {
	case t.Kind() == reflect.Interface || isNumberKind(t.Kind()):
		return nil
	case t.Kind() == reflect.Bool:
		return f.errorAtStart("the reward formula returns a bool; it must return a number: write cond ? 1 : 0, or num(cond)")
	default:
		return f.errorAtStart(fmt.Sprintf("the reward formula returns %s; it must return a number", t))
	}
}

// resultType returns the type of the program's root node. The optimizer
// replaces constant subtrees with literal nodes that carry no type, so a
// literal's type is read from its value.
func resultType(node ast.Node) reflect.Type {
	switch n := node.(type) {
	case *ast.NilNode:
		return nil
	case *ast.IntegerNode:
		return reflect.TypeFor[int]()
	case *ast.FloatNode:
		return reflect.TypeFor[float64]()
	case *ast.BoolNode:
		return reflect.TypeFor[bool]()
	case *ast.StringNode:
		return reflect.TypeFor[string]()
	case *ast.ConstantNode:
		return reflect.TypeOf(n.Value)
	}
	return node.Type()
}

func (f *Formula) errorAtStart(msg string) error {
	return newError(f.src, f.pos, &file.Error{Message: msg})
}

// checkDatasetNames rejects dataset names that formulas cannot read.
func checkDatasetNames(datasets map[string]any) error {
	names := make([]string, 0, len(datasets))
	for name := range datasets {
		names = append(names, name)
	}
	sort.Strings(names)

	var errs []error
	for _, name := range names {
		if err := CheckName(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
