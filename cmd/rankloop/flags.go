package main

import (
	"errors"
	"flag"
)

// parseInterleaved parses args with fs, accepting flags after positional
// arguments too (run FILE --out DIR), as users expect from most tools. A
// lone "--" ends flag parsing. It returns the positional arguments, nil
// with flag.ErrHelp for -h, or a usage error.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// Parse stops at "--" or at the first positional argument.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
