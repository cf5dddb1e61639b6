package reward

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/expr-lang/expr/ast"
)

// Variable is one context variable as formulas see it under context.
type Variable struct {
	Name string
	// Values are every value the variable can take: strings, numbers and
	// bools for a variable of values, and the rows (map[string]any) of the
	// dataset a variable draws its rows from. Nil means the values are not
	// known, as for a variable that failed to load, and then any member of
	// the variable is accepted.
	Values []any
}

// visitMember checks a member access such as context.name,
// action.features.type or coffees[expected].type against the names of the
// declared context, actions and datasets. It also turns an index into a
// dataset that is a list of rows into a call that reports a string index.
func (b *binder) visitMember(node *ast.Node, n *ast.MemberNode) {
	if name, ok := b.rowsDataset(n.Node); ok && !isIntegerExpr(n.Property) {
		b.indexRows(node, n, name)
		return
	}

	prop, ok := n.Property.(*ast.StringNode)
	if !ok {
		return
	}
	if isIdentifier(n.Node, "context") {
		b.checkVariable(prop)
		return
	}

	s := b.resolve(n.Node)
	if s == nil {
		return
	}
	member := "field"
	if n.Method {
		member = "method"
	}
	switch s.kind {
	case shapeScalar:
		b.reject(prop.Location(), fmt.Sprintf("%s is %s, so it has no %s %s", b.describe(n.Node), s.describe(), member, prop.Value))
	case shapeList:
		b.reject(prop.Location(), fmt.Sprintf("%s is a list, so it has no %s %s; index it by an integer", b.describe(n.Node), member, prop.Value))
	case shapeMap:
		if _, ok := s.fields[prop.Value]; ok {
			return
		}
		if isFeatures(n.Node) {
			b.reject(prop.Location(), unknownMessage("action feature "+prop.Value, prop.Value, "the actions have the features", "the actions have no features", s.keys()))
			return
		}
		b.reject(prop.Location(), unknownMessage(fmt.Sprintf("field %s of %s", prop.Value, b.describe(n.Node)), prop.Value, "it has", "it has no fields", s.keys()))
	}
}

// checkVariable checks the name a formula reads under context.
func (b *binder) checkVariable(prop *ast.StringNode) {
	if !b.checkContext {
		return
	}
	names := make([]string, len(b.context))
	for i, v := range b.context {
		if v.Name == prop.Value {
			return
		}
		names[i] = v.Name
	}
	b.reject(prop.Location(), unknownMessage("context variable "+prop.Value, prop.Value, "context has", "the experiment defines no context variables", names))
}

// unknownMessage reports the unknown name that phrase describes, with
// the known names and the closest of them: "unknown context variable
// nmae; context has name, weather; did you mean name?".
func unknownMessage(phrase, name, knownIntro, none string, known []string) string {
	if len(known) == 0 {
		return fmt.Sprintf("unknown %s; %s", phrase, none)
	}
	msg := fmt.Sprintf("unknown %s; %s %s", phrase, knownIntro, listNames(known))
	if c := Closest(name, known); c != "" {
		msg += fmt.Sprintf("; did you mean %s?", c)
	}
	return msg
}

// indexRows reports a dataset that is a list of rows indexed by a string
// constant. It turns any other index that may not be an integer into a
// call of the dataset's function, which checks the index's type when the
// formula is compiled and its value when the formula runs.
func (b *binder) indexRows(node *ast.Node, n *ast.MemberNode, name string) {
	if s, ok := n.Property.(*ast.StringNode); ok {
		b.reject(s.Location(), rowsIndexError(name, b.rows[name], fmt.Sprintf("the string %q", s.Value), s.Value).Error())
		return
	}
	call := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: rowsFunctionPrefix + name},
		Arguments: []ast.Node{n.Property},
	}
	ast.Patch(node, call)
	b.rowCalls[call] = name
}

// rowsDataset returns the name of the dataset that is a list of rows that
// node is bound to.
func (b *binder) rowsDataset(node ast.Node) (string, bool) {
	c, ok := node.(*ast.ConstantNode)
	if !ok {
		return "", false
	}
	name, ok := b.constants[c]
	if !ok {
		return "", false
	}
	_, ok = b.rows[name]
	return name, ok
}

// resolve returns the shape of the value node reads, or nil when it is
// not known.
func (b *binder) resolve(node ast.Node) *shape {
	switch n := node.(type) {
	case *ast.ChainNode:
		return b.resolve(n.Node)
	case *ast.ConstantNode:
		if name, ok := b.constants[n]; ok {
			return b.datasetShape(name)
		}
	case *ast.CallNode:
		if name, ok := b.rowCalls[n]; ok {
			return b.datasetShape(name).element()
		}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		switch {
		case !ok:
			return b.resolve(n.Node).element()
		case isIdentifier(n.Node, "context"):
			return b.variableShape(prop.Value)
		case isIdentifier(n.Node, "action") && prop.Value == "features":
			return b.featuresShape()
		}
		return b.resolve(n.Node).member(prop.Value)
	}
	return nil
}

// variableShape returns the shape of a context variable's values, or nil
// when they are not known.
func (b *binder) variableShape(name string) *shape {
	if s, ok := b.shapes["context."+name]; ok {
		return s
	}
	var s *shape
	i := slices.IndexFunc(b.context, func(v Variable) bool { return v.Name == name })
	if i >= 0 && b.context[i].Values != nil {
		s = shapeOf(b.context[i].Values...)
	}
	b.shapes["context."+name] = s
	return s
}

// featuresShape returns the shape of action.features over every action,
// or nil when the actions are not known.
func (b *binder) featuresShape() *shape {
	if !b.checkFeatures {
		return nil
	}
	if s, ok := b.shapes["action.features"]; ok {
		return s
	}
	s := &shape{kind: shapeMap, fields: map[string]*shape{}}
	for _, f := range b.features {
		s.add(f)
	}
	b.shapes["action.features"] = s
	return s
}

// datasetShape returns the shape of a dataset's value.
func (b *binder) datasetShape(name string) *shape {
	if s, ok := b.shapes[name]; ok {
		return s
	}
	s := shapeOf(b.datasets[name])
	b.shapes[name] = s
	return s
}

// describe returns the text of the expression node reads, for messages,
// with "..." for the parts it does not spell out.
func (b *binder) describe(node ast.Node) string {
	switch n := node.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.ChainNode:
		return b.describe(n.Node)
	case *ast.ConstantNode:
		if name, ok := b.constants[n]; ok {
			return name
		}
	case *ast.CallNode:
		if name, ok := b.rowCalls[n]; ok {
			return name + "[" + b.describe(n.Arguments[0]) + "]"
		}
	case *ast.IntegerNode:
		return strconv.Itoa(n.Value)
	case *ast.StringNode:
		return strconv.Quote(n.Value)
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if ok && identifier.MatchString(prop.Value) {
			return b.describe(n.Node) + "." + prop.Value
		}
		return b.describe(n.Node) + "[" + b.describe(n.Property) + "]"
	}
	return "..."
}

func isIdentifier(node ast.Node, name string) bool {
	id, ok := node.(*ast.IdentifierNode)
	return ok && id.Value == name
}

// isFeatures reports whether node reads action.features.
func isFeatures(node ast.Node) bool {
	m, ok := node.(*ast.MemberNode)
	if !ok || !isIdentifier(m.Node, "action") {
		return false
	}
	prop, ok := m.Property.(*ast.StringNode)
	return ok && prop.Value == "features"
}

// isIntegerExpr reports an index that is an integer whatever the event,
// such as 0, -1 or event % 4, which expr reads from a list itself at full
// speed. Other integer indexes go through the dataset's index function.
func isIntegerExpr(node ast.Node) bool {
	switch n := node.(type) {
	case *ast.IntegerNode:
		return true
	case *ast.IdentifierNode:
		return n.Value == "event"
	case *ast.UnaryNode:
		return (n.Operator == "-" || n.Operator == "+") && isIntegerExpr(n.Node)
	case *ast.BinaryNode:
		switch n.Operator {
		case "+", "-", "*", "%":
			return isIntegerExpr(n.Left) && isIntegerExpr(n.Right)
		}
	case *ast.BuiltinNode:
		return n.Name == "len"
	}
	return false
}
