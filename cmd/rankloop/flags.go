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

// parseFiles parses a command's flags and returns its experiment files. For
// -h it returns help set and no files, so the command returns nil after the
// usage text. With no file it prints the usage and returns a usage error.
func parseFiles(fs *flag.FlagSet, args []string) (files []string, help bool, err error) {
	files, err = parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(files) == 0 {
		fs.Usage()
		return nil, false, &usageError{fs.Name() + ": missing experiment file"}
	}
	return files, false, nil
}
