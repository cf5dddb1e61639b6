// Command rankloop runs contextual-bandit experiments written as YAML files
// against an embedded Personalizer-compatible learning loop or any endpoint
// that speaks the Personalizer REST API, and serves the embedded loop over
// that API.
//
// Usage:
//
//	rankloop run [flags] FILE...
//	rankloop check FILE...
//	rankloop serve [flags]
//	rankloop version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in the usage text.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks a command-line mistake: bad flags, a missing argument or
// an unknown command.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `rankloop runs contextual-bandit experiments written as YAML files.

Usage:
  rankloop run [--out DIR] [--parallel N] [--endpoint URL] FILE...
                         run experiments and write their results
  rankloop check FILE... validate experiment files without running them
  rankloop serve [--addr HOST:PORT] [--key KEY]
                         serve the embedded loop over the Personalizer REST API
  rankloop version       print the version

Run "rankloop COMMAND -h" for a command's flags.

Exit codes: 0 success, 1 failure (invalid file, failed run),
2 usage error, 130 interrupted (finished runs are still written).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one stops the process at once.
	stopNotice := context.AfterFunc(ctx, func() {
		stop()
		fmt.Fprintln(os.Stderr, "rankloop: interrupted: finishing up; press Ctrl-C again to stop at once")
	})
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(ctx, err, os.Stderr)
	// Unregistering the notice first keeps stop, which cancels ctx, from
	// printing it on a normal exit.
	stopNotice()
	stop()
	os.Exit(code)
}

// run dispatches to one command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"missing command"}
	}
	switch args[0] {
	case "run":
		return runRun(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(stdout)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

// exitCode prints err and maps it to the process exit code.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "rankloop: %v\n", err)
		return exitUsage
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "rankloop: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "rankloop: %v\n", err)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return exitFailure
	}
}
