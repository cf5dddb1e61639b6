package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Keys of an experiment file.
var (
	// gridKeys describe the grid every arm runs on; arms cannot set them.
	gridKeys = []string{"name", "description", "seed", "events", "batch_size", "repetitions"}
	// armKeys are the keys an arm may override.
	armKeys = []string{
		"datasets", "context", "actions", "expected", "reward", "clamp_rewards", "threshold",
		"personalizer", "rewards",
	}
	topKeys = append(append(append([]string{}, gridKeys...), armKeys...), "arms")
)

// Defaults of an experiment file.
const (
	// defaultSeed is the seed of an experiment that sets none.
	defaultSeed = 1
	// defaultBatchSize is the tutorial's batch of 100 events, or every
	// event of a shorter run.
	defaultBatchSize = 100
	// defaultThreshold is the moving-average reward the summary reports
	// the first crossing of: the tutorial's 75 %.
	defaultThreshold = 0.75
)

// namePattern matches the names an experiment may have. The name becomes
// the results folder's name.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Load reads, validates and resolves one experiment file: every key, value,
// dataset and formula, and every arm with its overrides merged in. Relative
// dataset paths are relative to the experiment file's folder.
//
// The error, if any, is an ErrorList with every problem found, each
// positioned in the experiment file or in the dataset file at fault.
func Load(path string) (*Experiment, error) {
	l := newLoader(path)
	exp := l.load()
	if err := l.err(); err != nil {
		return nil, err
	}
	exp.Warnings = l.warnings(exp)
	return exp, nil
}

// LoadAll loads every file and also checks that no file is given twice
// and no two experiments share a name, because the name is the results
// folder. The error, if any, is one ErrorList with the problems of every
// file, file by file.
func LoadAll(paths []string) ([]*Experiment, error) {
	var (
		exps  []*Experiment
		errs  ErrorList
		names = map[string]string{}
		// given are the files read so far. A path that cannot be read
		// matches none, and loading it reports why.
		given []givenFile
	)
	for _, path := range paths {
		if info, err := os.Stat(path); err == nil {
			i := slices.IndexFunc(given, func(g givenFile) bool { return os.SameFile(g.info, info) })
			if i >= 0 {
				errs = append(errs, &Error{File: path, Message: fmt.Sprintf("the experiment file is given twice, also as %s; give each file once", given[i].path)})
				continue
			}
			given = append(given, givenFile{path: path, info: info})
		}

		l := newLoader(path)
		exp := l.load()
		if err := l.err(); err != nil {
			errs = append(errs, asErrorList(path, err)...)
			continue
		}
		exp.Warnings = l.warnings(exp)

		if other, ok := names[exp.Name]; ok {
			errs = append(errs, &Error{File: path, Line: l.nameLine, Column: l.nameColumn,
				Message: fmt.Sprintf("experiment name %q is also the name of %s; results of the two would share a folder, so rename one", exp.Name, other)})
			continue
		}
		names[exp.Name] = path
		exps = append(exps, exp)
	}

	if len(errs) > 0 {
		return nil, errs
	}
	return exps, nil
}

// givenFile is an experiment file as LoadAll was given it, with the
// os.FileInfo that identifies the file behind two different paths.
type givenFile struct {
	path string
	info os.FileInfo
}

// loader reads one experiment file and collects every problem in it.
type loader struct {
	*errorList
	path string
	dir  string
	// lines are the file's lines, to locate formulas' text.
	lines []string
	exp   *Experiment
	// nameLine and nameColumn locate the experiment's name, and
	// eventsLine and eventsColumn its events.
	nameLine, nameColumn     int
	eventsLine, eventsColumn int
	// datasets caches each dataset file read, by name, path and key.
	datasets map[string]*Dataset
	// topLevel is set while decodeTopLevel runs.
	topLevel bool
	// columns are the ctx_ columns of events.parquet that the arms decoded
	// so far give, by name.
	columns map[string]contextColumn
}

func newLoader(path string) *loader {
	return &loader{
		errorList: newErrorList(path),
		path:      path,
		dir:       filepath.Dir(path),
		datasets:  map[string]*Dataset{},
		columns:   map[string]contextColumn{},
		exp:       &Experiment{File: path},
	}
}

// load returns the experiment with every field it could read. The caller
// uses it only when no error was recorded.
func (l *loader) load() *Experiment {
	data, err := os.ReadFile(l.path)
	if err != nil {
		l.addErr(&Error{File: l.path, Message: fmt.Sprintf("cannot read the experiment file: %v", err), Err: err})
		return l.exp
	}
	return l.decode(data)
}

// decode returns the experiment that data, the file's content, describes.
func (l *loader) decode(data []byte) *Experiment {
	sum := sha256.Sum256(data)
	l.exp.Inputs = append(l.exp.Inputs, Input{Path: l.path, SHA256: hex.EncodeToString(sum[:])})
	l.lines = strings.Split(string(data), "\n")

	root := l.parse(data)
	if root == nil {
		return l.exp
	}
	l.checkDuplicates(root)
	ps, ok := l.pairs(root, "an experiment file")
	if !ok {
		return l.exp
	}
	l.checkKeys(ps, topKeys, "the experiment")

	l.decodeGrid(root, ps)
	l.decodeArms(root, ps)
	l.exp.Resolved = resolve(l.exp)
	return l.exp
}

// yamlLine matches the line number in go.yaml.in/yaml/v3's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse returns the file's root node, or nil after recording why there is
// none.
func (l *loader) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		l.add(0, 0, emptyFile)
		return nil
	}
	if err != nil {
		l.addErr(l.yamlError(err))
		return nil
	}

	var next yaml.Node
	err = dec.Decode(&next)
	switch {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.addErr(l.yamlError(err))
	case isEmptyDocument(&doc) && onlyEmptyDocuments(dec, &next):
		l.add(0, 0, emptyFile)
		return nil
	case isEmptyDocument(&doc):
		l.add(next.Line, next.Column, "a second YAML document starts here, after an empty one: an experiment file holds one document, so remove the first ---")
		return nil
	default:
		l.add(next.Line, next.Column, "a second YAML document starts here: an experiment file holds one document, so split it into two files")
	}
	return doc.Content[0]
}

// emptyFile is the message of a file without content.
const emptyFile = "the file is empty: an experiment needs at least name, events, actions and reward"

// isEmptyDocument reports a document with no content, as between two
// "---" lines.
func isEmptyDocument(doc *yaml.Node) bool {
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull && n.Value == "" && n.Style == 0
}

// onlyEmptyDocuments reports whether next and every document after it in
// dec are empty. A syntax error counts as content.
func onlyEmptyDocuments(dec *yaml.Decoder, next *yaml.Node) bool {
	for isEmptyDocument(next) {
		*next = yaml.Node{}
		err := dec.Decode(next)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// yamlError positions a YAML syntax error at the line it names.
func (l *loader) yamlError(err error) *Error {
	e := &Error{File: l.path, Message: strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	e.Line, _ = strconv.Atoi(m[1])
	e.Message = m[2]

	if e.Line <= len(l.lines) && strings.HasPrefix(strings.TrimLeft(l.lines[e.Line-1], " "), "\t") {
		e.Message += ": YAML indentation must use spaces, not tabs"
	}

	// A plain scalar can neither contain ": " nor end with ":", and
	// formulas (cond ? 1 : 0) and policies (-q ::) often do.
	if m[2] == "mapping values are not allowed in this context" && e.Line <= len(l.lines) {
		_, value, ok := strings.Cut(l.lines[e.Line-1], ": ")
		value = strings.TrimSpace(value)
		if ok && (strings.Contains(value, ": ") || strings.HasSuffix(value, ":")) {
			e.Message += `: a value that contains ": " or ends with ":", such as the formula cond ? 1 : 0 or the policy -q ::, must be quoted or written as a literal block after "|"`
		}
	}
	return e
}

// decodeGrid reads the keys that every arm shares.
func (l *loader) decodeGrid(root *yaml.Node, ps []pair) {
	exp := l.exp

	if n := lookup(ps, "name"); n == nil {
		l.add(root.Line, root.Column, "missing key name: the experiment's name, which also names its results folder")
	} else if s, ok := l.str(n, "name"); ok {
		if !namePattern.MatchString(s) {
			l.add(n.Line, n.Column, "name %q must start with a letter or digit and contain only letters, digits, '.', '_' and '-', because it names the results folder", s)
		}
		exp.Name = s
		l.nameLine, l.nameColumn = n.Line, n.Column
	}

	if n := lookup(ps, "description"); n != nil {
		exp.Description, _ = l.str(n, "description")
	}

	exp.Seed = defaultSeed
	if n := lookup(ps, "seed"); n != nil {
		if v, ok := l.integer(n, "seed"); ok {
			if v < 0 {
				l.add(n.Line, n.Column, "seed must be 0 or greater, got %d", v)
			}
			exp.Seed = uint64(v)
		}
	}

	if n := lookup(ps, "events"); n == nil {
		l.add(root.Line, root.Column, "missing key events: the number of events (Rank calls) per run")
	} else if v, ok := l.integer(n, "events"); ok {
		if v <= 0 {
			l.add(n.Line, n.Column, "events must be greater than 0, got %d", v)
		}
		exp.Events = v
		l.eventsLine, l.eventsColumn = n.Line, n.Column
	}

	exp.BatchSize = min(defaultBatchSize, max(exp.Events, 1))
	if n := lookup(ps, "batch_size"); n != nil {
		if v, ok := l.integer(n, "batch_size"); ok {
			switch {
			case v <= 0:
				l.add(n.Line, n.Column, "batch_size must be greater than 0, got %d", v)
			case exp.Events > 0 && v > exp.Events:
				l.add(n.Line, n.Column, "batch_size %d is larger than events %d: a batch cannot hold more events than a run has", v, exp.Events)
			}
			exp.BatchSize = v
		}
	}

	exp.Repetitions = 1
	if n := lookup(ps, "repetitions"); n != nil {
		if v, ok := l.integer(n, "repetitions"); ok {
			if v < 1 {
				l.add(n.Line, n.Column, "repetitions must be 1 or more, got %d", v)
			}
			exp.Repetitions = v
		}
	}
}

// decodeArms reads the arms: each is the top level's arm keys with the
// arm's own keys merged in. Without an arms key the experiment has one arm
// named after it.
func (l *loader) decodeArms(root *yaml.Node, ps []pair) {
	var base []pair
	for _, p := range ps {
		if isArmKey(p.key.Value) {
			base = append(base, p)
		}
	}

	armsNode := lookup(ps, "arms")
	if armsNode == nil {
		name := l.exp.Name
		if name == "" {
			name = "default"
		}
		l.requireKeys(root, base, nil)
		l.addArm(name, "", base)
		return
	}

	items := l.armItems(armsNode)
	l.requireKeys(root, base, items)
	for _, item := range items {
		l.addArm(item.name, item.description, mergePairs(base, item.overrides, ""))
	}

	// Decode the top level alone too, so that a broken value that every arm
	// overrides is still reported. Its errors that arms inherit are
	// reported once.
	l.decodeTopLevel(base, items)
}

func isArmKey(key string) bool { return slices.Contains(armKeys, key) }

// decodeTopLevel decodes the top level's arm keys as if they were an arm.
// Formulas and context may name datasets that only arms define, so this
// pass reads the datasets of every arm. Checks that combine two keys are
// left to the arms, because an arm may set the other key.
func (l *loader) decodeTopLevel(base []pair, items []armItem) {
	datasets := mappingPairs(&yaml.Node{})
	if n := lookup(base, "datasets"); n != nil && deref(n).Kind == yaml.MappingNode {
		datasets = mappingPairs(deref(n))
	}
	for _, item := range items {
		if n := lookup(item.overrides, "datasets"); n != nil && deref(n).Kind == yaml.MappingNode {
			datasets = mergePairs(datasets, mappingPairs(deref(n)), "datasets")
		}
	}

	node := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range datasets {
		node.Content = append(node.Content, p.key, p.value)
	}
	ps := []pair{{key: &yaml.Node{Kind: yaml.ScalarNode, Value: "datasets"}, value: node}}
	for _, p := range base {
		if p.key.Value != "datasets" {
			ps = append(ps, p)
		}
	}

	l.topLevel = true
	l.decodeArm("", ps)
	l.topLevel = false
}

// armItem is one entry of the arms list.
type armItem struct {
	node        *yaml.Node
	name        string
	description string
	overrides   []pair
}

// armItems reads the arms list: a name per arm, unique, and keys that an
// arm may override.
func (l *loader) armItems(n *yaml.Node) []armItem {
	n = deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.add(n.Line, n.Column, "arms must be a list of at least one arm, each a map with a name, got %s", kindName(n))
		return nil
	}

	known := append([]string{"name", "description"}, armKeys...)
	var items []armItem
	names := map[string]int{}
	for i, c := range n.Content {
		what := fmt.Sprintf("arm %d", i+1)
		ps, ok := l.pairs(c, what)
		if !ok {
			continue
		}
		item := armItem{node: deref(c)}

		for _, p := range ps {
			switch key := p.key.Value; {
			case key == "name":
				item.name, _ = l.str(p.value, what+" name")
			case key == "description":
				item.description, _ = l.str(p.value, what+" description")
			case slices.Contains(gridKeys, key):
				l.add(p.key.Line, p.key.Column, "%s cannot be set in an arm: every arm runs the same events, batch_size, repetitions and seed so that arms compare event by event; set it at the top level", key)
			case key == "arms":
				l.add(p.key.Line, p.key.Column, "arms cannot be nested in an arm")
			case isArmKey(key) && isNull(p.value) && isRequired(key):
				l.add(p.key.Line, p.key.Column, "%s cannot be removed in an arm: every arm needs one", key)
			case isArmKey(key):
				item.overrides = append(item.overrides, p)
			default:
				l.unknownKey(p.key, what, known)
			}
		}

		switch prev, dup := names[item.name]; {
		case lookup(ps, "name") == nil:
			l.add(item.node.Line, item.node.Column, "%s has no name: give every arm a name, which labels its results", what)
		case item.name == "":
			l.add(item.node.Line, item.node.Column, "%s has an empty name", what)
		case dup:
			l.add(lookup(ps, "name").Line, lookup(ps, "name").Column, "arm name %q is already used by arm %d; arm names must be unique", item.name, prev)
		default:
			names[item.name] = i + 1
		}
		items = append(items, item)
	}
	return items
}

// requiredKeys are the keys every arm needs, with what they are for.
var requiredKeys = []struct{ key, purpose string }{
	{"actions", "the actions the loop chooses from: a dataset name or a list of {id, features}"},
	{"reward", "the formula that scores each event"},
}

func isRequired(key string) bool {
	for _, r := range requiredKeys {
		if r.key == key {
			return true
		}
	}
	return false
}

// requireKeys reports a required key that neither the top level nor an arm
// sets: once when no arm sets it, else once per arm that lacks it.
func (l *loader) requireKeys(root *yaml.Node, base []pair, items []armItem) {
	for _, r := range requiredKeys {
		if lookup(base, r.key) != nil {
			continue
		}
		var missing []armItem
		for _, item := range items {
			if lookup(item.overrides, r.key) == nil {
				missing = append(missing, item)
			}
		}
		if len(items) == 0 || len(missing) == len(items) {
			l.add(root.Line, root.Column, "missing key %s: %s", r.key, r.purpose)
			continue
		}
		for _, item := range missing {
			l.add(item.node.Line, item.node.Column, "arm %q has no %s and the top level sets none: add %s to the arm or to the top level", item.name, r.key, r.key)
		}
	}
}

// addArm decodes one arm's merged keys and adds the arm and its datasets
// to the experiment.
func (l *loader) addArm(name, description string, ps []pair) {
	arm := l.decodeArm(name, ps)
	arm.Description = description
	l.exp.Arms = append(l.exp.Arms, arm)

	for _, d := range arm.Datasets {
		if !slices.Contains(l.exp.Datasets, d) {
			l.exp.Datasets = append(l.exp.Datasets, d)
		}
	}
}
