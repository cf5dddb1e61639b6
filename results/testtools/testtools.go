// Package testtools finds and runs the external programs that rankloop's
// tests use as independent checkers: Node.js with the npm packages of the
// repository's tools/ folder (DuckDB reads Parquet files, playwright-core
// drives Chromium) and Debian's Chromium.
//
// When a program is missing, the helpers skip the test with a message that
// names the command that installs it. With the environment variable RANKLOOP_STRICT_TESTS
// set to 1, as CI sets it, the same condition fails the test instead, so a
// missing tool cannot pass unnoticed.
package testtools

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// StrictEnv names the environment variable that turns skips for missing
// tools into failures when set to 1.
const StrictEnv = "RANKLOOP_STRICT_TESTS"

const installHint = "install the test tools with `bash .ci/install-test-tools.sh` (needs root, apt and npm)"

// Skip skips the test because a tool is missing, or fails it when
// RANKLOOP_STRICT_TESTS=1. The message should name the missing tool; Skip
// appends how to install it.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	args = append(args, installHint)
	if os.Getenv(StrictEnv) == "1" {
		t.Fatalf(format+"; %s (%s=1 turns this skip into a failure)", append(args, StrictEnv)...)
	}
	t.Skipf(format+"; %s", args...)
}

// RepoRoot returns the folder of the module's go.mod, searched upwards from
// the working directory of the test.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("find repository root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Node returns the path of the node program, or skips the test.
func Node(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		Skip(t, "node not found in PATH")
	}
	return path
}

// ToolsDir returns the repository's tools/ folder after checking that node
// is installed and that each npm package named in packages is present in
// tools/node_modules. It skips the test otherwise.
func ToolsDir(t testing.TB, packages ...string) string {
	t.Helper()
	Node(t)
	dir := filepath.Join(RepoRoot(t), "tools")
	for _, pkg := range packages {
		manifest := filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")
		if _, err := os.Stat(manifest); err != nil {
			Skip(t, "npm package %s is not installed in %s", pkg, dir)
		}
	}
	return dir
}

// Chromium returns the path of the Chromium browser, or skips the test. The
// environment variable RANKLOOP_CHROMIUM overrides the search of PATH for
// chromium and /usr/bin/chromium.
func Chromium(t testing.TB) string {
	t.Helper()
	if path := os.Getenv("RANKLOOP_CHROMIUM"); path != "" {
		if _, err := os.Stat(path); err != nil {
			Skip(t, "RANKLOOP_CHROMIUM=%s: %v", path, err)
		}
		return path
	}
	if path, err := exec.LookPath("chromium"); err == nil {
		return path
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	Skip(t, "chromium not found in PATH or at /usr/bin/chromium")
	return ""
}

// RunNode runs `node <tools>/<script> args...` with extra environment
// variables env ("KEY=value") and returns its standard output. A non-zero
// exit fails the test with the script's standard error. The caller checks
// first that the script's npm packages are installed (ToolsDir).
func RunNode(t testing.TB, script string, env []string, args ...string) []byte {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "tools")
	cmd := exec.Command(Node(t), append([]string{filepath.Join(dir, script)}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("node %s %v: %v\nstderr:\n%s", script, args, err, stderr.Bytes())
		}
		t.Fatalf("node %s: %v", script, err)
	}
	return stdout.Bytes()
}
