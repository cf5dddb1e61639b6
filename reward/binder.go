package reward

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// binder is the expr patch visitor that records the names a formula reads,
// rejects hidden names, binds each dataset name to its value and checks
// the members the formula reads.
type binder struct {
	datasets map[string]any
	hidden   map[string]string
	names    map[string]bool
	// locals are the names the formula declares with let.
	locals []string
	// err is the rejected name that comes first in the formula.
	err *file.Error

	// context and features are what WithContext and WithActionFeatures
	// declared; they are checked only when checkContext and checkFeatures
	// are set.
	context       []Variable
	checkContext  bool
	features      []map[string]any
	checkFeatures bool
	// shapes caches the shapes of context variables, action.features and
	// datasets, by the name the formula reads them with.
	shapes map[string]*shape

	// constants are the nodes that bind a dataset, with its name.
	constants map[*ast.ConstantNode]string
	// rows are the datasets that are lists of rows.
	rows map[string][]any
	// rowCalls are the calls that index a list of rows, with its name.
	rowCalls map[*ast.CallNode]string

	unloadedNames []string
	// unloaded is the first place the formula reads an unloaded dataset.
	unloaded *file.Error
}

func newBinder(datasets map[string]any, hidden map[string]string, o *options) *binder {
	b := &binder{
		datasets:      datasets,
		hidden:        hidden,
		names:         map[string]bool{},
		context:       o.context,
		checkContext:  o.checkContext,
		features:      o.features,
		checkFeatures: o.checkFeatures,
		shapes:        map[string]*shape{},
		constants:     map[*ast.ConstantNode]string{},
		rows:          map[string][]any{},
		rowCalls:      map[*ast.CallNode]string{},
		unloadedNames: o.unloaded,
	}
	for name, v := range datasets {
		if rows, ok := isRows(v); ok {
			b.rows[name] = rows
		}
	}
	return b
}

func (b *binder) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		b.visitIdentifier(node, n)

	case *ast.MemberNode:
		b.visitMember(node, n)

	case *ast.VariableDeclaratorNode:
		b.locals = append(b.locals, n.Name)
		if IsReserved(n.Name) || b.isDataset(n.Name) {
			b.reject(n.Location(), fmt.Sprintf("let %s hides the name %s; choose another variable name", n.Name, n.Name))
		}
	}
}

func (b *binder) visitIdentifier(node *ast.Node, n *ast.IdentifierNode) {
	b.names[n.Value] = true
	switch {
	case n.Value == "$env":
		b.reject(n.Location(), "$env is not supported: read context, action, ranking, probability, event, expected and the datasets by name")
		return
	case n.Value == "now" || n.Value == "date":
		b.reject(n.Location(), n.Value+"() is disabled: formulas must not read the clock, so a run replays exactly from its seed; use event for the event's position in the run")
		return
	case strings.HasPrefix(n.Value, "$"):
		// Names with a '$' are the binder's own functions.
		b.reject(n.Location(), "unknown name "+n.Value)
		return
	}
	if msg, ok := b.hidden[n.Value]; ok {
		b.reject(n.Location(), msg)
		return
	}

	if slices.Contains(b.unloadedNames, n.Value) {
		// The call has type any, so every use of the dataset type-checks.
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: unloadedFunctionName}})
		if b.unloaded == nil || n.Location().From < b.unloaded.From {
			b.unloaded = &file.Error{Location: n.Location(), Message: fmt.Sprintf("dataset %s failed to load", n.Value)}
		}
		return
	}

	v, ok := b.datasets[n.Value]
	switch {
	case !ok:
	case v == nil:
		ast.Patch(node, &ast.NilNode{})
	default:
		c := &ast.ConstantNode{Value: v}
		ast.Patch(node, c)
		b.constants[c] = n.Value
	}
}

func (b *binder) isDataset(name string) bool {
	_, ok := b.datasets[name]
	return ok
}

func (b *binder) reject(loc file.Location, msg string) {
	if b.err != nil && b.err.From <= loc.From {
		return
	}
	b.err = &file.Error{Location: loc, Message: msg}
}
