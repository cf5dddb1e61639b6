package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/reward"
	"go.yaml.in/yaml/v3"
)

var (
	datasetKeys = []string{"file", "key"}
	actionKeys  = []string{"id", "features"}
)

// decodeDatasets reads the datasets section and each dataset's file, in
// file order. A file is read once however many arms name it. It also
// returns the names of the datasets that failed to load, whose uses
// report no further error.
func (l *loader) decodeDatasets(n *yaml.Node) (loaded []*Dataset, failed []string) {
	if n == nil {
		return nil, nil
	}
	ps, ok := l.pairs(n, "datasets")
	if !ok {
		return nil, nil
	}

	for _, p := range ps {
		name := p.key.Value
		if err := reward.CheckName(name); err != nil {
			l.add(p.key.Line, p.key.Column, "%v", err)
			failed = append(failed, name)
			continue
		}
		file, key, at, ok := l.datasetSource(name, p.value)
		if !ok {
			failed = append(failed, name)
			continue
		}
		if d := l.readDataset(name, file, key, at); d != nil {
			loaded = append(loaded, d)
		} else {
			failed = append(failed, name)
		}
	}
	return loaded, failed
}

// datasetSource reads a dataset's value: a path, or {file, key}. It also
// returns the node of the path, where errors about the file point.
func (l *loader) datasetSource(name string, n *yaml.Node) (file, key string, at *yaml.Node, ok bool) {
	what := "dataset " + name
	if deref(n).Kind != yaml.MappingNode {
		file, ok = l.str(n, what)
		return file, "", n, ok
	}

	ps, _ := l.pairs(n, what)
	l.checkKeys(ps, datasetKeys, what)
	fileNode := lookup(ps, "file")
	if fileNode == nil {
		l.add(n.Line, n.Column, "%s has no file: give the path of a .json, .jsonl or .csv file", what)
		return "", "", nil, false
	}
	if file, ok = l.str(fileNode, what+" file"); !ok {
		return "", "", nil, false
	}
	if keyNode := lookup(ps, "key"); keyNode != nil {
		if key, ok = l.str(keyNode, what+" key"); !ok {
			return "", "", nil, false
		}
	}
	return file, key, fileNode, true
}

// readDataset reads a dataset file relative to the experiment's folder,
// once per name, path and key.
func (l *loader) readDataset(name, file, key string, at *yaml.Node) *Dataset {
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, file)
	}
	cacheKey := name + "\x00" + path + "\x00" + key
	if d, ok := l.datasets[cacheKey]; ok {
		return d
	}
	l.datasets[cacheKey] = nil

	d, sum, err := readDataset(name, path, key)
	var inFile *Error
	switch {
	case err == nil:
	case errors.As(err, &inFile):
		l.addErr(inFile)
		return nil
	case errors.Is(err, fs.ErrNotExist):
		l.add(at.Line, at.Column, "dataset %s: file not found: %s (paths are relative to the experiment file's folder)", name, path)
		return nil
	default:
		l.add(at.Line, at.Column, "%v", err)
		return nil
	}

	l.datasets[cacheKey] = d
	if !slices.ContainsFunc(l.exp.Inputs, func(in Input) bool { return in.Path == path }) {
		l.exp.Inputs = append(l.exp.Inputs, Input{Path: path, SHA256: sum})
	}
	return d
}

// declaredVar is one context variable as the file declares it.
type declaredVar struct {
	key *yaml.Node
	v   ContextVar
	// ok is false for a variable that failed to load.
	ok bool
}

// decodeContext reads the context variables in file order, also those
// that fail to load, whose names formulas may still read. In datasets, a
// name bound to nil is a dataset that failed to load.
func (l *loader) decodeContext(n *yaml.Node, datasets map[string]*Dataset) []declaredVar {
	ps, ok := l.pairs(n, "context")
	if !ok {
		return nil
	}

	var out []declaredVar
	for _, p := range ps {
		name := p.key.Value
		if name == "" {
			l.add(p.key.Line, p.key.Column, "a context variable needs a name")
			continue
		}
		v, ok := l.contextVar(name, p.value, datasets)
		out = append(out, declaredVar{key: p.key, v: v, ok: ok})
	}
	return out
}

// loadedVars returns the variables of the entries that loaded.
func loadedVars(entries []declaredVar) []ContextVar {
	var out []ContextVar
	for _, e := range entries {
		if e.ok {
			out = append(out, e.v)
		}
	}
	return out
}

// contextVar reads one context variable: a list of values drawn uniformly,
// a map of value to weight, {from: dataset} for a row drawn uniformly, or
// a single value that every event gets.
func (l *loader) contextVar(name string, n *yaml.Node, datasets map[string]*Dataset) (ContextVar, bool) {
	v := ContextVar{Name: name}
	what := "context variable " + name
	n = deref(n)

	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range l.list(n, what) {
			if x, ok := l.contextValue(c, what); ok {
				v.Values = append(v.Values, x)
			}
		}
		if len(v.Values) != len(n.Content) || !l.uniqueValues(n.Content, v.Values, what) {
			return v, false
		}
		for range v.Values {
			v.Weights = append(v.Weights, 1/float64(len(v.Values)))
		}
		return v, true

	case yaml.MappingNode:
		if from := lookup(mappingPairs(n), "from"); from != nil && !isNumber(from) {
			return l.contextRows(v, n, datasets)
		}
		ps, _ := l.pairs(n, what)
		if len(ps) == 0 {
			l.add(n.Line, n.Column, "%s has no values: give a map of value to weight, such as {Sunny: 0.5, Rainy: 0.5}", what)
			return v, false
		}
		var weights []float64
		for _, p := range ps {
			x, ok := l.contextValue(p.key, what)
			w := l.weight(p.value, fmt.Sprintf("the weight of %s %v", name, p.key.Value))
			if !ok || w == 0 {
				return v, false
			}
			v.Values = append(v.Values, x)
			weights = append(weights, w)
		}
		v.Weights = normalise(weights)
		return v, true
	}

	x, ok := l.contextValue(n, what)
	if !ok {
		return v, false
	}
	v.Values, v.Weights = []any{x}, []float64{1}
	return v, true
}

// contextRows reads {from: dataset}.
func (l *loader) contextRows(v ContextVar, n *yaml.Node, datasets map[string]*Dataset) (ContextVar, bool) {
	what := "context variable " + v.Name
	ps, _ := l.pairs(n, what)
	l.checkKeys(ps, []string{"from"}, what)

	from := lookup(ps, "from")
	name, ok := l.str(from, what+" from")
	if !ok {
		return v, false
	}
	d, ok := datasets[name]
	switch {
	case !ok:
		l.add(from.Line, from.Column, "%s: no dataset named %q%s", what, name, datasetHint(name, datasets))
		return v, false
	case d == nil:
		// The dataset's own error is reported.
		return v, false
	case d.Rows == nil:
		l.add(from.Line, from.Column, "%s: dataset %s is not a list of rows: use a CSV or JSONL file, or a JSON array of objects", what, name)
		return v, false
	case len(d.Rows) == 0:
		l.add(from.Line, from.Column, "%s: dataset %s has no rows", what, name)
		return v, false
	}
	v.From = d
	return v, true
}

// datasetHint suggests the loaded dataset closest to an unknown name, or
// lists the loaded datasets.
func datasetHint(name string, datasets map[string]*Dataset) string {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(datasets)) {
		if datasets[n] != nil {
			names = append(names, n)
		}
	}
	if s := suggest(name, names); s != "" {
		return s
	}
	switch {
	case len(datasets) == 0:
		return "; the experiment defines no datasets"
	case len(names) == 0:
		return ""
	}
	return "; datasets: " + strings.Join(names, ", ")
}

func isNumber(n *yaml.Node) bool {
	n = deref(n)
	tag := n.ShortTag()
	return n.Kind == yaml.ScalarNode && (tag == tagInt || tag == tagFloat)
}

// contextValue reads one value of a context variable: a string, number or
// bool, which Personalizer turns into a feature.
func (l *loader) contextValue(n *yaml.Node, what string) (any, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		l.add(n.Line, n.Column, "a value of %s must be a string, number or bool, got %s", what, kindName(n))
		return nil, false
	}
	return l.plainScalar(n, "a value of "+what)
}

// uniqueValues reports values listed twice: a list draws its values
// uniformly, so weights belong in the map form.
func (l *loader) uniqueValues(nodes []*yaml.Node, values []any, what string) bool {
	ok := true
	for i := range values {
		for j := range i {
			if values[i] == values[j] {
				l.add(nodes[i].Line, nodes[i].Column, "%s lists %v twice: list each value once, or weight the values with a map such as {Sunny: 0.5, Rainy: 0.3}", what, values[i])
				ok = false
				break
			}
		}
	}
	return ok
}

// decodeActions reads the actions: a dataset of rows with an id column, or
// an inline list of {id, features}. It reports whether every action
// loaded, so that their features are all known.
func (l *loader) decodeActions(n *yaml.Node, datasets map[string]*Dataset) ([]personalizer.RankableAction, bool) {
	found := l.found
	var out []personalizer.RankableAction
	switch deref(n).Kind {
	case yaml.ScalarNode:
		var ok bool
		out, ok = l.datasetActions(n, datasets)
		if !ok {
			return nil, false
		}
	case yaml.SequenceNode:
		out = l.inlineActions(n)
	default:
		l.add(n.Line, n.Column, "actions must be a dataset name or a list of {id, features}, got %s", kindName(n))
		return nil, false
	}
	return out, l.found == found
}

// datasetActions turns a dataset's rows into actions: the id column is the
// id, and every other column a feature. It returns false when the dataset
// failed to load, which reports its own error.
func (l *loader) datasetActions(n *yaml.Node, datasets map[string]*Dataset) ([]personalizer.RankableAction, bool) {
	name, ok := l.str(n, "actions")
	if !ok {
		return nil, false
	}
	d, ok := datasets[name]
	switch {
	case !ok:
		l.add(n.Line, n.Column, "actions: no dataset named %q%s", name, datasetHint(name, datasets))
		return nil, false
	case d == nil:
		return nil, false
	case d.Rows == nil:
		l.add(n.Line, n.Column, "actions: dataset %s is not a list of rows: use a CSV or JSONL file, or a JSON array of objects, with an id column", name)
		return nil, false
	case len(d.Rows) == 0:
		l.add(n.Line, n.Column, "actions: dataset %s has no rows", name)
		return nil, false
	}

	out := make([]personalizer.RankableAction, 0, len(d.Rows))
	first := map[string]int{}
	for i, row := range d.Rows {
		id, err := keyText(row["id"])
		if err != nil {
			// Report the first row only: a missing column is missing in
			// every row.
			l.add(n.Line, n.Column, "actions: row %d of dataset %s: id column %v; actions need an id column", i+1, name, err)
			return nil, false
		}
		if prev, dup := first[id]; dup {
			l.add(n.Line, n.Column, "actions: rows %d and %d of dataset %s have the same id %q; action ids must be unique", prev+1, i+1, name, id)
			continue
		}
		first[id] = i

		features := map[string]any{}
		for k, v := range row {
			if k != "id" {
				features[k] = v
			}
		}
		out = append(out, personalizer.RankableAction{ID: id, Features: []map[string]any{rankFeatures(features)}})
	}
	return out, true
}

// rankFeatures unwraps a row in Rank's own action format, whose only
// column besides id is a features list of objects, into one map.
func rankFeatures(features map[string]any) map[string]any {
	list, ok := features["features"].([]any)
	if !ok || len(features) != 1 {
		return features
	}
	merged := map[string]any{}
	for _, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return features
		}
		maps.Copy(merged, obj)
	}
	return merged
}

// inlineActions reads a list of {id, features}.
func (l *loader) inlineActions(n *yaml.Node) []personalizer.RankableAction {
	var out []personalizer.RankableAction
	first := map[string]int{}
	for i, c := range l.list(n, "actions") {
		what := fmt.Sprintf("action %d", i+1)
		ps, ok := l.pairs(c, what)
		if !ok {
			continue
		}
		l.checkKeys(ps, actionKeys, what)

		idNode := lookup(ps, "id")
		if idNode == nil {
			l.add(c.Line, c.Column, "%s has no id", what)
			continue
		}
		id, ok := l.str(idNode, what+" id")
		if !ok {
			continue
		}
		if id == "" {
			l.add(idNode.Line, idNode.Column, "%s has an empty id", what)
			continue
		}
		if prev, dup := first[id]; dup {
			l.add(idNode.Line, idNode.Column, "action id %q is already used by action %d; action ids must be unique", id, prev)
			continue
		}
		first[id] = i + 1

		features := map[string]any{}
		if f := lookup(ps, "features"); f != nil {
			features = l.actionFeatures(f, what+" features")
		}
		out = append(out, personalizer.RankableAction{ID: id, Features: []map[string]any{features}})
	}
	return out
}

// actionFeatures reads an inline action's features: a map, or a list of
// maps merged into one as Rank merges them.
func (l *loader) actionFeatures(n *yaml.Node, what string) map[string]any {
	v, _ := l.plain(n, what)
	switch f := v.(type) {
	case map[string]any:
		return f
	case []any:
		merged := map[string]any{}
		for _, e := range f {
			obj, ok := e.(map[string]any)
			if !ok {
				l.add(n.Line, n.Column, "%s must be a map, or a list of maps, of feature names to values", what)
				return map[string]any{}
			}
			maps.Copy(merged, obj)
		}
		return merged
	}
	l.add(n.Line, n.Column, "%s must be a map of feature names to values, got %s", what, kindName(n))
	return map[string]any{}
}
