package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/rankloop/rankloop/runner"
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: rankloop check FILE...

Validates experiment files without running them: keys, values, datasets,
policies and reward formulas. Prints one positioned error per problem.

Example:
  rankloop check experiments/*.yaml
`)
	}
	files, help, err := parseFiles(fs, args)
	if help || err != nil {
		return err
	}

	invalid := 0
	for _, path := range files {
		exp, err := runner.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			invalid++
			continue
		}
		for _, w := range exp.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		fmt.Fprintf(stdout, "%s: ok: experiment %q, %d arms × %d repetitions × %d events\n",
			path, exp.Name, len(exp.Arms), exp.Repetitions, exp.Events)
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d experiment files are invalid", invalid, len(files))
	}

	// Files valid one by one may still clash when run together: two
	// experiments with one name would share a results folder.
	if len(files) > 1 {
		if _, err := runner.LoadAll(files); err != nil {
			fmt.Fprintln(stderr, err)
			return fmt.Errorf("the experiment files cannot run together")
		}
	}
	return nil
}
